import type { ConnectorStatus } from "../connect/client.ts";
import type { ServerDeps } from "./deps.ts";
import type { PartitionOffsets } from "./kafka.ts";

/** Consumer group of a sink connector: Kafka Connect names it `connect-<connector name>`. */
export const sinkGroup = (connector: string) => `connect-${connector}`;

/** Lag of one partition: end offset minus the group's committed offset (from the start when nothing is committed). */
export function lagOf(
  offsets: readonly PartitionOffsets[],
  committed: readonly { partition: number; offset: number }[],
): { partition: number; lag: number }[] {
  const byPartition = new Map(committed.map((c) => [c.partition, c.offset]));
  return offsets.map((o) => {
    const c = byPartition.get(o.partition);
    const from = c === undefined || c < 0 ? o.low : c;
    return { partition: o.partition, lag: Math.max(0, o.high - from) };
  });
}

/** The pipeline as seen at one instant; a part is null when its source did not answer (see `errors`). */
export interface PipelineSnapshot {
  readonly at: number;
  readonly topic: string;
  readonly offsets: PartitionOffsets[] | null;
  readonly lag: { partition: number; lag: number }[] | null;
  /** Records behind by the tasks' fetch positions (null when not read: no exporter, or it did not answer). */
  readonly position: { partition: number; lag: number }[] | null;
  readonly connector: { name: string; status: ConnectorStatus | null } | null;
  readonly dlq: { topic: string; depth: number; total: number } | null;
  readonly table: string;
  readonly rowsWritten: number | null;
  readonly errors: Readonly<Record<string, string>>;
}

/**
 * Records behind by the tasks' fetch positions, all partitions; null when unknown. Only while the connector and every
 * task run: a paused or failed task's consumer does not fetch, so its lag metric stays at its last value.
 */
export function positionLagOf(s: PipelineSnapshot): number | null {
  const status = s.connector?.status;
  const running = status?.connector.state === "RUNNING" && status.tasks.every((t) => t.state === "RUNNING");
  return running && s.position ? s.position.reduce((n, p) => n + p.lag, 0) : null;
}

const SOURCE_TIMEOUT_MS = 3000;

async function attempt<T>(name: string, errors: Record<string, string>, f: () => Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      f(),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS} ms`)), SOURCE_TIMEOUT_MS)),
      ),
    ]);
  } catch (e) {
    errors[name] = (e as Error).message;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads offsets, lag, connector state, DLQ and rows written from the live components, each with a time limit. */
export async function collectSnapshot(deps: ServerDeps): Promise<PipelineSnapshot> {
  const errors: Record<string, string> = {};
  const positionLag = deps.positionLag;
  const [offsets, committed, status, dlqOffsets, rowsWritten, position] = await Promise.all([
    attempt("kafka", errors, () => deps.kafka.topicOffsets(deps.topic)),
    attempt("lag", errors, () => deps.kafka.groupOffsets(sinkGroup(deps.connector), deps.topic)),
    attempt("connect", errors, () => deps.connect.status(deps.connector)),
    attempt("dlq", errors, () => deps.kafka.topicOffsets(deps.dlqTopic)),
    attempt("postgres", errors, () => deps.db.rowsWritten(deps.table)),
    positionLag ? attempt("task position", errors, positionLag) : null,
  ]);
  return {
    at: Date.now(),
    topic: deps.topic,
    offsets,
    lag: offsets && committed ? lagOf(offsets, committed) : null,
    position,
    connector: errors.connect ? null : { name: deps.connector, status: status ?? null },
    dlq: dlqOffsets
      ? {
          topic: deps.dlqTopic,
          depth: dlqOffsets.reduce((s, o) => s + (o.high - o.low), 0),
          total: dlqOffsets.reduce((s, o) => s + o.high, 0),
        }
      : null,
    table: deps.table,
    rowsWritten,
    errors,
  };
}

/**
 * Shares one snapshot among callers within `maxAgeMs` (a Prometheus scrape and every dashboard stream), so many
 * viewers cost the components no more than one.
 */
export function snapshotCache(deps: ServerDeps, maxAgeMs = 1000): () => Promise<PipelineSnapshot> {
  let last: { at: number; p: Promise<PipelineSnapshot> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= maxAgeMs) last = { at: Date.now(), p: collectSnapshot(deps) };
    return last.p;
  };
}
