import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { connectAuth, fetchAuth } from "../config/http-auth.ts";
import type { ProviderPolicy } from "../connect/secrets.ts";
import { jdbcTlsParams } from "../db/tls.ts";
import { brokerList, clusterReplication, type WorkerNode, workerNodes } from "./cluster.ts";
import { type Component, logFile, render, type StackContext } from "./component.ts";
import {
  ensureConnectBasicAuth,
  ensureDebezium,
  ensureJmxExporter,
  ensureKafkaJars,
  ensureSluicePlugin,
} from "./fetch.ts";
import { CONNECT_GC_FLAGS, classpath, jvmArgs } from "./java.ts";
import { bootstrap } from "./kafka.ts";
import { ensureLocalAcls } from "./kafka-acls.ts";
import { connectRestSecurity, type RestSecurity, workerSecurityLines } from "./kafka-security.ts";
import { rolePassword } from "./postgres.ts";
import { spawnDetached } from "./process.ts";

/** Sluice's sink (services/connect/sluice-plugin), the one connectors/metrics-sink.json uses. */
export const SLUICE_SINK_CLASS = "dev.sluice.connect.sink.PgUpsertSinkConnector";
/** The Debezium JDBC sink, installed beside it (the bench's comparison, and a drop-in alternative). */
export const JDBC_SINK_CLASS = "io.debezium.connector.jdbc.JdbcSinkConnector";
export const connectUrl = (ctx: StackContext) =>
  ctx.env.CONNECT_URL ?? workerUrl(ctx, `${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_PORT}`);

/** A local worker's REST base URL: HTTPS on a secured stack (SLUICE_SECURITY=sasl_ssl). */
export const workerUrl = (ctx: StackContext, hostPort: string) =>
  `${ctx.env.SLUICE_SECURITY === "sasl_ssl" ? "https" : "http"}://${hostPort}`;

/**
 * Environment of the worker process: connector configs read the database location and credentials from it through
 * the env config provider (`${env:SLUICE_SINK_DB_PASSWORD}`), so no secret is ever written into a connector config.
 */
export function workerSecretsEnv(ctx: StackContext): Record<string, string> {
  const { env } = ctx;
  const url =
    env.SINK_JDBC_URL ??
    `jdbc:postgresql://${env.SLUICE_HOST}:${env.POSTGRES_PORT}/${env.POSTGRES_DB}${jdbcTlsParams(env)}`;
  return {
    SLUICE_SINK_JDBC_URL: url,
    // The same database for a sink that writes with JDBC batches (the Debezium alternative): pgjdbc sends a batch of
    // INSERTs as multi-row statements only with reWriteBatchedInserts, the setting its documentation recommends.
    SLUICE_SINK_JDBC_URL_BATCHED: withJdbcParam(url, "reWriteBatchedInserts=true"),
    // The sink role (src/db/roles.ts): INSERT/UPDATE on metrics only, never the superuser.
    SLUICE_SINK_DB_USER: "sluice_sink",
    SLUICE_SINK_DB_PASSWORD: rolePassword(ctx, "sink"),
  };
}

/** `url` with one more query parameter. */
export const withJdbcParam = (url: string, param: string) => `${url}${url.includes("?") ? "&" : "?"}${param}`;

/**
 * Variables the worker's env config provider resolves for connector configs, matched whole (the worker's
 * `config.providers.env.param.allowlist.pattern`): the sink's own, nothing else of the worker's environment.
 */
export const SINK_ENV_PATTERN = "SLUICE_SINK_[A-Z0-9_]+";

/**
 * The one folder the worker's file config provider may read (`config.providers.file.param.allowed.paths`):
 * CONNECT_SECRETS_DIR, else <data dir>/secrets/connect. Not the stack's whole secrets folder, which also holds the
 * superuser's and the other roles' passwords.
 */
export function connectSecretsDir(ctx: StackContext): string {
  const dir = ctx.env.CONNECT_SECRETS_DIR;
  if (!dir) return join(ctx.paths.secrets, "connect");
  return isAbsolute(dir) ? dir : resolve(ctx.paths.root, dir);
}

/** What connector configs may reference through the worker's providers; `sluice connectors` checks files with it. */
export function providerPolicy(ctx: StackContext): ProviderPolicy {
  return { envPattern: SINK_ENV_PATTERN, secretsDir: connectSecretsDir(ctx) };
}

/**
 * JVM flag that loads the Prometheus JMX exporter agent: Connect's JMX metrics (connector/task states, sink rates,
 * errors) and JVM metrics served at http://<host>:<CONNECT_JMX_PORT>/metrics, shaped by services/connect/jmx-exporter.yml.
 */
