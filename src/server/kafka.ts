import type { Admin, IHeaders, Message, Producer } from "kafkajs";
import type { KafkaSecurity } from "../config/kafka-security.ts";
import { SluiceError } from "../errors.ts";
import { kafka } from "../kafka/client.ts";
import { createDevicePartitioner } from "../producer/partitioner.ts";

/** End and start offset of one partition. */
export interface PartitionOffsets {
  readonly partition: number;
  readonly high: number;
  readonly low: number;
}

/** One record read back from a topic (DLQ peek). */
export interface PeekedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/**
 * What the server needs from Kafka. One interface so the app factory can be given a gateway to another broker (a
 * closed port in tests) without touching the routes.
 */
export interface KafkaGateway {
  /** Resolves when the cluster answers (describeCluster). */
  ping(): Promise<void>;
  /** Partition count of `topic` (cached briefly: it changes only when someone adds partitions). */
  partitions(topic: string): Promise<number>;
  /** Sends and resolves when every message is acknowledged by all in-sync replicas; rejects after `timeoutMs`. */
  send(topic: string, messages: Message[], timeoutMs: number): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed offset per partition of `groupId` on `topic` (-1 when nothing is committed). */
  groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: number }[]>;
  /** The last `n` records of each partition of `topic`, oldest first. */
  peek(topic: string, n: number, timeoutMs: number): Promise<PeekedRecord[]>;
  close(): Promise<void>;
}

/** Rejects with a retryable KAFKA_TIMEOUT after `ms` (the work itself goes on; kafkajs has no cancellation). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SluiceError("KAFKA_TIMEOUT", `${what} took longer than ${ms} ms; Kafka is slow or down`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const headerText = (v: IHeaders[string]): string =>
  v === undefined ? "" : Array.isArray(v) ? v.map((x) => x.toString()).join(",") : v.toString();

/**
 * A gateway on kafkajs, tuned to fail fast: a short connection timeout and few retries, so an unreachable broker
 * turns into a 503 within seconds instead of a request that hangs for kafkajs' default half minute of retries.
 * Connections are opened lazily and reopened after a failure.
 */
export function kafkaGateway(
  brokers: string[],
  opts: { connectionTimeoutMs?: number; requestTimeoutMs?: number; security?: KafkaSecurity } = {},
): KafkaGateway {
  const client = kafka(brokers, "sluice-server", {
    ...opts.security,
    connectionTimeout: opts.connectionTimeoutMs ?? 1000,
    requestTimeout: opts.requestTimeoutMs ?? 5000,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let admin: Promise<Admin> | undefined;
  let producer: Promise<Producer> | undefined;
  const partitionCache = new Map<string, { n: number; at: number }>();

  // A failed connect is forgotten so the next call tries again (the broker may be back).
  const getAdmin = () =>
    (admin ??= (async () => {
      const a = client.admin();
      await a.connect();
      return a;
    })().catch((e) => {
      admin = undefined;
      throw e;
    }));
  const getProducer = () =>
    (producer ??= (async () => {
      const p = client.producer({
        createPartitioner: createDevicePartitioner,
        allowAutoTopicCreation: false,
        idempotent: false,
      });
      await p.connect();
      return p;
    })().catch((e) => {
      producer = undefined;
      throw e;
    }));

  return {
    async ping() {
      const c = await (await getAdmin()).describeCluster();
      if (c.brokers.length === 0) throw new SluiceError("KAFKA_NO_BROKERS", "Kafka answered with no brokers");
    },
    async partitions(topic) {
      const hit = partitionCache.get(topic);
      if (hit && Date.now() - hit.at < 60_000) return hit.n;
      const [meta] = (await (await getAdmin()).fetchTopicMetadata({ topics: [topic] })).topics;
      const n = meta?.partitions.length ?? 0;
      if (n < 1) throw new SluiceError("TOPIC_MISSING", `topic ${topic} has no partitions; run \`sluice setup\``);
      partitionCache.set(topic, { n, at: Date.now() });
      return n;
    },
    async send(topic, messages, timeoutMs) {
      await withTimeout(
        getProducer().then((p) => p.send({ topic, messages, acks: -1 })),
        timeoutMs,
        `sending ${messages.length} messages to ${topic}`,
      );
    },
    async topicOffsets(topic) {
      const rows = await (await getAdmin()).fetchTopicOffsets(topic);
      return rows
        .map((r) => ({ partition: r.partition, high: Number(r.high), low: Number(r.low) }))
        .sort((a, b) => a.partition - b.partition);
    },
    async groupOffsets(groupId, topic) {
      const [t] = await (await getAdmin()).fetchOffsets({ groupId, topics: [topic] });
      return (t?.partitions ?? []).map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    },
    async peek(topic, n, timeoutMs) {
      const a = await getAdmin();
      const offsets = (await a.fetchTopicOffsets(topic)).map((r) => ({
        partition: r.partition,
        high: Number(r.high),
        low: Number(r.low),
      }));
      const wanted = offsets.filter((o) => o.high > o.low);
      if (wanted.length === 0) return [];
      const starts = new Map(wanted.map((o) => [o.partition, Math.max(o.low, o.high - n)]));
      const remaining = new Set(wanted.map((o) => o.partition));
      const out: PeekedRecord[] = [];
      // kafkajs has no manual assignment, so a throwaway group reads the tail and is deleted afterwards.
      const groupId = `sluice-peek-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
      const consumer = client.consumer({
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        rebalanceTimeout: 5_000,
      });
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const offset = Number(message.offset);
            const last = offsets.find((o) => o.partition === partition)!.high - 1;
            if (offset >= starts.get(partition)! && offset <= last) {
              out.push({
                partition,
                offset,
                timestamp: Number(message.timestamp),
                key: message.key?.toString("utf8") ?? null,
                value: message.value?.toString("utf8") ?? null,
                headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, headerText(v)])),
              });
            }
            if (offset >= last) {
              remaining.delete(partition);
              if (remaining.size === 0) finish();
            }
          },
        });
        for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: String(offset) });
        await withTimeout(done, timeoutMs, `reading the last ${n} records of ${topic}`);
      } finally {
        await consumer.disconnect().catch(() => {});
        await a.deleteGroups([groupId]).catch(() => {});
      }
      return out.sort((x, y) => x.partition - y.partition || x.offset - y.offset);
    },
    async close() {
      const [a, p] = await Promise.allSettled([admin, producer]);
      await Promise.allSettled([
        a.status === "fulfilled" && a.value ? a.value.disconnect() : undefined,
        p.status === "fulfilled" && p.value ? p.value.disconnect() : undefined,
      ]);
      admin = producer = undefined;
    },
  };
}
