import { SluiceError } from "../errors.ts";

/**
 * k6-style pass/fail checks on a run's summary: `--threshold 'p99<50ms,rate>40000,errors==0'`.
 * Latencies are in ms in the summary; a threshold may say `ms`, `s` or `us`. Pure.
 */
export const THRESHOLD_METRICS = [
  "p50",
  "p95",
  "p99",
  "p99.9",
  "max",
  "avg",
  "e2e_p50",
  "e2e_p99",
  "rate",
  "errors",
  "sent",
  "lag",
] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
const LATENCIES = new Set<string>(["p50", "p95", "p99", "p99.9", "max", "avg", "e2e_p50", "e2e_p99", "lag"]);
const OPS = ["<=", ">=", "==", "!=", "<", ">"] as const;
type Op = (typeof OPS)[number];

export interface Threshold {
  readonly text: string;
  readonly metric: ThresholdMetric;
  readonly op: Op;
  /** In the summary's unit: ms for latencies, records/s for rate, a count otherwise. */
  readonly bound: number;
}

export interface ThresholdResult extends Threshold {
  readonly actual: number | null;
  readonly ok: boolean;
}

const UNIT_MS: Record<string, number> = { "": 1, ms: 1, s: 1000, us: 0.001 };

/** Parses a comma-separated list; throws SluiceError("USAGE") naming the bad part and what is allowed. */
export function parseThresholds(text: string): Threshold[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([a-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*([0-9]*\.?[0-9]+)\s*(ms|s|us|k)?$/.exec(part);
      const fail = (why: string) =>
        new SluiceError(
          "USAGE",
          `--threshold "${part}": ${why}. Write metric op number[unit], e.g. p99<50ms,rate>40000,errors==0; metrics: ${THRESHOLD_METRICS.join(", ")}; ops: ${OPS.join(" ")}`,
        );
      if (!m) throw fail("cannot parse");
      const metric = m[1] as ThresholdMetric;
      if (!THRESHOLD_METRICS.includes(metric)) throw fail(`unknown metric "${m[1]}"`);
      const unit = m[4] ?? "";
      let bound = Number(m[3]);
      if (LATENCIES.has(metric)) {
        if (unit === "k") throw fail("a latency takes ms, s or us");
        bound *= UNIT_MS[unit]!;
      } else if (unit === "k") bound *= 1000;
      else if (unit !== "") throw fail(`${metric} takes no time unit`);
      return { text: part, metric, op: m[2] as Op, bound };
    });
}

function holds(a: number, op: Op, b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/** Evaluates thresholds against the values of a summary; a metric the run did not measure fails. */
export function evaluate(
  thresholds: readonly Threshold[],
  values: Readonly<Record<ThresholdMetric, number | null>>,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = values[t.metric];
    return { ...t, actual, ok: actual !== null && holds(actual, t.op, t.bound) };
  });
}
