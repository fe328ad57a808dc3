import type { WatchdogFile } from "../stack/watch-state.ts";
import type { DlqReasons } from "./dlq-reasons.ts";
import { type PipelineSnapshot, positionLagOf } from "./snapshot.ts";

/**
 * What the dashboard's charts are drawn from: one point per sample of the pipeline, kept for a window (15 minutes by
 * default) in a bounded ring. Pure: the sampler (history-sampler.ts) feeds it snapshots; rates are counter deltas over
 * the real time between two samples, never an assumed interval.
 */

/** The counters and states of one sample, as read (null where the source did not answer). */
export interface Observation {
  readonly at: number;
  /** Sum of the topic's end offsets: every record ever written to it. */
  readonly produced: number | null;
  readonly rowsWritten: number | null;
  /** Sum of the DLQ's end offsets. */
  readonly dlqTotal: number | null;
  /** End offset minus the sink group's committed offset, per partition (Connect commits every few seconds). */
  readonly lagByPartition: readonly { partition: number; lag: number }[] | null;
  /** Records behind by the sink tasks' fetch positions, all partitions (null when not read). */
  readonly positionLag: number | null;
  /** Connector state, or null when Connect did not answer; "MISSING" when it answered without the connector. */
  readonly connector: string | null;
  readonly tasks: Readonly<Record<string, string>>;
  /** Watchdog restarts per component, when a watchdog runs beside the service. */
  readonly restarts: Readonly<Record<string, number>> | null;
  /** Sources that did not answer (kafka, lag, connect, dlq, postgres). */
  readonly down: readonly string[];
  /** End-to-end latency (ms) a load tester on this stack published for its last window, when one runs with --e2e. */
  readonly e2e: { readonly p50: number | null; readonly p99: number | null } | null;
  /** Dead letters by reason kind since the DLQ reader started, as of its last look (dlq-reasons.ts). */
  readonly dlqReasons: DlqReasons | null;
}

/** One point of the charts. */
export interface HistoryPoint {
  readonly at: number;
  /** Records/s into the topic since the previous point. */
  readonly produceRate: number | null;
  /** Rows/s written into the table since the previous point. */
  readonly landedRate: number | null;
  /** Records/s into the DLQ since the previous point. */
  readonly dlqRate: number | null;
  /** Committed-offset lag (total and per partition). */
  readonly lag: number | null;
  readonly lagByPartition: readonly { partition: number; lag: number }[] | null;
  /** Records behind by the tasks' fetch positions, all partitions: the real lag, ahead of the committed one. */
  readonly positionLag: number | null;
  /** What changed since the previous point: connector and task states, watchdog restarts. */
  readonly markers: readonly string[];
  readonly down: readonly string[];
  /** Produce → row latency p50/p99 in ms (null when no load tester publishes it). */
  readonly e2eP50: number | null;
  readonly e2eP99: number | null;
  /** DLQ arrivals/s per reason kind over the DLQ reader's last interval; only on points where it looked again. */
  readonly dlqByReason: Readonly<Record<string, number>> | null;
}

/** What a sample adds to the snapshot, when the service has it. */
export interface Extras {
  readonly watchdog?: WatchdogFile;
  readonly e2e?: Observation["e2e"];
  readonly dlqReasons?: DlqReasons;
}

/** An observation from a snapshot (and the watchdog's state file, when there is one). */
export function observe(s: PipelineSnapshot, { watchdog, e2e, dlqReasons }: Extras = {}): Observation {
  const status = s.connector?.status;
  return {
    at: s.at,
    produced: s.offsets ? s.offsets.reduce((n, o) => n + o.high, 0) : null,
    rowsWritten: s.rowsWritten,
    dlqTotal: s.dlq ? s.dlq.total : null,
    lagByPartition: s.lag,
    positionLag: positionLagOf(s),
    connector: s.connector ? (status?.connector.state ?? "MISSING") : null,
    tasks: Object.fromEntries((status?.tasks ?? []).map((t) => [String(t.id), t.state])),
    restarts: watchdog
      ? Object.fromEntries(Object.entries(watchdog.components).map(([n, c]) => [n, c.restarts]))
      : null,
    down: Object.keys(s.errors).sort(),
    e2e: e2e ?? null,
    dlqReasons: dlqReasons ?? null,
  };
}

