// kafkajs 2.2.4's send path (patches/kafkajs+2.2.4.patch) when a partition's leadership moves between two attempts
// of one send: the real sendMessages and retrier of kafkajs, driven through a cluster whose metadata we control.
import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const createSendMessages = require("kafkajs/src/producer/sendMessages.js") as (deps: unknown) => SendMessages;
const createRetry = require("kafkajs/src/retry/index.js") as (o: object) => unknown;

type SendMessages = (args: {
  acks: number;
  timeout: number;
  compression?: number;
  topicMessages: { topic: string; messages: { key: string; value: string; partition: number }[] }[];
}) => Promise<{ topicName: string; partition: number; errorCode: number }[]>;

interface Produced {
  node: number;
  partition: number;
  keys: string[];
}

/**
 * Two brokers; partition 0 led by node 1, partition 1 by node 2. Node 2 fails its first produce with a connection
 * error, and the refresh that follows says node 1 now leads partition 1 (as after node 2's controlled shutdown).
 */
function cluster(failNode2Times: number) {
  const leaders = new Map([
    [0, 1],
    [1, 2],
  ]);
  const produced: Produced[] = [];
  let node2Failures = 0;
  const broker = (node: number) => ({
    nodeId: node,
    async produce({
      topicData,
    }: {
      topicData: { topic: string; partitions: { partition: number; messages: { key: string }[] }[] }[];
    }) {
      if (node === 2 && node2Failures < failNode2Times) {
        node2Failures++;
        const e = new Error("Connection error: connect ECONNREFUSED 127.0.0.1:2");
        e.name = "KafkaJSConnectionError";
        throw e;
      }
      for (const t of topicData)
        for (const p of t.partitions)
          produced.push({ node, partition: p.partition, keys: p.messages.map((m) => m.key) });
      return {
        topics: topicData.map((t) => ({
          topicName: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: "0" })),
        })),
      };
    },
  });
  const brokers = new Map([
    [1, broker(1)],
    [2, broker(2)],
  ]);
  const fake = {
    targetTopics: new Set<string>(),
    async addMultipleTargetTopics() {},
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      leaders.set(1, 1);
    },
    isConnected: () => true,
    findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    findLeaderForPartitions(_topic: string, partitions: string[]) {
      const out: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (out[leaders.get(p)!] ??= []).push(p);
      return out;
    },
    async findBroker({ nodeId }: { nodeId: string }) {
      return brokers.get(Number(nodeId));
    },
  };
  return { fake, produced };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const eosManager = {
  isTransactional: () => false,
  getSequence: () => 0,
  updateSequence() {},
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
  async acquireBrokerLock() {},
  async releaseBrokerLock() {},
};

function sender(fake: unknown): SendMessages {
  return createSendMessages({
    logger: quiet,
    cluster: fake,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
}

const messages = [
  { key: "a", value: "1", partition: 0 },
  { key: "b", value: "2", partition: 1 },
  { key: "c", value: "3", partition: 1 },
];

describe("kafkajs send (patched)", () => {
  test("a partition that moved to a broker which already answered is still sent, and acknowledged once", async () => {
    const { fake, produced } = cluster(1);
    const result = await sender(fake)({ acks: -1, timeout: 1000, topicMessages: [{ topic: "t", messages }] });
    // Unpatched kafkajs resolved here having sent only partition 0: node 1 had answered, so it was skipped.
    expect(produced).toEqual([
      { node: 1, partition: 0, keys: ["a"] },
      { node: 1, partition: 1, keys: ["b", "c"] },
    ]);
    expect(result.map((r) => r.partition).sort()).toEqual([0, 1]);
  });

  test("a partition acknowledged in an earlier attempt is not sent again", async () => {
    const { fake, produced } = cluster(1);
    await sender(fake)({ acks: -1, timeout: 1000, topicMessages: [{ topic: "t", messages }] });
    expect(produced.filter((p) => p.partition === 0)).toHaveLength(1);
  });

  test("a partition with no known leader fails the send instead of being dropped", async () => {
    const { fake } = cluster(0);
    fake.findLeaderForPartitions = () => ({ 1: [0] });
    const send = sender(fake)({ acks: -1, timeout: 1000, topicMessages: [{ topic: "t", messages }] });
    await expect(send).rejects.toThrow(/No leader known for partition\(s\) 1 of topic t/);
  });
});

describe("kafkajs' grouping of a send's messages by partition (patched: linear instead of an array copy per message)", () => {
  const group = require("kafkajs/src/producer/groupMessagesPerPartition.js") as (a: {
    topic: string;
    partitionMetadata: unknown[];
    messages: { key: string; partition: number }[];
    partitioner: (a: { message: { partition: number } }) => number;
  }) => Record<string, { key: string }[]>;
  const partitioner = ({ message }: { message: { partition: number } }) => message.partition;

  test("each partition gets its messages in send order; no partitions, no groups", () => {
    const messages = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, partition: (i * 7) % 6 }));
    const groups = group({ topic: "t", partitionMetadata: [{}], messages, partitioner });
    expect(Object.keys(groups)).toEqual(["0", "1", "2", "3", "4", "5"]);
    for (const [p, ms] of Object.entries(groups))
      expect(ms.map((m) => m.key)).toEqual(messages.filter((m) => m.partition === Number(p)).map((m) => m.key));
    expect(group({ topic: "t", partitionMetadata: [], messages, partitioner })).toEqual({});
  });
});
