import { z } from "zod";
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
  KAFKA_PORT: port(19092),
  KAFKA_CONTROLLER_PORT: port(19093),
  REGISTRY_PORT: port(18081),
  CONNECT_PORT: port(18083),
  POSTGRES_PORT: port(15432),
  /** Host of a PostgreSQL not started by `sluice up` (docker compose: postgres). */
  POSTGRES_HOST: z.string().optional(),
  POSTGRES_USER: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier").default("sluice"),
  POSTGRES_DB: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier").default("sluice"),
  /** When unset, the local stack generates one on first `up` and keeps it in <data dir>/secrets/. */
  POSTGRES_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  METRICS_TOPIC: z.string().default("metrics"),
  DLQ_TOPIC: z.string().default("metrics.dlq"),
  TOPIC_PARTITIONS_METRICS: z.coerce.number().int().min(1).max(1000).default(6),
  CONNECT_HEAP: z.string().regex(/^\d+[mg]$/, "must look like 2g or 1536m").default("2g"),
  KAFKA_HEAP: z.string().regex(/^\d+[mg]$/, "must look like 1g or 768m").default("1g"),
  /**
   * Addresses of a stack not started by `sluice up` (docker compose, a real cluster). When unset, they derive from
   * SLUICE_HOST and the ports above.
   */
  KAFKA_BOOTSTRAP: z.string().regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, "must be host:port[,host:port…]").optional(),
  REGISTRY_URL: z.url().optional(),
  CONNECT_URL: z.url().optional(),
  /** JDBC URL the Connect worker uses to reach PostgreSQL (set in the worker's environment, read by the connector). */
  SINK_JDBC_URL: z.string().startsWith("jdbc:postgresql://").optional(),
  /** Time zone of the Connect worker's process (TZ). The stack pins the JVM to UTC whatever this is. */
  CONNECT_TZ: z.string().optional(),
});

export type Env = Readonly<z.infer<typeof EnvSchema>>;

/** Parses the environment once; throws a readable message naming each bad key. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const r = EnvSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(`invalid environment:\n${z.prettifyError(r.error)}\nFix the variable(s) above (see .env.example).`);
  return Object.freeze(r.data);
}

/** A problem in configuration the user must fix; retrying does not help. */
export class ConfigError extends SluiceError {
  constructor(message: string) {
    super("CONFIG", message, false);
  }
}
