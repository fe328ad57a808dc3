import { join } from "node:path";
import type { Admin } from "kafkajs";
import type { Env } from "./config/env.ts";
import { connectAuth } from "./config/http-auth.ts";
import { kafkaSecurity } from "./config/kafka-security.ts";
import { ConnectClient } from "./connect/client.ts";
import { type ConnectorSpec, readConnectorDir, renderConnector } from "./connect/desired.ts";
import { type ConnectCapabilities, capabilities } from "./connect/version.ts";
import { SluiceError } from "./errors.ts";
import { kafka } from "./kafka/client.ts";
import { planTopics, readTopicsFile, type TopicAction, type TopicDecl } from "./kafka/topic-plan.ts";
import { applyTopicPlan, liveTopics } from "./kafka/topics.ts";
import { clusterReplication } from "./stack/cluster.ts";
import type { StackContext } from "./stack/component.ts";
import { connectUrl, providerPolicy } from "./stack/connect.ts";
import { brokerAddresses } from "./stack/kafka.ts";

/**
 * Where desired state lives and how it meets the environment: the files are the truth; the live cluster is the
 * state (no state file). The commands and the setup job read through here, so `sluice connectors plan` shows exactly
 * what `sluice setup` would do.
 */

/** `connectors/` of the project. */
export const connectorsDir = (ctx: StackContext) => join(ctx.paths.root, "connectors");
/** `services/topics.json` of the project. */
export const topicsFile = (ctx: StackContext) => join(ctx.paths.root, "services", "topics.json");

/** The main sink's name; its topic and DLQ follow METRICS_TOPIC / DLQ_TOPIC. */
export const MAIN_CONNECTOR = "metrics-sink";

/**
 * The topics file with the environment applied: the entries `metrics` and `metrics.dlq` take the names of
 * METRICS_TOPIC / DLQ_TOPIC, and `metrics` the partition count of TOPIC_PARTITIONS_METRICS; on a multi-broker cluster
 * every entry gets its replication ({@link topicReplication}). Pure.
 */
export function localizeTopics(
  decls: readonly TopicDecl[],
  env: Pick<Env, "METRICS_TOPIC" | "DLQ_TOPIC" | "TOPIC_PARTITIONS_METRICS"> &
    Partial<Pick<Env, "TOPIC_REPLICATION_FACTOR" | "SLUICE_BROKERS">>,
): TopicDecl[] {
  const replication = topicReplication(env);
  const rf = replication?.replicationFactor;
  const minIsr = replication?.minInsyncReplicas;
  return decls
    .map((d) =>
      d.name === "metrics"
        ? { ...d, name: env.METRICS_TOPIC, partitions: env.TOPIC_PARTITIONS_METRICS }
        : d.name === "metrics.dlq"
          ? { ...d, name: env.DLQ_TOPIC }
          : d,
    )
    .map((d) => (rf === undefined ? d : { ...d, replicationFactor: rf }))
    .map((d) => (minIsr === undefined ? d : { ...d, config: { ...d.config, "min.insync.replicas": String(minIsr) } }));
}

/**
 * The replication the environment asks of every topic: TOPIC_REPLICATION_FACTOR when set (a cluster not started
 * here, docker compose's `scale` profile), else the local cluster's (SLUICE_BROKERS=3: three copies, two in sync),
 * else undefined (the topics file's values, one broker).
 */
export function topicReplication(
  env: Partial<Pick<Env, "TOPIC_REPLICATION_FACTOR" | "SLUICE_BROKERS">>,
): { replicationFactor: number; minInsyncReplicas?: number } | undefined {
  if (env.TOPIC_REPLICATION_FACTOR !== undefined) return { replicationFactor: env.TOPIC_REPLICATION_FACTOR };
  if ((env.SLUICE_BROKERS ?? 1) > 1) return clusterReplication(env.SLUICE_BROKERS!);
  return undefined;
}

/** Desired topics: the file (default `services/topics.json`) with the environment applied, names starting with `prefix`. */
export function desiredTopics(ctx: StackContext, file = topicsFile(ctx), prefix = ""): TopicDecl[] {
  return localizeTopics(readTopicsFile(file), ctx.env).filter((t) => t.name.startsWith(prefix));
}

/**
 * Desired connectors: every file of `dir` (default `connectors/`) whose name starts with `prefix`, rendered with the
 * contract's schemas; the main sink reads METRICS_TOPIC and writes bad records to DLQ_TOPIC.
 */
export function desiredConnectors(ctx: StackContext, dir = connectorsDir(ctx), prefix = ""): ConnectorSpec[] {
  // Refuses a file whose ${env:…}/${file:…} references the worker would not resolve.
  const dlqRf = topicReplication(ctx.env)?.replicationFactor;
  return readConnectorDir(dir, prefix, providerPolicy(ctx)).map((spec) =>
    renderConnector(spec, {
      ...(spec.name === MAIN_CONNECTOR
        ? { topics: ctx.env.METRICS_TOPIC, "errors.deadletterqueue.topic.name": ctx.env.DLQ_TOPIC }
        : {}),
      // A DLQ the worker creates itself gets the cluster's replication factor too.
      ...(dlqRf !== undefined && spec.config["errors.deadletterqueue.topic.name"] !== undefined
        ? { "errors.deadletterqueue.topic.replication.factor": String(dlqRf) }
        : {}),
    }),
  );
}

/** A Connect client for the stack. */
export const connectClient = (ctx: StackContext) => new ConnectClient(connectUrl(ctx), connectAuth(ctx.env));

/**
 * The worker's capabilities (`GET /`). Fails when the desired configs need a feature the worker lacks: the rendered
 * configs carry `*.converter.schema.content`, which needs Kafka Connect ≥ 4.2 (KIP-1054).
 */
export async function workerCapabilities(
  client: ConnectClient,
  desired: readonly ConnectorSpec[] = [],
): Promise<ConnectCapabilities> {
  const caps = capabilities((await client.info()).version);
  if (
    !caps.schemaContent &&
    desired.some((s) => Object.keys(s.config).some((k) => k.endsWith(".converter.schema.content")))
  ) {
    throw new SluiceError(
      "CONNECT_VERSION",
      `the connector configs set *.converter.schema.content, which needs Kafka Connect ≥ 4.2 (KIP-1054); the worker runs ${caps.version}. Upgrade the worker.`,
    );
  }
  return caps;
}

/** Runs `f` with a connected kafkajs admin for the stack. */
export async function withAdmin<T>(ctx: StackContext, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka(brokerAddresses(ctx), "sluice-provision", kafkaSecurity(ctx.env)).admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The topic plan against the cluster. */
export async function planTopicsLive(admin: Admin, desired: readonly TopicDecl[]): Promise<TopicAction[]> {
  return planTopics(
    desired,
    await liveTopics(
      admin,
      desired.map((t) => t.name),
    ),
  );
}

/** Plans and applies topics; returns the plan that was carried out. A refusal changes nothing. */
export async function applyTopics(admin: Admin, desired: readonly TopicDecl[]): Promise<TopicAction[]> {
  const actions = await planTopicsLive(admin, desired);
  await applyTopicPlan(admin, actions);
  return actions;
}
