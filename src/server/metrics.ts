import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { WatchdogFile } from "../stack/watch-state.ts";
import type { MaintenanceState } from "./maintenance.ts";
import { registerMaintenanceMetrics } from "./maintenance-metrics.ts";
import type { PipelineSnapshot } from "./snapshot.ts";
import { registerWatchdogMetrics } from "./watchdog-metrics.ts";

/** Connect's connector and task states; each gets a 0/1 series so an alert can match `state="FAILED"`. */
export const CONNECT_STATES = ["UNASSIGNED", "RUNNING", "PAUSED", "STOPPED", "FAILED", "RESTARTING"] as const;

/** The server's Prometheus metrics, one registry per app so tests can build several apps in one process. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly ingestRequests: Counter<"code">;
  readonly ingestMetrics: Counter<"outcome">;
  readonly ingestDuration: Histogram<"code">;
  readonly kafkaSendDuration: Histogram<"outcome">;
  readonly ingestInFlight: Gauge;
}

/**
 * Builds the registry. Pipeline metrics (offsets, lag, connector and task states, DLQ, rows written) are read from
 * `snapshot` at scrape time, so they are as fresh as the scrape; ingest metrics are counted as requests happen.
 */
export function serverMetrics(
  snapshot: () => Promise<PipelineSnapshot>,
  healerRestarts?: ReadonlyMap<string, number>,
  maintenance?: () => MaintenanceState,
  watchdog?: () => WatchdogFile | undefined,
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerMaintenanceMetrics(registry, maintenance);
  registerWatchdogMetrics(registry, watchdog);
  const opts = { registers: [registry] };
  new Counter({
    name: "sluice_healer_restarts_total",
    help: "Restarts of failed tasks (transient causes: database or broker away) asked for by the admin service's self-healer.",
    labelNames: ["connector"] as const,
    ...opts,
    collect() {
      this.reset();
      for (const [connector, n] of healerRestarts ?? []) this.inc({ connector }, n);
    },
  });

  const ingestRequests = new Counter({
    name: "sluice_ingest_requests_total",
    help: "POST /v1/metrics requests by HTTP status code.",
    labelNames: ["code"] as const,
    ...opts,
  });
  const ingestMetrics = new Counter({
    name: "sluice_ingest_metrics_total",
    help: "Metrics received over HTTP: accepted (acknowledged by Kafka) or rejected (invalid, or Kafka failed).",
    labelNames: ["outcome"] as const,
    ...opts,
  });
  const ingestDuration = new Histogram({
    name: "sluice_ingest_request_duration_seconds",
    help: "Time to answer POST /v1/metrics, by HTTP status code.",
    labelNames: ["code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ...opts,
  });
  const kafkaSendDuration = new Histogram({
    name: "sluice_ingest_kafka_send_duration_seconds",
    help: "Time from sending an ingest batch to Kafka until all in-sync replicas acknowledged it (or it failed).",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ...opts,
  });
  const ingestInFlight = new Gauge({
    name: "sluice_ingest_inflight_batches",
    help: "Ingest batches waiting for Kafka's acknowledgement.",
    ...opts,
  });

  // Scrape-time gauges. Every collect() awaits the same cached snapshot.
  new Gauge({
    name: "sluice_kafka_topic_end_offset",
    help: "End offset (next offset to be written) per partition of the metrics topic.",
    labelNames: ["topic", "partition"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const o of s.offsets ?? []) this.set({ topic: s.topic, partition: String(o.partition) }, o.high);
    },
  });
  new Gauge({
    name: "sluice_connector_consumer_lag_messages",
    help: "Records of the metrics topic not yet committed by the sink connector's consumer group, per partition.",
    labelNames: ["connector", "topic", "partition"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const l of s.lag ?? [])
        this.set({ connector: s.connector?.name ?? "", topic: s.topic, partition: String(l.partition) }, l.lag);
    },
  });
  new Gauge({
    name: "sluice_connector_state",
    help: "1 for the sink connector's current state, 0 for the others (no series when Connect does not answer).",
    labelNames: ["connector", "state"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s.connector) return;
      const current = s.connector.status?.connector.state ?? "UNASSIGNED";
      for (const state of CONNECT_STATES) this.set({ connector: s.connector.name, state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: "sluice_connector_task_state",
    help: "1 for each sink task's current state, 0 for the others.",
    labelNames: ["connector", "task", "state"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const t of s.connector?.status?.tasks ?? []) {
        for (const state of CONNECT_STATES)
          this.set({ connector: s.connector!.name, task: String(t.id), state }, state === t.state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "sluice_connector_tasks",
    help: "Tasks the sink connector has (0 when it has none, which also means nothing is sunk).",
    labelNames: ["connector"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s.connector) this.set({ connector: s.connector.name }, s.connector.status?.tasks.length ?? 0);
    },
  });
  new Gauge({
    name: "sluice_dlq_depth_messages",
    help: "Records retained in the dead-letter topic.",
    labelNames: ["topic"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s.dlq) this.set({ topic: s.dlq.topic }, s.dlq.depth);
    },
  });
  new Counter({
    name: "sluice_dlq_messages_total",
    help: "Records ever written to the dead-letter topic (sum of its end offsets); rate() gives the DLQ rate.",
    labelNames: ["topic"] as const,
    ...opts,
    async collect() {
      const s = await snapshot();
      if (!s.dlq) return;
      this.reset();
      this.inc({ topic: s.dlq.topic }, s.dlq.total);
    },
  });
  new Counter({
    name: "sluice_postgres_rows_written_total",
    help: "Rows inserted or updated in the metrics table (PostgreSQL's statistics); rate() gives rows/s landed.",
    labelNames: ["table"] as const,
    ...opts,
    async collect() {
      const s = await snapshot();
      if (s.rowsWritten === null) return;
      this.reset();
      this.inc({ table: s.table }, s.rowsWritten);
    },
  });
  new Gauge({
    name: "sluice_source_up",
    help: "1 when the server could read this source at the last scrape (kafka, lag, connect, dlq, postgres), else 0.",
    labelNames: ["source"] as const,
    ...opts,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const source of ["kafka", "lag", "connect", "dlq", "postgres"])
        this.set({ source }, s.errors[source] ? 0 : 1);
    },
  });

  return { registry, ingestRequests, ingestMetrics, ingestDuration, kafkaSendDuration, ingestInFlight };
}
