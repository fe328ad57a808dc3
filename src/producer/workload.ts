import { createHash } from "node:crypto";
import { CODES, MAX_PUBLISHED_AT, METRIC_INFO, type Metric, type MetricCode, metricNameOf } from "../contract/index.ts";
import { SluiceError } from "../errors.ts";

/**
 * The deterministic workload: a run is fully described by (seed, count, devices, startMs, stepMs), so a verifier
 * that reads the manifest can recompute every expected row, and `indexOfKey` maps a stored row back to the metric
 * that should have produced it. Nothing here is random at run time.
 *
 * Metric k (0 ≤ k < count) is, in mixed radix:
 *   device      = k mod D
 *   metric code = CODES[floor(k / D) mod 6]
 *   published_at = startMs + floor(k / (6·D)) · stepMs
 * which is a bijection between k and (device, code, tick), so all keys are distinct by construction (no duplicate
 * can be folded by the sink's upsert and hide a lost row), and consecutive k rotate over the devices, spreading
 * every batch across partitions.
 */

/** A planned run. Plain and JSON-serialisable; the derived tables live in a side cache, not on the object. */
export interface Run {
  readonly seed: string;
  readonly count: number;
  readonly devices: number;
  readonly startMs: number;
  readonly stepMs: number;
}

/** Arguments of {@link planRun}. `stepMs` (default 1) is the time between a device's successive ticks. */
export interface RunSpec {
  seed: string;
  count: number;
  devices: number;
  startMs: number;
  stepMs?: number;
}

const N_CODES = CODES.length;

/**
 * Realistic range per metric code (src/contract/codes.ts METRIC_INFO). Values are not rounded: full 53-bit doubles make any lossy
 * step on the path (float32, a short text rendering of a double) show up as a mismatch in the audit.
 */
export const RANGES: Readonly<Record<MetricCode, readonly [min: number, max: number]>> = Object.fromEntries(
  CODES.map((c) => [c, METRIC_INFO[metricNameOf(c)!].range]),
) as Record<MetricCode, readonly [number, number]>;
const MIN_BY_INDEX = CODES.map((c) => RANGES[c][0]);
const SPAN_BY_INDEX = CODES.map((c) => RANGES[c][1] - RANGES[c][0]);

function invalid(message: string): SluiceError {
  return new SluiceError("INVALID_RUN", message);
}

/** Validates a run and freezes it. Throws `SluiceError("INVALID_RUN")` naming the bad argument. */
export function planRun(spec: RunSpec): Run {
  const { seed, count, devices, startMs, stepMs = 1 } = spec;
  if (typeof seed !== "string" || seed.length === 0) throw invalid("seed must be a non-empty string");
  if (!Number.isSafeInteger(count) || count < 0) throw invalid(`count must be an integer ≥ 0, got ${count}`);
  if (!Number.isSafeInteger(devices) || devices < 1) throw invalid(`devices must be an integer ≥ 1, got ${devices}`);
  if (!Number.isSafeInteger(startMs) || startMs < 0) throw invalid(`startMs must be epoch ms ≥ 0, got ${startMs}`);
  if (!Number.isSafeInteger(stepMs) || stepMs < 1) throw invalid(`stepMs must be an integer ≥ 1, got ${stepMs}`);
  const lastTick = count === 0 ? 0 : Math.floor((count - 1) / (devices * N_CODES));
  const last = startMs + lastTick * stepMs;
  if (last > MAX_PUBLISHED_AT) {
    throw invalid(
      `the run would publish up to ${last} ms, past the contract's maximum ${MAX_PUBLISHED_AT}; lower startMs, stepMs or count`,
    );
  }
  return Object.freeze({ seed, count, devices, startMs, stepMs });
}

interface Derived {
  ids: readonly string[];
  /** Each device's tag list, one frozen array (the encoders cache a frozen list's JSON by identity). */
  tags: readonly (readonly string[])[];
  s0: number;
  s1: number;
  index?: Map<string, number>;
}

