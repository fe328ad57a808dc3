import { z } from "zod";
import { SqlIdentifier } from "../db/identifier.ts";
import { SluiceError } from "../errors.ts";

const port = (d: number) => z.coerce.number().int().min(1).max(65535).default(d);

/**
 * Every environment variable Sluice reads, with its default. `.env.example` documents the same keys; a unit test
 * keeps the two in step. Parsed once, at the entry point.
 */
export const EnvSchema = z.object({
  SLUICE_DATA_DIR: z.string().min(1).default(".sluice"),
  SLUICE_CACHE_DIR: z.string().min(1).optional(),
  SLUICE_HOST: z.string().default("127.0.0.1"),
  /**
   * Kafka nodes of the local stack (combined KRaft controller + broker): 1, or 3 for a real quorum with topics at
   * replication factor 3 and min.insync.replicas 2. Node i listens on KAFKA_PORT + 100 × (i − 1).
   */
  SLUICE_BROKERS: z.coerce
    .number()
    .int()
    .refine((n) => n === 1 || n === 3, "must be 1 or 3")
    .default(1),
  /** Kafka Connect workers of the local stack, in one group: 1 to 3. Worker i listens on CONNECT_PORT + 10 × (i − 1). */
  SLUICE_CONNECT_WORKERS: z.coerce.number().int().min(1).max(3).default(1),
  KAFKA_PORT: port(19092),
  KAFKA_CONTROLLER_PORT: port(19093),
  REGISTRY_PORT: port(18081),
  CONNECT_PORT: port(18083),
  POSTGRES_PORT: port(15432),
  /** Host of a PostgreSQL not started by `sluice up` (docker compose: postgres). */
  POSTGRES_HOST: z.string().optional(),
  POSTGRES_USER: SqlIdentifier.default("sluice"),
  POSTGRES_DB: SqlIdentifier.default("sluice"),
  /** When unset, the local stack generates one on first `up` and keeps it in <data dir>/secrets/. */
  POSTGRES_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /** Passwords of the sink and analyst login roles; when unset the local stack generates them into <data dir>/secrets/. */
  POSTGRES_SINK_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  POSTGRES_ANALYST_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /** Password of the monitoring role the admin service logs in as (sluice_monitor); generated like the two above. */
  POSTGRES_MONITOR_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /** Password of the maintenance role the admin's schedule logs in as (sluice_maintainer); generated like the above. */
  POSTGRES_MAINTAINER_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /** Width of a `metrics` partition (`sluice db maintain`): 1d, 6h, 1w… (no months: ranges are fixed-length). */
  METRICS_PARTITION_INTERVAL: z
    .string()
    .regex(/^\d+\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?)$/, "must look like 1d, 6h, 30m or 1w")
    .default("1d"),
  /** Partitions `sluice db maintain` keeps created ahead of now. */
  METRICS_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(1000).default(7),
  /** Partitions entirely older than this are dropped by `sluice db maintain` (e.g. 30d); `none` keeps everything. */
  METRICS_RETENTION: z
    .string()
    .regex(/^(none|\d+\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?))$/, "must look like 30d, 12h or none")
    .default("30d"),
  /**
   * How often the admin service (`sluice serve`) runs one maintenance pass (partitions, retention, rollups) on
   * `metrics`: 60s, 5m, 1h…; 0 turns the schedule off (then run `sluice db maintain` yourself).
   */
  METRICS_MAINTAIN_EVERY: z
    .string()
    .regex(/^(0|[1-9]\d*[smh])$/, "must look like 60s, 5m, 1h or 0 (off)")
    .default("60s"),
  METRICS_TOPIC: z.string().default("metrics"),
  DLQ_TOPIC: z.string().default("metrics.dlq"),
  TOPIC_PARTITIONS_METRICS: z.coerce.number().int().min(1).max(1000).default(6),
  /**
   * Replication factor of every topic in services/topics.json and of the DLQ the connector may create; unset keeps the
   * file's values (1, single node). docker compose's `scale` profile (three brokers) sets 3.
   */
  TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).optional(),
  CONNECT_HEAP: z
    .string()
    .regex(/^\d+[mg]$/, "must look like 2g or 1536m")
    .default("640m"),
  KAFKA_HEAP: z
    .string()
    .regex(/^\d+[mg]$/, "must look like 1g or 768m")
    .default("512m"),
  /** Collector of the broker's and the worker's JVMs (src/stack/java.ts). */
  JVM_GC: z.enum(["g1", "parallel"]).default("parallel"),
  /**
   * Addresses of a stack not started by `sluice up` (docker compose, a real cluster). When unset, they derive from
   * SLUICE_HOST and the ports above.
   */
  KAFKA_BOOTSTRAP: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, "must be host:port[,host:port…]")
    .optional(),
  /**
   * The local stack's Kafka: plaintext (default, the demo) or sasl_ssl: TLS with the stack's own CA, SCRAM-SHA-512
   * users (admin for the nodes, connect for the worker, sluice for Sluice's commands) made with generated passwords
   * on first `up`; Sluice's clients then default to the `sluice` user. Fixed per data dir (docs/clusters.md).
   */
  SLUICE_SECURITY: z.enum(["plaintext", "sasl_ssl"]).default("plaintext"),
  /**
   * How every Kafka client of Sluice connects (load tester, setup, topics, dlq, audit, chaos, bench, the admin
   * service): PLAINTEXT (the local stack's default), SSL, SASL_PLAINTEXT or SASL_SSL. See docs/clusters.md.
   */
  KAFKA_SECURITY_PROTOCOL: z.enum(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]).default("PLAINTEXT"),
  /** SASL mechanism with SASL_*: PLAIN (API keys of managed clusters) or SCRAM-SHA-256/512. */
  KAFKA_SASL_MECHANISM: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** The SASL password, or KAFKA_SASL_PASSWORD_FILE: a file holding it (kept out of the environment). */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  /** PEM file of the CA that signed the brokers' certificates, with SSL/SASL_SSL (default: the system's CAs). */
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  REGISTRY_URL: z.url().optional(),
  /** Basic auth of the registry (the Confluent-style API keys managed registries use); password or its file. */
  REGISTRY_USERNAME: z.string().min(1).optional(),
  REGISTRY_PASSWORD: z.string().min(1).optional(),
  REGISTRY_PASSWORD_FILE: z.string().min(1).optional(),
  CONNECT_URL: z.url().optional(),
  /** Basic auth of Kafka Connect's REST API (its basic-auth extension), and the PEM of a private CA for https. */
  CONNECT_USERNAME: z.string().min(1).optional(),
  CONNECT_PASSWORD: z.string().min(1).optional(),
  CONNECT_PASSWORD_FILE: z.string().min(1).optional(),
  CONNECT_CA_FILE: z.string().min(1).optional(),
  /**
   * TLS to PostgreSQL for every Sluice client and the sink's JDBC URL: disable (default), require (encrypted, the
   * server's certificate not checked) or verify-full (checked against POSTGRES_SSLROOTCERT, else the system's CAs, and
   * the host name). The local stack's PostgreSQL serves TLS with a certificate from <data>/secrets/tls/ca.crt.
   */
  POSTGRES_SSLMODE: z.enum(["disable", "require", "verify-full"]).default("disable"),
  POSTGRES_SSLROOTCERT: z.string().min(1).optional(),
  /** JDBC URL the Connect worker uses to reach PostgreSQL (set in the worker's environment, read by the connector). */
  SINK_JDBC_URL: z.string().startsWith("jdbc:postgresql://").optional(),
  /** The one folder the Connect worker's file config provider reads (`${file:…}`); default <data>/secrets/connect. */
  CONNECT_SECRETS_DIR: z.string().min(1).optional(),
  /** Time zone of the Connect worker's process (TZ). The stack pins the JVM to UTC whatever this is. */
  CONNECT_TZ: z.string().optional(),
  /** Load tester (`sluice produce`) defaults, under the original PoC's names: sends in flight (p-queue). */
  PRODUCER_QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Metrics per publish cycle, drawn from [min, max]. */
  PRODUCER_MIN_METRICS: z.coerce.number().int().min(1).max(10_000_000).default(2500),
  PRODUCER_MAX_METRICS: z.coerce.number().int().min(1).max(10_000_000).default(7500),
  /** Devices publishing per cycle, drawn from [min, max]. */
  PRODUCER_MIN_DEVICES: z.coerce.number().int().min(1).max(1_000_000).default(3),
  PRODUCER_MAX_DEVICES: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Milliseconds between publish cycles. */
  PRODUCER_PUBLISH_INTERVAL: z.coerce.number().int().min(1).max(3_600_000).default(250),
  /** Messages per Kafka produce request. */
  KAFKA_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(250),
  /** kafkajs maxInFlightRequests per broker connection. */
  KAFKA_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * The load tester's idempotent producer (`on`: one send in flight, the only safe way with kafkajs; see
   * docs/decisions/producer-delivery.md). Default: on with SLUICE_BROKERS > 1, off on one node.
   */
  PRODUCER_IDEMPOTENCE: z.enum(["on", "off"]).optional(),
  /** Port of the admin/ingest service (`sluice serve`, started by `sluice up`). */
  ADMIN_PORT: port(3000),
  /** Port of the Prometheus JMX exporter agent in the Kafka Connect worker (Connect and JVM metrics). */
  CONNECT_JMX_PORT: port(18084),
  /**
   * API keys of the ingest and admin routes, comma-separated, each with its scope: `ingest:KEY` (POST /v1/metrics) or
   * `admin:KEY` (/v1/admin/*); a bare KEY (written before scopes existed) keeps both. When neither this nor
   * SLUICE_API_KEY_FILE is set, the local stack generates one key per scope on first `up` into <data dir>/secrets/.
   */
  SLUICE_API_KEYS: z.string().min(1).optional(),
  /** A file holding the API keys, written like SLUICE_API_KEYS (one per line or comma-separated; `#` comments). */
  SLUICE_API_KEY_FILE: z.string().min(1).optional(),
});

export type Env = Readonly<z.infer<typeof EnvSchema>>;

/** Parses the environment once; throws a readable message naming each bad key. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const r = EnvSchema.safeParse(raw);
  if (!r.success)
    throw new ConfigError(
      `invalid environment:\n${z.prettifyError(r.error)}\nFix the variable(s) above (see .env.example).`,
    );
  return Object.freeze(r.data);
}

/** A problem in configuration the user must fix; retrying does not help. */
export class ConfigError extends SluiceError {
  constructor(message: string) {
    super("CONFIG", message);
  }
}
