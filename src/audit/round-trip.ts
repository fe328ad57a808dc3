// The sequence every "did it all arrive?" job runs — demo, the bench scenarios, the db bench: produce the run, start
// the clock, wait until every row landed, compare a sample with what was sent, and read the sink's span. Written once
// here so the job differs only in how it produces and what it does before waiting.
import type { Sql } from "postgres";
import type { Run } from "../producer/workload.ts";
import { type Mismatch, sinkSpan, spotCheck, waitLanded } from "./landed.ts";

/** How a round trip produces, and what it does between producing and waiting. */
export interface RoundTripSteps<P> {
  readonly sql: Sql;
  readonly table: string;
  readonly run: Run;
  /** Sends the run to Kafka (a session, the HTTP API…); its result is handed back as `produced`. */
  produce(): Promise<P>;
  /** After producing, before the wait (starts the clock when given): e.g. the connector started on a backlog. */
  afterProduce?(): Promise<void>;
  /** Before the exact wait: a cheaper wait that takes no CPU from the sink (bench). */
  beforeWait?(): Promise<void>;
  /** Right after the last row landed, before the checks (a bench stops its meters here). */
  afterWait?(): void;
  /** Rows compared value by value with what was sent (default 1000). */
  readonly sample?: number;
  readonly intervalMs?: number;
  readonly stallMs?: number;
  readonly onLanded?: (landed: number) => void;
  readonly signal?: AbortSignal;
}

/** What a round trip saw; times are epoch milliseconds. */
export interface RoundTripResult<P> {
  readonly produced: P;
  /** When the clock started: before producing, or before `afterProduce` when there is one. */
  readonly startMs: number;
  readonly landed: number;
  readonly landedAtMs: number;
  readonly mismatches: readonly Mismatch[];
  /** First and last batch committed by the sink, on PostgreSQL's clock. */
  readonly span: { readonly firstMs: number; readonly lastMs: number };
}

/** Produce → wait for every row → spot check → span; throws ROWS_MISSING when rows stop arriving. */
export async function roundTrip<P>(s: RoundTripSteps<P>): Promise<RoundTripResult<P>> {
  let startMs = Date.now();
  const produced = await s.produce();
  if (s.afterProduce) {
    startMs = Date.now();
    await s.afterProduce();
  }
  await s.beforeWait?.();
  const { landed, atMs } = await waitLanded(s.sql, s.table, s.run, {
    intervalMs: s.intervalMs,
    stallMs: s.stallMs,
    onProgress: s.onLanded,
    signal: s.signal,
  });
  s.afterWait?.();
  const mismatches = await spotCheck(s.sql, s.table, s.run, s.sample ?? 1000);
  const span = await sinkSpan(s.sql, s.table, s.run);
  return { produced, startMs, landed, landedAtMs: atMs, mismatches, span };
}

/** Throws when a round trip lost, added or altered rows (for jobs that only report speed). */
export function assertExact(table: string, run: Run, r: Pick<RoundTripResult<unknown>, "landed" | "mismatches">): void {
  if (r.mismatches.length) {
    const n = r.mismatches.length;
    throw new Error(`${table}: ${n} sampled rows differ from what was sent, e.g. ${JSON.stringify(r.mismatches[0])}`);
  }
  if (r.landed !== run.count) throw new Error(`${table}: ${r.landed} rows stored, ${run.count} sent`);
}
