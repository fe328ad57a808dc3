import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logFile, render, type Component, type StackContext } from "./component.ts";
import { ensureDebezium, ensureKafkaJars, ensureSluicePlugin } from "./fetch.ts";
import { classpath, jvmArgs } from "./java.ts";
import { bootstrap } from "./kafka.ts";
import { postgresPassword } from "./postgres.ts";
import { spawnDetached } from "./process.ts";

export const JDBC_SINK_CLASS = "io.debezium.connector.jdbc.JdbcSinkConnector";
export const connectUrl = (ctx: StackContext) => ctx.env.CONNECT_URL ?? `http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_PORT}`;

/**
 * Environment of the worker process: connector configs read the database location and credentials from it through
 * the env config provider (`${env:SLUICE_SINK_DB_PASSWORD}`), so no secret is ever written into a connector config.
 */
export function workerSecretsEnv(ctx: StackContext): Record<string, string> {
  const { env } = ctx;
  return {
    SLUICE_SINK_JDBC_URL: env.SINK_JDBC_URL ?? `jdbc:postgresql://${env.SLUICE_HOST}:${env.POSTGRES_PORT}/${env.POSTGRES_DB}`,
    SLUICE_SINK_DB_USER: env.POSTGRES_USER,
    SLUICE_SINK_DB_PASSWORD: postgresPassword(ctx),
  };
}

export function connectComponent(ctx: StackContext): Component {
  const dir = join(ctx.paths.data, "connect");
  const config = join(dir, "worker.properties");
  let jars = "";

  return {
    name: "connect",
    port: ctx.env.CONNECT_PORT,
    version: `${ctx.versions.KAFKA_VERSION} + Debezium JDBC ${ctx.versions.DEBEZIUM_VERSION}`,
    startTimeoutMs: 180_000,
    async prepare() {
      jars = await ensureKafkaJars(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log);
      const debezium = await ensureDebezium(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log);
      const plugins = `${debezium},${ensureSluicePlugin(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log)}`;
      mkdirSync(dir, { recursive: true });
      const template = readFileSync(join(ctx.paths.root, "services", "connect", "worker.properties"), "utf8");
      writeFileSync(
        config,
        render(template, { BOOTSTRAP: bootstrap(ctx), HOST: ctx.env.SLUICE_HOST, PORT: ctx.env.CONNECT_PORT, PLUGIN_PATH: plugins }),
      );
    },
    start() {
      const tz = ctx.env.CONNECT_TZ ? { TZ: ctx.env.CONNECT_TZ } : {};
      return spawnDetached({
        cmd: "java",
        args: ["-cp", classpath(jars), ...jvmArgs(ctx.env.CONNECT_HEAP, ctx.paths.root), "org.apache.kafka.connect.cli.ConnectDistributed", config],
        cwd: dir,
        env: { ...process.env, ...ctx.childEnv, ...tz, ...workerSecretsEnv(ctx) },
        log: logFile(ctx, "connect"),
      });
    },
    async healthy() {
      const res = await fetch(`http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_PORT}/connector-plugins`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return false;
      const plugins = (await res.json()) as { class: string }[];
      return plugins.some((p) => p.class === JDBC_SINK_CLASS);
    },
  };
}
