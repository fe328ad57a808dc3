import type { FaultKind } from "./faults.ts";
import type { LatencyStats } from "./latency.ts";
import type { ThresholdMetric } from "./thresholds.ts";

/** One window of a run, printed every few seconds (the kafka-producer-perf-test line). */
export interface WindowStats {
  records: number;
  bytes: number;
  seconds: number;
  avgMs: number | null;
  maxMs: number | null;
}

/** What a run did; `sluice produce --json FILE` writes exactly this object. Latencies in ms. */
export interface Summary {
  mode: "max" | "rate" | "cycle";
  targetRate: number | null;
  seconds: number;
  /** Records acknowledged by the broker (valid and injected). */
  sent: number;
  /** Valid records acknowledged: the rows the table must hold (plus updates' keys, already counted). */
  valid: number;
  /** Records whose send failed. */
  errors: number;
  firstError: string | null;
  injected: Record<FaultKind, number>;
  rate: number;
  mbPerSec: number;
  latency: LatencyStats;
  /** How far sending ran behind the schedule (time from when a batch's oldest record was due to its send). */
  scheduleLag: { avgMs: number | null; maxMs: number | null };
  /** Producer to row in PostgreSQL, from sampled records (see e2e-latency.ts), when measured. */
  e2e: { samples: number; seen: number; p50: number | null; p99: number | null; max: number | null } | null;
  interrupted: boolean;
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const f = (x: number | null, d = 2) => (x === null ? "-" : x.toFixed(d));

/** `12,345 records sent, 2,469.0 records/sec (0.35 MB/sec), 3.21 ms avg latency, 12.00 ms max latency.` */
export function windowLine(w: WindowStats): string {
  const rate = w.records / Math.max(w.seconds, 1e-9);
  const mb = w.bytes / 1048576 / Math.max(w.seconds, 1e-9);
  return `${n0(w.records)} records sent, ${rate.toFixed(1)} records/sec (${mb.toFixed(2)} MB/sec), ${f(w.avgMs)} ms avg latency, ${f(w.maxMs)} ms max latency.`;
}

/** The final summary as lines of text (same numbers as the JSON). */
export function summaryLines(s: Summary): string[] {
  const l = s.latency;
  const lines = [
    `${n0(s.sent)} records sent in ${s.seconds.toFixed(2)} s, ${s.rate.toFixed(1)} records/sec (${s.mbPerSec.toFixed(2)} MB/sec)${s.targetRate !== null ? ` (target ${n0(s.targetRate)}/s)` : ""}${s.interrupted ? " [interrupted]" : ""}`,
    `send latency ms: avg ${f(l.avg)}, p50 ${f(l.p50)}, p95 ${f(l.p95)}, p99 ${f(l.p99)}, p99.9 ${f(l["p99.9"])}, max ${f(l.max)}`,
    `schedule lag ms: avg ${f(s.scheduleLag.avgMs)}, max ${f(s.scheduleLag.maxMs)}`,
    `valid ${n0(s.valid)}, injected: duplicate ${n0(s.injected.duplicate)}, update ${n0(s.injected.update)}, malformed ${n0(s.injected.malformed)}, invalid ${n0(s.injected.invalid)}`,
    `errors ${n0(s.errors)}${s.firstError ? ` (first: ${s.firstError})` : ""}`,
  ];
  if (s.e2e)
    lines.push(
      `end-to-end ms (produce → row in PostgreSQL, ${s.e2e.seen}/${s.e2e.samples} samples): p50 ${f(s.e2e.p50)}, p99 ${f(s.e2e.p99)}, max ${f(s.e2e.max)}`,
    );
  return lines;
}

/** The values thresholds are checked against. */
export function thresholdValues(s: Summary): Record<ThresholdMetric, number | null> {
  return {
    p50: s.latency.p50,
    p95: s.latency.p95,
    p99: s.latency.p99,
    "p99.9": s.latency["p99.9"],
    max: s.latency.max,
    avg: s.latency.avg,
    e2e_p50: s.e2e?.p50 ?? null,
    e2e_p99: s.e2e?.p99 ?? null,
    rate: s.rate,
    errors: s.errors,
    sent: s.sent,
    lag: s.scheduleLag.maxMs,
  };
}