// Keyed by the run object so a Run stays a plain value and its tables are built once, then freed with it.
const derivedCache = new WeakMap<Run, Derived>();

function sha1(text: string): Buffer {
  return createHash("sha1").update(text).digest();
}

/** A lowercase uuid with the v4 version and RFC 4122 variant bits set (the bytes come from a hash, not randomness). */
function uuidOf(b: Buffer): string {
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex", 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function derived(run: Run): Derived {
  let d = derivedCache.get(run);
  if (d === undefined) {
    const ids: string[] = new Array(run.devices);
    const tags: (readonly string[])[] = new Array(run.devices);
    for (let i = 0; i < run.devices; i++) {
      ids[i] = uuidOf(sha1(`sluice:${run.seed}:device:${i}`));
      tags[i] = Object.freeze([`site:${i % 16}`, `fw:1.${i % 4}`]);
    }
    const s = sha1(`sluice:${run.seed}:values`);
    d = { ids, tags, s0: s.readUInt32LE(0), s1: s.readUInt32LE(4) };
    derivedCache.set(run, d);
  }
  return d;
}

/**
 * The run's device ids, in device-index order: `uuidOf(sha1("sluice:<seed>:device:<i>"))`. Computed once per run.
 * The returned array is shared; do not mutate it.
 */
export function deviceIds(run: Run): readonly string[] {
  return derived(run).ids;
}

// lowbias32 (Chris Wellons' hash-prospector): a cheap 32-bit finaliser with good avalanche, all in integer ops so the
// same value comes out on any platform.
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/** A uniform double in [0, 1) from (seed, k), with all 53 bits of mantissa used. */
function unit(d: Derived, k: number): number {
  const lo = k >>> 0; // k < 2^53, so split it into two 32-bit words before mixing
  const hi = Math.floor(k / TWO_32);
  const a = mix32(mix32(lo ^ d.s0) ^ hi);
  const b = mix32(a ^ d.s1);
  return (a * 2097152 + (b >>> 11)) / TWO_53; // 32 + 21 bits
}

/**
 * The k-th metric of the run (0 ≤ k < count). Pure: the same run and k always give the same metric. O(1) after the
 * run's device table is built on first use. Every result passes the contract's `Metric.parse`.
 */
export function metricAt(run: Run, k: number): Metric {
  if (!Number.isInteger(k) || k < 0 || k >= run.count) {
    throw new RangeError(`metric index ${k} is outside the run (0 ≤ k < ${run.count})`);
  }
  const d = derived(run);
  const D = run.devices;
  const device = k % D;
  const q = (k - device) / D;
  const ci = q % N_CODES;
  const tick = (q - ci) / N_CODES;
  return {
    device_id: d.ids[device]!,
    published_at: run.startMs + tick * run.stepMs,
    metric_name: CODES[ci]!,
    value: MIN_BY_INDEX[ci]! + SPAN_BY_INDEX[ci]! * unit(d, k),
    // Shared and frozen: typed as the contract's mutable array, but nothing writes a generated metric's tags.
    tags: d.tags[device]! as string[],
  };
}

/**
 * Inverse of {@link metricAt} on the key: the index k whose metric has this key, or -1 when the key is not part of
 * the run. Lets an auditor recompute the expected value of any stored row. Builds an id → index map on first use.
 */
export function indexOfKey(run: Run, key: { device_id: string; metric_name: number; published_at: number }): number {
  const d = derived(run);
  if (d.index === undefined) d.index = new Map(d.ids.map((id, i) => [id, i]));
  const device = d.index.get(key.device_id);
  const ci = CODES.indexOf(key.metric_name as MetricCode);
  const offset = key.published_at - run.startMs;
  if (device === undefined || ci < 0 || offset < 0 || offset % run.stepMs !== 0) return -1;
  const k = (offset / run.stepMs) * N_CODES * run.devices + ci * run.devices + device;
  return Number.isSafeInteger(k) && k < run.count ? k : -1;
}
