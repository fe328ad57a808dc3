import { SluiceError } from "../errors.ts";

const UNITS: Record<string, { ms: number; pg: string }> = {
  m: { ms: 60_000, pg: "minutes" },
  h: { ms: 3_600_000, pg: "hours" },
  d: { ms: 86_400_000, pg: "days" },
  w: { ms: 86_400_000, pg: "days" }, // n weeks are written as 7·n days
};

/** A fixed-length span such as `1d`, `6h`, `30 minutes`: milliseconds and a PostgreSQL interval literal. */
export interface Span {
  readonly ms: number;
  readonly pg: string;
}

/**
 * Parses `30m`, `6h`, `1d`, `2w` (or the words: `1 day`, `12 hours`). No months or years: partition ranges and
 * rollup buckets need a fixed length.
 */
export function parseSpan(text: string): Span {
  const m = /^(\d+)\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?)$/i.exec(text.trim());
  if (!m || Number(m[1]) < 1) {
    throw new SluiceError("BAD_SPAN", `expected a span like 30m, 6h, 1d or 2w, got "${text}"`);
  }
  const unit = UNITS[m[2]![0]!.toLowerCase()]!;
  const n = Number(m[1]) * (m[2]![0]!.toLowerCase() === "w" ? 7 : 1);
  return { ms: n * unit.ms, pg: `${n} ${unit.pg}` };
}

/**
 * A `--since` value: a span back from `now` (`1h`, `7d`) or an ISO-8601 instant (`2026-11-23`,
 * `2026-11-23T10:00:00Z`).
 */
export function parseSince(text: string, now: number): Date {
  if (/^\d+\s*[a-z]+$/i.test(text.trim())) return new Date(now - parseSpan(text).ms);
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t)) {
    throw new SluiceError(
      "BAD_SINCE",
      `--since: expected a span back from now (1h, 7d) or an ISO date (2026-11-23T10:00Z), got "${text}"`,
    );
  }
  return new Date(t);
}

/**
 * A schedule interval such as METRICS_MAINTAIN_EVERY or `--every`: `30s`, `5m`, `1h` in milliseconds; `0` is 0
 * (off).
 */
export function parseEvery(text: string): number {
  const m = /^(0|[1-9]\d*)([smh])?$/.exec(text.trim());
  if (!m || (m[1] !== "0" && !m[2])) {
    throw new SluiceError("BAD_SPAN", `expected an interval like 60s, 5m, 1h or 0 (off), got "${text}"`);
  }
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "s" | "m" | "h"];
}
