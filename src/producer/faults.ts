import type { Metric } from "../contract/index.ts";
import { encodeKey, encodeValue } from "./encode.ts";
import type { Rng } from "./rng.ts";

/**
 * Fault injection: turns a stream of valid metrics into a stream of outgoing records where a chosen share are
 * duplicates (same key and value again, later), updates (same key, new value), malformed records (not JSON, wrong
 * types, missing fields) or invalid ones (parse, but must never be stored).
 *
 * Duplicates and updates are drawn only from records the broker has already acknowledged, and a drawn record is
 * out of the pool until its re-send is acknowledged: so the original and every re-send of one key are appended to
 * the key's partition one after another, never concurrently, and the last value sent is the last value in the log
 * (batches in flight can complete out of order, for example when one takes longer to compress).
 */
export type RecordKind = "valid" | "duplicate" | "update" | "malformed" | "invalid";
export const FAULT_KINDS = ["duplicate", "update", "malformed", "invalid"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const MALFORMED_KINDS = ["not-json", "missing-field", "wrong-type"] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];
export const INVALID_KINDS = [
  "non-uuid",
  "unknown-code",
  "code-out-of-range",
  "time-out-of-range",
  "value-out-of-range",
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** One record to send. `metric` is what the table must hold afterwards for valid records and updates. */
export interface Outgoing {
  readonly kind: RecordKind;
  readonly key: string;
  readonly value: string;
  /** Partition by this device (the metric's, also for faults, so re-sends share the original's partition). */
  readonly deviceId: string;
  readonly metric?: Metric;
  /** For updates: the value the key held before. */
  readonly previous?: number;
}

export interface FaultSpec {
  duplicate: number;
  update: number;
  malformed: number;
  invalid: number;
  malformedKinds: readonly MalformedKind[];
  invalidKinds: readonly InvalidKind[];
}

export const NO_FAULTS: FaultSpec = {
  duplicate: 0,
  update: 0,
  malformed: 0,
  invalid: 0,
  malformedKinds: MALFORMED_KINDS,
  invalidKinds: INVALID_KINDS,
};

/** The outgoing record of a valid metric. */
export function validRecord(m: Metric): Outgoing {
  return { kind: "valid", key: encodeKey(m), value: encodeValue(m), deviceId: m.device_id, metric: m };
}

/** A malformed rendering of `m` (a fresh key, so nothing valid is overwritten). */
export function malformedRecord(m: Metric, kind: MalformedKind): Outgoing {
  const key = encodeKey(m);
  const tags = JSON.stringify(m.tags);
  const value =
    kind === "not-json"
      ? `{"device_id":"${m.device_id}","published_at":${m.published_at},"metric_name":` // cut short
      : kind === "missing-field"
        ? `{"device_id":"${m.device_id}","published_at":${m.published_at},"metric_name":${m.metric_name},"tags":${tags}}`
        : `{"device_id":"${m.device_id}","published_at":${m.published_at},"metric_name":${m.metric_name},"value":"hot","tags":${tags}}`;
  return { kind: "malformed", key, value, deviceId: m.device_id };
}

/** A record that parses but breaks the contract (a fresh key; key and value agree, as a careless client would send). */
export function invalidRecord(m: Metric, kind: InvalidKind): Outgoing {
  let id: string = m.device_id;
  let code: number = m.metric_name;
  let ts: number = m.published_at;
  let value = String(m.value);
  if (kind === "non-uuid") id = `device-${m.device_id.slice(0, 8)}`;
  else if (kind === "unknown-code") code = 7;
  else if (kind === "code-out-of-range") code = 40_000;
  else if (kind === "time-out-of-range") ts = 2 ** 60;
  else value = "1e400"; // parses as Infinity: not a finite double
  const key = `{"device_id":${JSON.stringify(id)},"metric_name":${code},"published_at":${ts}}`;
  return {
    kind: "invalid",
    key,
    value: `{"device_id":${JSON.stringify(id)},"published_at":${ts},"metric_name":${code},"value":${value},"tags":${JSON.stringify(m.tags)}}`,
    deviceId: m.device_id,
  };
}

/** Chooses and builds records; see the module comment for the ordering guarantee. */
export class FaultInjector {
  /** Acknowledged metrics that can be re-sent (current value). Bounded: a recent window is enough for "later". */
  private readonly pool: Metric[] = [];
  private readonly cap: number;
  private nextMalformed = 0;
  private nextInvalid = 0;

  constructor(
    private readonly spec: FaultSpec,
    private readonly r: Rng,
    cap = 10_000,
  ) {
    this.cap = cap;
  }

  /** Whether any fault is configured (the sender skips the bookkeeping otherwise). */
  get active(): boolean {
    const s = this.spec;
    return s.duplicate + s.update + s.malformed + s.invalid > 0;
  }

  /** The next record: a fault with the configured probabilities, else the valid metric `fresh()` makes. */
  next(fresh: () => Metric): Outgoing {
    const s = this.spec;
    const u = this.r.next();
    if (u < s.duplicate + s.update && this.pool.length > 0) {
      const m = this.take();
      if (u < s.duplicate)
        return { kind: "duplicate", key: encodeKey(m), value: encodeValue(m), deviceId: m.device_id, metric: m };
      const updated: Metric = { ...m, value: -(1 + this.r.next()) * 1000 }; // outside every realistic range: easy to spot
      return {
        kind: "update",
        key: encodeKey(updated),
        value: encodeValue(updated),
        deviceId: m.device_id,
        metric: updated,
        previous: m.value,
      };
    }
    let t = s.duplicate + s.update;
    if (u >= t && u < (t += s.malformed)) {
      const kinds = s.malformedKinds;
      return malformedRecord(fresh(), kinds[this.nextMalformed++ % kinds.length]!);
    }
    if (u >= t && u < t + s.invalid) {
      const kinds = s.invalidKinds;
      return invalidRecord(fresh(), kinds[this.nextInvalid++ % kinds.length]!);
    }
    return validRecord(fresh());
  }

  /** Records acknowledged by the broker: valid ones, duplicates and updates go (back) into the re-send pool. */
  acked(records: readonly Outgoing[]): void {
    for (const o of records) {
      if (o.metric === undefined) continue;
      if (this.pool.length < this.cap) this.pool.push(o.metric);
      else this.pool[this.r.int(0, this.cap - 1)] = o.metric;
    }
  }

  private take(): Metric {
    const i = this.r.int(0, this.pool.length - 1);
    const m = this.pool[i]!;
    this.pool[i] = this.pool[this.pool.length - 1]!;
    this.pool.pop();
    return m;
  }
}