export function jmxAgentArg(jar: string, host: string, port: number, root: string): string {
  return `-javaagent:${jar}=${host}:${port}:${join(root, "services", "connect", "jmx-exporter.yml")}`;
}

/** Every Connect worker of the local stack (SLUICE_CONNECT_WORKERS), all in one group. */
export function connectComponents(ctx: StackContext): Component[] {
  return workerNodes(ctx.env).map((w) => connectComponent(ctx, w));
}

/**
 * A Kafka Connect worker of the stack's group. `sluice up` runs SLUICE_CONNECT_WORKERS of them (`connect`,
 * `connect-2`…); the chaos suite adds one more (another name and ports) to show tasks moving when a worker dies.
 */
export function connectComponent(ctx: StackContext, worker: WorkerNode = workerNodes(ctx.env)[0]!): Component {
  const dir = join(ctx.paths.data, worker.name);
  const config = join(dir, "worker.properties");
  let jars = "";
  let jmxAgent = "";
  let rest: RestSecurity | undefined;
  let authJar = "";

  return {
    name: worker.name,
    port: worker.port,
    otherPorts: [worker.jmxPort],
    version: `${ctx.versions.KAFKA_VERSION} + Sluice sink + Debezium JDBC ${ctx.versions.DEBEZIUM_VERSION}`,
    startTimeoutMs: 180_000,
    async prepare() {
      jars = await ensureKafkaJars(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log);
      const debezium = await ensureDebezium(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log);
      const plugins = `${debezium},${ensureSluicePlugin(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log)}`;
      jmxAgent = await ensureJmxExporter(ctx.paths.cache, ctx.log);
      mkdirSync(dir, { recursive: true });
      // The file provider refuses to start with an allowed path that does not exist.
      mkdirSync(connectSecretsDir(ctx), { recursive: true, mode: 0o700 });
      const template = readFileSync(join(ctx.paths.root, "services", "connect", "worker.properties"), "utf8");
      writeFileSync(
        config,
        render(template, {
          BOOTSTRAP: bootstrap(ctx),
          RF: clusterReplication(ctx.env.SLUICE_BROKERS).replicationFactor,
          HOST: ctx.env.SLUICE_HOST,
          PORT: worker.port,
          PLUGIN_PATH: plugins,
          SECRETS_DIR: connectSecretsDir(ctx),
        }),
      );
      if (ctx.env.SLUICE_SECURITY === "sasl_ssl") {
        // Kafka refuses everything without an ACL: the worker's must exist before it creates its internal topics.
        await ensureLocalAcls(ctx, brokerList(ctx.env));
        // Passwords are in it: readable by the supervisor's user only (never in a connector config).
        rest = await connectRestSecurity(ctx);
        authJar = await ensureConnectBasicAuth(ctx.paths.cache, ctx.versions, ctx.log);
        writeFileSync(config, `\n${workerSecurityLines(ctx, worker, rest).join("\n")}\n`, { flag: "a" });
        chmodSync(config, 0o600);
      }
    },
    start() {
      const tz = ctx.env.CONNECT_TZ ? { TZ: ctx.env.CONNECT_TZ } : {};
      return spawnDetached({
        cmd: "java",
        args: [
          "-cp",
          authJar ? `${classpath(jars)}:${authJar}` : classpath(jars),
          ...jvmArgs(ctx.env.CONNECT_HEAP, ctx.paths.root, ctx.env.JVM_GC),
          ...CONNECT_GC_FLAGS[ctx.env.JVM_GC],
          ...(rest ? [`-Djava.security.auth.login.config=${rest.jaas}`] : []),
          jmxAgentArg(jmxAgent, ctx.env.SLUICE_HOST, worker.jmxPort, ctx.paths.root),
          "org.apache.kafka.connect.cli.ConnectDistributed",
          config,
        ],
        cwd: dir,
        env: { ...ctx.baseEnv, ...ctx.childEnv, ...tz, ...workerSecretsEnv(ctx) },
        log: logFile(ctx, worker.name),
      });
    },
    async healthy() {
      const { headers, tls } = fetchAuth(connectAuth(ctx.env));
      const res = await fetch(`${workerUrl(ctx, `${ctx.env.SLUICE_HOST}:${worker.port}`)}/connector-plugins`, {
        headers,
        ...(tls ? { tls } : {}),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) return false;
      const plugins = (await res.json()) as { class: string }[];
      return [SLUICE_SINK_CLASS, JDBC_SINK_CLASS].every((c) => plugins.some((p) => p.class === c));
    },
  };
}