/** Per-second rate of a counter; null when either side is unknown or the counter went back (a topic re-created). */
function rate(cur: number | null, prev: number | null | undefined, seconds: number): number | null {
  if (cur === null || prev === null || prev === undefined || seconds <= 0 || cur < prev) return null;
  return (cur - prev) / seconds;
}

/** What changed between two observations, in words an operator reads on the chart. */
export function markersBetween(prev: Observation | undefined, cur: Observation): string[] {
  if (!prev) return [];
  const out: string[] = [];
  if (cur.connector !== null && prev.connector !== null && cur.connector !== prev.connector)
    out.push(`connector ${prev.connector} → ${cur.connector}`);
  if (cur.connector !== null && prev.connector !== null) {
    for (const id of new Set([...Object.keys(prev.tasks), ...Object.keys(cur.tasks)])) {
      const [a, b] = [prev.tasks[id] ?? "none", cur.tasks[id] ?? "none"];
      if (a !== b) out.push(`task ${id} ${a} → ${b}`);
    }
  }
  for (const [name, n] of Object.entries(cur.restarts ?? {})) {
    const before = prev.restarts?.[name] ?? n;
    if (n > before) out.push(`${name} restarted by the watchdog${n - before > 1 ? ` (${n - before}×)` : ""}`);
  }
  for (const source of cur.down) if (!prev.down.includes(source)) out.push(`${source} not answering`);
  for (const source of prev.down) if (!cur.down.includes(source)) out.push(`${source} answering again`);
  return out;
}

/** Per-kind rates between two looks of the DLQ reader; null unless `cur` carries a newer look than `prev`. */
function reasonRates(prev: DlqReasons | null | undefined, cur: DlqReasons | null): Record<string, number> | null {
  if (!prev || !cur || cur.at <= prev.at) return null;
  const seconds = (cur.at - prev.at) / 1000;
  const kinds = new Set([...Object.keys(prev.counts), ...Object.keys(cur.counts)]);
  return Object.fromEntries([...kinds].map((k) => [k, ((cur.counts[k] ?? 0) - (prev.counts[k] ?? 0)) / seconds]));
}

/** The point for `cur`, given the observation before it. */
export function pointOf(prev: Observation | undefined, cur: Observation): HistoryPoint {
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0;
  return {
    at: cur.at,
    produceRate: rate(cur.produced, prev?.produced, seconds),
    landedRate: rate(cur.rowsWritten, prev?.rowsWritten, seconds),
    dlqRate: rate(cur.dlqTotal, prev?.dlqTotal, seconds),
    lag: cur.lagByPartition ? cur.lagByPartition.reduce((n, l) => n + l.lag, 0) : null,
    lagByPartition: cur.lagByPartition,
    positionLag: cur.positionLag,
    markers: markersBetween(prev, cur),
    down: cur.down,
    e2eP50: cur.e2e?.p50 ?? null,
    e2eP99: cur.e2e?.p99 ?? null,
    dlqByReason: reasonRates(prev?.dlqReasons, cur.dlqReasons),
  };
}

/** The last `windowMs` of points, at most `maxPoints` of them (memory stays bounded whatever the sampling rate). */
export class History {
  private readonly ring: HistoryPoint[] = [];
  private last: Observation | undefined;

  constructor(
    readonly windowMs = 15 * 60_000,
    private readonly maxPoints = 1800,
  ) {}

  /** Adds the point for `o`; an observation not newer than the last one is ignored (a cached snapshot seen twice). */
  add(o: Observation): HistoryPoint | undefined {
    if (this.last && o.at <= this.last.at) return undefined;
    const p = pointOf(this.last, o);
    this.last = o;
    this.ring.push(p);
    const oldest = o.at - this.windowMs;
    let drop = 0;
    while (drop < this.ring.length && (this.ring[drop]!.at < oldest || this.ring.length - drop > this.maxPoints))
      drop++;
    if (drop > 0) this.ring.splice(0, drop);
    return p;
  }

  /** Points newer than `since` (all when omitted), oldest first. */
  points(since = Number.NEGATIVE_INFINITY): HistoryPoint[] {
    return this.ring.filter((p) => p.at > since);
  }
}
