import type { ServerDeps } from "./deps.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { DEFAULT_LIMITS, type IngestLimits } from "./ingest.ts";
import { serverMetrics } from "./metrics.ts";
import { readinessCache } from "./ready.ts";
import { redactor } from "./redact.ts";
import { type PipelineSnapshot, positionLagOf, snapshotCache } from "./snapshot.ts";

/** What the sub-apps share: the deps, the caches built on them, and this process's counters. */
export interface AppState {
  readonly deps: ServerDeps;
  readonly limits: IngestLimits;
  /** Removes the configured API keys (and other credentials) from text shown or logged. */
  readonly scrub: (text: string) => string;
  readonly log: (line: string) => void;
  readonly ready: ReturnType<typeof readinessCache>;
  readonly snapshot: ReturnType<typeof snapshotCache>;
  readonly metrics: ReturnType<typeof serverMetrics>;
  readonly idempotency: IdempotencyStore;
  readonly startedAt: number;
  /** Metrics this server accepted (shown in the pipeline view). */
  ingestAccepted: number;
}

/** Builds the shared state from `deps` (no sockets: the caches call deps only when asked). */
export function appState(deps: ServerDeps): AppState {
  const snapshot = deps.snapshot ?? snapshotCache(deps);
  return {
    deps,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    scrub: redactor(deps.apiKeys.map((k) => k.key)),
    log: deps.log ?? ((line: string) => console.error(line)),
    ready: readinessCache(deps),
    snapshot,
    metrics: serverMetrics(snapshot, deps.healerRestarts, deps.maintenance, deps.watchdog),
    idempotency: new IdempotencyStore(),
    startedAt: Date.now(),
    ingestAccepted: 0,
  };
}

/** What the dashboard and `/v1/pipeline` show: the snapshot in a compact form, plus this server's ingest count. */
export function pipelineView(s: PipelineSnapshot, ingestAccepted: number) {
  return {
    at: s.at,
    topic: s.topic,
    produced: s.offsets ? s.offsets.reduce((n, o) => n + o.high, 0) : null,
    lag: s.lag ? s.lag.reduce((n, l) => n + l.lag, 0) : null,
    lagByPartition: s.lag,
    positionLag: positionLagOf(s),
    table: s.table,
    rowsWritten: s.rowsWritten,
    dlq: s.dlq,
    connector: s.connector
      ? {
          name: s.connector.name,
          state: s.connector.status?.connector.state ?? "MISSING",
          tasks: (s.connector.status?.tasks ?? []).map((t) => ({ id: t.id, state: t.state })),
        }
      : null,
    ingestAccepted,
    errors: s.errors,
  };
}
