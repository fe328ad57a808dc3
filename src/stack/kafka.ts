import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logLevel } from "kafkajs";
import { parseEnv } from "../config/env.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { SluiceError } from "../errors.ts";
import { kafka } from "../kafka/client.ts";
import { nodeMetadata } from "../kafka/node-metadata.ts";
import { type BrokerNode, brokerList, brokerNodes, clusterReplication, quorumVoters } from "./cluster.ts";
import { type Component, logFile, render, type StackContext } from "./component.ts";
import { ensureKafkaJars } from "./fetch.ts";
import { classpath, jvmArgs } from "./java.ts";
import {
  brokerSecurityLines,
  checkSecurityMode,
  kafkaTlsStores,
  scramFormatArgs,
  securedClientDefaults,
} from "./kafka-security.ts";
import { spawnDetached } from "./process.ts";

/** Bootstrap addresses for clients, comma-separated (KAFKA_BOOTSTRAP, else every local node). */
export const bootstrap = (ctx: StackContext) => brokerList(ctx.env).join(",");

/** Bootstrap addresses for kafkajs, one per element. */
export const brokerAddresses = (ctx: StackContext) => brokerList(ctx.env);

/**
 * A KRaft cluster id as Kafka's StorageTool makes one: 16 random bytes in unpadded base64url, never starting with
 * `-` (a command line would read it as a flag). Made here, not by a JVM, so parallel node starts agree on one.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** The cluster id every node is formatted with, and the node count it was formatted for, kept beside node 1. */
export function clusterIdentity(ctx: StackContext): { clusterId: string } {
  const dir = join(ctx.paths.data, "kafka");
  const idFile = join(dir, "cluster.id");
  const shapeFile = join(dir, "brokers");
  mkdirSync(dir, { recursive: true });
  const formatted = existsSync(join(dir, "logs", "meta.properties"));
  checkSecurityMode(ctx, formatted);
  // A data dir formatted before clusters existed holds one node and no shape file.
  const shape = existsSync(shapeFile) ? Number(readFileSync(shapeFile, "utf8").trim()) : formatted ? 1 : undefined;
  const want = ctx.env.SLUICE_BROKERS;
  if (shape !== undefined && shape !== want) {
    throw new SluiceError(
      "CLUSTER_SHAPE",
      `kafka: the data dir ${ctx.paths.data} holds a ${shape}-node Kafka cluster, but SLUICE_BROKERS is ${want}. ` +
        `Set SLUICE_BROKERS=${shape}, or use another SLUICE_DATA_DIR for a ${want}-node stack (or, losing its ` +
        "topics, `sluice down` and remove the data dir's kafka* folders).",
    );
  }
  if (!existsSync(idFile)) {
    // Storage formatted before the id was kept here: its meta.properties names it.
    const meta = formatted ? readFileSync(join(dir, "logs", "meta.properties"), "utf8") : "";
    writeFileSync(idFile, `${/^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim() ?? newClusterId()}\n`);
  }
  writeFileSync(shapeFile, `${want}\n`);
  return { clusterId: readFileSync(idFile, "utf8").trim() };
}

/**
 * One node's view over SASL_SSL as the stack's `sluice` user (a secured node speaks nothing else): kafkajs with that
 * node alone as seed; its metadata names the live brokers and the active controller.
 */
async function securedNodeMetadata(
  ctx: StackContext,
  port: number,
): Promise<{ brokers: number[]; controllerId: number }> {
  const security = kafkaSecurity(parseEnv(securedClientDefaults(ctx)));
  const admin = kafka([`${ctx.env.SLUICE_HOST}:${port}`], "sluice-health", {
    ...security,
    connectionTimeout: 1500,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    return { brokers: c.brokers.map((b) => b.nodeId), controllerId: c.controller ?? -1 };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Every Kafka node of the local stack (SLUICE_BROKERS), each a component of its own. */
export function kafkaComponents(ctx: StackContext): Component[] {
  return brokerNodes(ctx.env).map((node) => kafkaComponent(ctx, node));
}

/** One combined KRaft controller + broker node. */
export function kafkaComponent(ctx: StackContext, node: BrokerNode = brokerNodes(ctx.env)[0]!): Component {
  const dir = join(ctx.paths.data, node.name);
  const logs = join(dir, "logs");
  const config = join(dir, "server.properties");
  const { replicationFactor, minInsyncReplicas } = clusterReplication(ctx.env.SLUICE_BROKERS);
  const secured = ctx.env.SLUICE_SECURITY === "sasl_ssl";
  let jars = "";

  const java = (args: string[]) =>
    spawnSync(
      "java",
      ["-cp", classpath(jars), ...jvmArgs("256m", ctx.paths.root), "kafka.tools.StorageTool", ...args],
      {
        encoding: "utf8",
        env: { ...ctx.baseEnv },
      },
    );

  return {
    name: node.name,
    port: node.port,
    otherPorts: [node.controllerPort],
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
          NODE_ID: node.id,
          VOTERS: quorumVoters(ctx.env),
          PORT: node.port,
          CONTROLLER_PORT: node.controllerPort,
          DATA: logs,
          RF: replicationFactor,
          MIN_ISR: minInsyncReplicas,
        }),
      );
      if (secured) {
        // The admin user's password is in it: readable by the supervisor's user only.
        const lines = brokerSecurityLines(ctx, node, await kafkaTlsStores(ctx));
        writeFileSync(config, `\n${lines.join("\n")}\n`, { flag: "a" });
        chmodSync(config, 0o600);
      }
      const { clusterId } = clusterIdentity(ctx);
      if (existsSync(join(logs, "meta.properties"))) return;
      ctx.log(`${node.name}: formatting KRaft storage${secured ? " with its SCRAM users" : ""}…`);
      const fmt = java(["format", "-t", clusterId, "-c", config, ...(secured ? scramFormatArgs(ctx) : [])]);
      if (fmt.status !== 0) {
        throw new SluiceError(
          "KAFKA_FORMAT",
          `${node.name}: formatting storage failed:\n${(fmt.stderr || fmt.stdout).slice(-800)}`,
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
        log: logFile(ctx, node.name),
      });
    },
    /** This node answers, counts itself among the live brokers, and names a controller (a quorum). */
    async healthy() {
      const m = secured
        ? await securedNodeMetadata(ctx, node.port)
        : await nodeMetadata(ctx.env.SLUICE_HOST, node.port, 1500);
      return m.brokers.includes(node.id) && m.controllerId >= 0;
    },
  };
}
