import postgres from "postgres";
import { authHeaders, type HttpAuth } from "../config/http-auth.ts";
import type { KafkaSecurity } from "../config/kafka-security.ts";
import { ConnectClient } from "../connect/client.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "../contract/index.ts";
import type { pgTls } from "../db/tls.ts";
import { SluiceError } from "../errors.ts";
import { contractId } from "../registry/compatibility.ts";
import type { ApiKey } from "./auth.ts";
import type { DbGateway, RegistryGateway, ServerDeps } from "./deps.ts";
import { kafkaGateway } from "./kafka.ts";

/** application_name of the server's PostgreSQL sessions, so pg_stat_activity tells them apart. */
export const SERVER_APPLICATION_NAME = "sluice serve";

/**
 * PostgreSQL for the server: two connections at most, a short connect timeout so readiness answers quickly. `url`
 * logs in as the monitoring role (sluice_monitor) in the real service: everything below works without reading a
 * table's rows.
 */
export function dbGateway(url: string, tls: ReturnType<typeof pgTls> = {}): DbGateway & { close(): Promise<void> } {
  const sql = postgres(url, {
    ...tls,
    max: 2,
    connect_timeout: 2,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: SERVER_APPLICATION_NAME },
  });
  return {
    async ping() {
      await sql`select 1`;
    },
    async rowsWritten(table) {
      // PostgreSQL's cumulative statistics: free to read, flushed by each backend about once a second. A partitioned
      // table keeps no row counts of its own, so they are summed over its partitions (pg_partition_tree is empty for
      // a plain table, hence the table itself too).
      const [r] = await sql`select coalesce(sum(n_tup_ins + n_tup_upd), 0)::bigint as n from pg_stat_user_tables
                              where relid = ${table}::regclass or relid in (select relid from pg_partition_tree(${table}::regclass))`;
      return Number(r!.n);
    },
    close: () => sql.end({ timeout: 2 }),
  };
}

/** The registry for the server: the contract's schema id is looked up (registered, idempotently) once. */
export function registryGateway(url: string, auth?: HttpAuth): RegistryGateway {
  let id: Promise<number> | undefined;
  return {
    async ping() {
      const init = { headers: authHeaders(auth), signal: AbortSignal.timeout(2000) };
      const res = await fetch(`${url}/subjects`, init).catch((e: Error) => {
        throw new SluiceError("REGISTRY_UNREACHABLE", `schema registry at ${url} did not answer (${e.message})`);
      });
      if (!res.ok) throw new SluiceError("REGISTRY_HTTP", `schema registry answered ${res.status}`);
    },
    schemaId() {
      return (id ??= contractId(url, VALUE_SUBJECT, valueJsonSchema(), auth).catch((e) => {
        id = undefined;
        throw e;
      }));
    },
  };
}

/** Addresses and names the real service (or a test app) is built from. */
export interface ServerTarget {
  readonly brokers: string[];
  /** TLS and SASL for a secured cluster (config/kafka-security.ts). */
  readonly kafkaSecurity?: KafkaSecurity;
  /** Credentials of Connect's REST API and of the registry (config/http-auth.ts). */
  readonly connectAuth?: HttpAuth;
  /** TLS to PostgreSQL (db/tls.ts). */
  readonly postgresTls?: ReturnType<typeof pgTls>;
  readonly registryAuth?: HttpAuth;
  readonly connectUrl: string;
  readonly registryUrl: string;
  readonly postgresUrl: string;
  readonly apiKeys: readonly ApiKey[];
  readonly topic: string;
  readonly dlqTopic: string;
  readonly connector: string;
  readonly table: string;
  readonly limits?: ServerDeps["limits"];
  readonly streamIntervalMs?: number;
}

/** Real gateways for `target`, and a `close` that releases their connections. */
export function serverDeps(target: ServerTarget): { deps: ServerDeps; close(): Promise<void> } {
  const kafka = kafkaGateway(target.brokers, { security: target.kafkaSecurity });
  const db = dbGateway(target.postgresUrl, target.postgresTls);
  const deps: ServerDeps = {
    apiKeys: target.apiKeys,
    topic: target.topic,
    dlqTopic: target.dlqTopic,
    connector: target.connector,
    table: target.table,
    kafka,
    connect: new ConnectClient(target.connectUrl, target.connectAuth),
    db,
    registry: registryGateway(target.registryUrl, target.registryAuth),
    limits: target.limits,
    streamIntervalMs: target.streamIntervalMs,
  };
  return {
    deps,
    async close() {
      await Promise.allSettled([kafka.close(), db.close()]);
    },
  };
}
