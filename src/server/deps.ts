import type { ConnectClient } from "../connect/client.ts";
import type { WatchdogFile } from "../stack/watch-state.ts";
import type { ApiKey } from "./auth.ts";
import type { HistorySampler } from "./history-sampler.ts";
import type { IngestLimits } from "./ingest.ts";
import type { KafkaGateway } from "./kafka.ts";
import type { MaintenanceState } from "./maintenance.ts";
import type { PipelineSnapshot } from "./snapshot.ts";

/** What the server needs from PostgreSQL. */
export interface DbGateway {
  ping(): Promise<void>;
  /** Rows inserted plus updated in `table` since statistics were reset (PostgreSQL's own counters, cheap to read). */
  rowsWritten(table: string): Promise<number>;
}

/** What the server needs from the schema registry. */
export interface RegistryGateway {
  ping(): Promise<void>;
  /** Registry id of the contract's value schema, sent in every message's schema-id header. */
  schemaId(): Promise<number>;
}

/**
 * Everything the app is built from. Routes touch components only through these, so a test can build an app on a
 * sandbox topic/table/connector, or on a broker address where nothing listens.
 */
export interface ServerDeps {
  /** Accepted API keys with their scopes: POST /v1/metrics needs an ingest key, /v1/admin/* an admin key. */
  readonly apiKeys: readonly ApiKey[];
  /** Topic ingest writes to (METRICS_TOPIC for the real service). */
  readonly topic: string;
  readonly dlqTopic: string;
  /** Sink connector reading `topic` into `table`. */
  readonly connector: string;
  readonly table: string;
  readonly kafka: KafkaGateway;
  readonly connect: Pick<ConnectClient, "status" | "restartConnector" | "restartTask" | "info">;
  readonly db: DbGateway;
  readonly registry: RegistryGateway;
  readonly limits?: Partial<IngestLimits>;
  /** Interval of the dashboard's live updates. Default 1000 ms. */
  readonly streamIntervalMs?: number;
  /** Event streams (`/events`) open at once; one more is refused with 503 and Retry-After. Default 32. */
  readonly maxEventStreams?: number;
  /**
   * An event stream whose client has not taken the last event within this long is closed (its slot freed), so a
   * stalled client holds at most one event in the server. Default 15,000 ms.
   */
  readonly eventStallMs?: number;
  /** Where failures are logged with their request id (details never go into answers). Default: stderr. */
  readonly log?: (line: string) => void;
  /** Task restarts asked for by the self-healer (src/connect/healer.ts), per connector, when it runs. */
  readonly healerRestarts?: ReadonlyMap<string, number>;
  /** The maintenance schedule's state (src/server/maintenance.ts), when the schedule runs in this service. */
  readonly maintenance?: () => MaintenanceState;
  /** The local stack's watchdog state (restarts per component), when this service runs beside one. */
  readonly watchdog?: () => WatchdogFile | undefined;
  /** A shared snapshot cache (snapshot.ts), when something outside the app (the history sampler) reads it too. */
  readonly snapshot?: () => Promise<PipelineSnapshot>;
  /**
   * The sink tasks' position lag per partition (task-position.ts: the workers' JMX exporters), when they can be read;
   * the committed-offset lag trails it by up to one commit interval.
   */
  readonly positionLag?: () => Promise<{ partition: number; lag: number }[]>;
  /** The charts' history (history-sampler.ts), when the service samples the pipeline. */
  readonly history?: Pick<HistorySampler, "points" | "everyMs" | "windowMs">;
}
