import type { Kafka } from "kafkajs";
import { keyOf } from "../contract/index.ts";
import { encodeKey, encodeValue } from "../producer/encode.ts";
import { partitionFor } from "../producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../producer/send.ts";
import { judge, type FixName } from "./fix.ts";
import type { DeadLetter } from "./record.ts";

export interface ReplayPlan {
  readonly replay: { readonly letter: DeadLetter; readonly key: string; readonly value: string; readonly deviceId: string }[];
  readonly keep: { readonly letter: DeadLetter; readonly reason: string }[];
}

/** Splits dead letters into those that now pass the contract (after `fixes`) and those that stay. Pure. */
export function planReplay(letters: readonly DeadLetter[], fixes: readonly FixName[], where?: string): ReplayPlan {
  const replay: ReplayPlan["replay"][number][] = [];
  const keep: ReplayPlan["keep"][number][] = [];
  for (const letter of letters) {
    if (where && !letter.reason.includes(where)) continue;
    const v = judge(letter.value, letter.key, fixes);
    if (v.ok) replay.push({ letter, key: encodeKey(keyOf(v.metric)), value: encodeValue(v.metric), deviceId: v.metric.device_id });
    else keep.push({ letter, reason: v.reason });
  }
  return { replay, keep };
}

/**
 * Sends the replayable records back to `topic`, partitioned by device like every producer of Sluice, so per-key
 * order holds and the sink's upsert makes a second replay of the same record harmless (one row per key).
 */
export async function executeReplay(kafka: Kafka, topic: string, plan: ReplayPlan, schemaId: number): Promise<number> {
  if (plan.replay.length === 0) return 0;
  const admin = kafka.admin();
  await admin.connect();
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect())).topics;
  const partitions = meta!.partitions.length;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: plan.replay.map((r) => ({
        key: r.key,
        value: r.value,
        partition: partitionFor(r.deviceId, partitions),
        headers: { [SCHEMA_ID_HEADER]: String(schemaId), "sluice-replayed-from": `${r.letter.origin.topic}/${r.letter.origin.partition}/${r.letter.origin.offset}` },
      })),
    });
  } finally {
    await producer.disconnect();
  }
  return plan.replay.length;
}
