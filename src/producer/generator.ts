import type { Metric, MetricCode } from "../contract/index.ts";
import { SluiceError } from "../errors.ts";
import { type Rng, rng } from "./rng.ts";
import { deviceIds, planRun, RANGES } from "./workload.ts";

/**
 * The load tester's workload model (the original PoC's cycle model, made reproducible): every publish interval is a
 * cycle; a cycle picks how many devices publish (a fixed pool, or a count drawn from [minDevices, maxDevices]) and
 * how many metrics they publish in total (drawn from [minMetrics, maxMetrics]), and spreads those metrics over the
 * cycle's devices and the chosen metric codes.
 *
 * Reproducible: device ids, cycle sizes, codes, values and tags come from the seed only. `published_at` comes from
 * the schedule (the time the metric is due), bumped by 1 ms where needed so that every (device, code) pair gets
 * strictly increasing timestamps: keys never collide, so an upsert cannot fold two metrics and hide a lost row.
 */
export interface WorkloadSpec {
  seed: string;
  /** A fixed pool (`fixed`: every cycle, all of them) or a per-cycle count drawn from [min, max]. */
  devices: { fixed: number } | { min: number; max: number };
  metrics: { min: number; max: number };
  codes: readonly MetricCode[];
  /** uniform over the code's range; normal around its middle (sd = range/6); walk: a random walk per series. */
  values: "uniform" | "normal" | "walk";
  /** Tags per metric, 0–16. */
  tags: number;
}

/** A stream of metrics following a {@link WorkloadSpec}. */
export interface Workload {
  /** Cycle of the metric the next `next()` returns (0-based). */
  readonly cycle: number;
  /** Device ids of the pool (index order). */
  readonly pool: readonly string[];
  /** The next metric, due at `dueEpochMs` (epoch ms; `published_at` is at least its floor). */
  next(dueEpochMs: number): Metric;
}

const TAG_NAMES = [
  "site",
  "fw",
  "zone",
  "rack",
  "line",
  "room",
  "floor",
  "bldg",
  "owner",
  "model",
  "batch",
  "hw",
  "os",
  "net",
  "power",
  "grp",
];

/** Validates a spec; throws SluiceError("INVALID_WORKLOAD") naming the field. */
function check(spec: WorkloadSpec): void {
  const bad = (m: string) => new SluiceError("INVALID_WORKLOAD", m);
  const d = spec.devices;
  if ("min" in d && d.min > d.max) throw bad(`min devices (${d.min}) must not exceed max devices (${d.max})`);
  if (spec.metrics.min > spec.metrics.max)
    throw bad(`min metrics (${spec.metrics.min}) must not exceed max metrics (${spec.metrics.max})`);
  if (spec.codes.length === 0) throw bad("at least one metric code is needed");
  if (spec.tags < 0 || spec.tags > TAG_NAMES.length)
    throw bad(`tags must be from 0 to ${TAG_NAMES.length}, got ${spec.tags}`);
}

/** Creates the workload of `spec`. */
export function workload(spec: WorkloadSpec): Workload {
  check(spec);
  const r: Rng = rng(`${spec.seed}:workload`);
  const poolSize = "fixed" in spec.devices ? spec.devices.fixed : spec.devices.max;
  const pool = deviceIds(planRun({ seed: spec.seed, count: 0, devices: poolSize, startMs: 0 }));
  const codes = spec.codes;
  const nc = codes.length;
  const mins = codes.map((c) => RANGES[c][0]);
  const spans = codes.map((c) => RANGES[c][1] - RANGES[c][0]);
  const tags = pool.map((_, i) =>
    Object.freeze(
      TAG_NAMES.slice(0, spec.tags).map((name, j) =>
        j === 0 ? `site:${i % 16}` : j === 1 ? `fw:1.${i % 4}` : `${name}:${i % 8}`,
      ),
    ),
  );
  // Last published_at and (for walk) last value per (device, code) series.
  const lastTs = new Float64Array(poolSize * nc).fill(-1);
  const walk = new Float64Array(poolSize * nc).fill(NaN);

  let cycle = -1;
  let inCycle = 0; // metrics left in the current cycle
  let size = 0; // metrics in the current cycle
  let devCount = 0;
  let offset = 0;

  const startCycle = () => {
    do {
      cycle++;
      devCount = "fixed" in spec.devices ? poolSize : r.int(spec.devices.min, spec.devices.max);
      offset = devCount === poolSize ? 0 : r.int(0, poolSize - 1);
      size = r.int(spec.metrics.min, spec.metrics.max);
    } while (size === 0 || devCount === 0);
    inCycle = size;
  };

  const valueFor = (series: number, ci: number): number => {
    const min = mins[ci]!;
    const span = spans[ci]!;
    if (spec.values === "uniform") return min + span * r.next();
    if (spec.values === "normal") {
      // Box–Muller, clamped to the range so every value stays realistic.
      const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
      return Math.min(min + span * 0.999999, Math.max(min, min + span / 2 + (z * span) / 6));
    }
    let v = walk[series]!;
    if (Number.isNaN(v)) v = min + span * r.next();
    v += (r.next() - 0.5) * span * 0.02;
    if (v < min) v = 2 * min - v; // reflect at the bounds
    if (v >= min + span) v = 2 * (min + span) - v - 1e-9;
    walk[series] = v;
    return v;
  };

  startCycle();
  return {
    get cycle() {
      return cycle;
    },
    pool,
    next(dueEpochMs: number): Metric {
      const i = size - inCycle--;
      const device = (offset + (i % devCount)) % poolSize;
      const ci = Math.floor(i / devCount) % nc;
      const series = device * nc + ci;
      const ts = Math.max(lastTs[series]! + 1, Math.floor(dueEpochMs));
      lastTs[series] = ts;
      // Start the next cycle now, so `cycle` already names the cycle of the next metric (the scheduler needs it).
      if (inCycle === 0) startCycle();
      return {
        device_id: pool[device]!,
        published_at: ts,
        metric_name: codes[ci]!,
        value: valueFor(series, ci),
        tags: tags[device]! as string[],
      };
    },
  };
}
