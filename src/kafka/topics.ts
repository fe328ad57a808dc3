import { type Admin, ConfigResourceTypes } from "kafkajs";
import { SluiceError } from "../errors.ts";
import type { LiveTopic, TopicAction } from "./topic-plan.ts";

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** Default 1 (one node). */
  readonly replicationFactor?: number;
  readonly configEntries?: readonly { name: string; value: string }[];
}

/** Creates the topics that are missing; returns the names created. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.numPartitions,
      replicationFactor: s.replicationFactor ?? 1,
      configEntries: s.configEntries ? [...s.configEntries] : undefined,
    })),
  });
  return missing.map((s) => s.topic);
}

/** Kafka's config source for a value set on the topic itself (DescribeConfigs `DYNAMIC_TOPIC_CONFIG`). */
const DYNAMIC_TOPIC_CONFIG = 1;

/** The named topics as the cluster has them (absent ones are missing from the map). */
export async function liveTopics(admin: Admin, names: readonly string[]): Promise<Map<string, LiveTopic>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  const out = new Map<string, LiveTopic>();
  if (present.length === 0) return out;
  const [meta, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: present }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    }),
  ]);
  for (const t of meta.topics) {
    const entries = configs.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
    out.set(t.name, {
      name: t.name,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      config: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
      dynamic: Object.fromEntries(
        entries
          .filter((e) => e.configSource === DYNAMIC_TOPIC_CONFIG && !e.isSensitive)
          .map((e) => [e.configName, e.configValue]),
      ),
    });
  }
  return out;
}

/**
 * Carries out a topic plan. A plan with a refusal changes nothing. kafkajs only speaks the non-incremental
 * AlterConfigs, which replaces every topic-level config, so an alter sends the topic's current dynamic configs merged
 * with the desired ones (the planner computes that set).
 */
export async function applyTopicPlan(admin: Admin, actions: readonly TopicAction[]): Promise<void> {
  const refused = actions.filter((a) => a.kind === "refuse");
  if (refused.length) {
    throw new SluiceError(
      "TOPIC_REFUSED",
      `nothing applied; the topics file asks for changes Kafka cannot make in place:\n${refused.map((a) => `  ${a.name}: ${a.reason}`).join("\n")}`,
    );
  }
  const creates = actions.flatMap((a) => (a.kind === "create" ? [a.topic] : []));
  if (creates.length) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: creates.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const alters = actions.flatMap((a) => (a.kind === "alter" ? [a] : []));
  if (alters.length) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: alters.map((a) => ({
        type: ConfigResourceTypes.TOPIC,
        name: a.name,
        configEntries: Object.entries(a.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const grows = actions.flatMap((a) => (a.kind === "partitions" ? [a] : []));
  if (grows.length)
    await admin.createPartitions({ topicPartitions: grows.map((a) => ({ topic: a.name, count: a.to })) });
}
