import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { SluiceError } from "../errors.ts";
import { type Component, logFile, render, type StackContext } from "./component.ts";
import { ensureKafkaJars } from "./fetch.ts";
import { classpath, jvmArgs } from "./java.ts";
import { spawnDetached } from "./process.ts";

/** Bootstrap address of the local broker. */
export const bootstrap = (ctx: StackContext) =>
  ctx.env.KAFKA_BOOTSTRAP ?? `${ctx.env.SLUICE_HOST}:${ctx.env.KAFKA_PORT}`;

export function kafkaComponent(ctx: StackContext): Component {
  const dir = join(ctx.paths.data, "kafka");
  const logs = join(dir, "logs");
  const config = join(dir, "server.properties");
  let jars = "";

  return {
    name: "kafka",
    port: ctx.env.KAFKA_PORT,
    otherPorts: [ctx.env.KAFKA_CONTROLLER_PORT],
    version: ctx.versions.KAFKA_VERSION,
    startTimeoutMs: 90_000,
    async prepare() {
      jars = await ensureKafkaJars(ctx.paths.root, ctx.paths.cache, ctx.versions, ctx.log);
      mkdirSync(logs, { recursive: true });
      const template = readFileSync(join(ctx.paths.root, "services", "kafka", "server.properties"), "utf8");
      writeFileSync(
        config,
        render(template, {
          HOST: ctx.env.SLUICE_HOST,
          PORT: ctx.env.KAFKA_PORT,
          CONTROLLER_PORT: ctx.env.KAFKA_CONTROLLER_PORT,
          DATA: logs,
        }),
      );
      if (existsSync(join(logs, "meta.properties"))) return;
      ctx.log("kafka: formatting KRaft storage…");
      const java = (args: string[]) =>
        spawnSync(
          "java",
          ["-cp", classpath(jars), ...jvmArgs("256m", ctx.paths.root), "kafka.tools.StorageTool", ...args],
          { encoding: "utf8", env: { ...ctx.baseEnv } },
        );
      const id = java(["random-uuid"]);
      const clusterId = id.stdout.trim().split("\n").pop() ?? "";
      const fmt = id.status === 0 ? java(["format", "-t", clusterId, "-c", config]) : id;
      if (fmt.status !== 0) {
        throw new SluiceError(
          "KAFKA_FORMAT",
          `kafka: formatting storage failed:\n${(fmt.stderr || fmt.stdout).slice(-800)}`,
        );
      }
    },
    start() {
      return spawnDetached({
        cmd: "java",
        args: [
          "-cp",
          classpath(jars),
          ...jvmArgs(ctx.env.KAFKA_HEAP, ctx.paths.root, ctx.env.JVM_GC),
          "kafka.Kafka",
          config,
        ],
        cwd: dir,
        env: { ...ctx.baseEnv, ...ctx.childEnv },
        log: logFile(ctx, "kafka"),
      });
    },
    async healthy() {
      const admin = new Kafka({
        clientId: "sluice-health",
        brokers: [`${ctx.env.SLUICE_HOST}:${ctx.env.KAFKA_PORT}`],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        const c = await admin.describeCluster();
        return c.brokers.length > 0 && c.controller !== null;
      } finally {
        await admin.disconnect();
      }
    },
  };
}
