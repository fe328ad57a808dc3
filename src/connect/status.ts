import type { Admin } from "kafkajs";
import type { ConnectClient, ConnectorStatus } from "./client.ts";
import type { ConnectCapabilities } from "./version.ts";

/** The consumer lag of a sink connector on one partition. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The connector's committed offset; null when it has committed nothing on this partition yet. */
  readonly committed: number | null;
  /** Log end offset. */
  readonly end: number;
  readonly lag: number;
}

/** One connector as `sluice connectors status` shows it. */
export interface ConnectorReport {
  readonly name: string;
  readonly state: string;
  readonly worker: string;
  readonly trace?: string;
  readonly tasks: readonly { id: number; state: string; worker: string; trace?: string }[];
  readonly lag: readonly PartitionLag[];
}

/**
 * Lag per partition from committed offsets (`topic:partition` → offset) and the topics' offsets. A partition with no
 * commit lags by everything still retained (end − low). Pure.
 */
export function lagOf(
  committed: ReadonlyMap<string, number>,
  offsets: readonly { topic: string; partitions: readonly { partition: number; high: string; low: string }[] }[],
): PartitionLag[] {
  return offsets.flatMap(({ topic, partitions }) =>
    [...partitions]
      .sort((a, b) => a.partition - b.partition)
      .map((p) => {
        const c = committed.get(`${topic}:${p.partition}`) ?? null;
        const end = Number(p.high);
        return { topic, partition: p.partition, committed: c, end, lag: Math.max(0, end - (c ?? Number(p.low))) };
      }),
  );
}

/**
 * The committed offsets of a sink connector: from Connect's offsets API when the worker has it (≥ 3.5), else from its
 * consumer group (`connect-<name>` unless overridden).
 */
async function committedOffsets(
  client: ConnectClient,
  admin: Admin,
  name: string,
  config: Record<string, string>,
  topics: string[],
  caps: ConnectCapabilities,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (caps.offsetsApi) {
    for (const o of (await client.offsets(name))?.offsets ?? []) {
      if (o.partition.kafka_topic !== undefined && o.offset?.kafka_offset !== undefined)
        out.set(`${o.partition.kafka_topic}:${o.partition.kafka_partition}`, o.offset.kafka_offset);
    }
    return out;
  }
  const groupId = config["consumer.override.group.id"] ?? `connect-${name}`;
  for (const t of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(`${t.topic}:${p.partition}`, Number(p.offset));
  }
  return out;
}

/** Status, tasks and per-partition lag of the named connectors (a connector deleted meanwhile is skipped). */
export async function connectorReports(
  client: ConnectClient,
  admin: Admin,
  names: readonly string[],
  caps: ConnectCapabilities,
): Promise<ConnectorReport[]> {
  const reports: ConnectorReport[] = [];
  const existing = new Set(await admin.listTopics());
  for (const name of [...names].sort()) {
    const [status, config] = await Promise.all([client.status(name), client.getConfig(name)]);
    if (!status || !config) continue;
    const sink = status.type === undefined ? "topics" in config || "topics.regex" in config : status.type === "sink";
    let lag: PartitionLag[] = [];
    if (sink) {
      const topics = (config.topics ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter((t) => existing.has(t));
      const committed = await committedOffsets(client, admin, name, config, topics, caps);
      for (const key of committed.keys()) {
        const t = key.slice(0, key.lastIndexOf(":"));
        if (!topics.includes(t) && existing.has(t)) topics.push(t);
      }
      const offsets = await Promise.all(
        topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })),
      );
      lag = lagOf(committed, offsets);
    }
    reports.push(report(status, lag));
  }
  return reports;
}

function report(s: ConnectorStatus, lag: PartitionLag[]): ConnectorReport {
  return {
    name: s.name,
    state: s.connector.state,
    worker: s.connector.worker_id,
    ...(s.connector.trace ? { trace: s.connector.trace } : {}),
    tasks: s.tasks.map((t) => ({
      id: t.id,
      state: t.state,
      worker: t.worker_id,
      ...(t.trace ? { trace: t.trace } : {}),
    })),
    lag,
  };
}
