import * as hdr from "hdr-histogram-js";

/**
 * Latency recording in microseconds with HdrHistogram (3 significant digits, up to one hour): constant memory and
 * cost per value whatever the run length, exact enough for p99.9.
 */
export type Histogram = hdr.Histogram;

/** A new histogram (pure JS implementation: the WebAssembly one needs an async init and gains little here). */
export function histogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Percentiles and extremes of a histogram of µs, in ms (3 decimals), or nulls when it is empty. */
export interface LatencyStats {
  count: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  "p99.9": number | null;
  max: number | null;
}

const ms = (us: number) => Math.round(us) / 1000;

export function latencyStats(h: Histogram): LatencyStats {
  const n = h.totalCount;
  if (n === 0) return { count: 0, avg: null, p50: null, p95: null, p99: null, "p99.9": null, max: null };
  return {
    count: n,
    avg: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    "p99.9": ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
