import type { Kafka } from "kafkajs";
import { toDeadLetter, type DeadLetter } from "./record.ts";

/**
 * Reads a DLQ topic: the last `last` records of each partition (all when omitted), oldest first per partition.
 * Uses a throw-away consumer that commits nothing, so reading never moves anybody's offsets.
 */
export async function readDeadLetters(kafka: Kafka, topic: string, opts: { last?: number; timeoutMs?: number } = {}): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const ranges = offsets
    .map((p) => {
      const high = BigInt(p.high);
      const low = BigInt(p.low);
      const from = opts.last === undefined ? low : high - BigInt(opts.last) > low ? high - BigInt(opts.last) : low;
      return { partition: p.partition, from, high };
    })
    .filter((r) => r.from < r.high);
  if (ranges.length === 0) return [];
  const want = ranges.reduce((s, r) => s + Number(r.high - r.from), 0);
  const out: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `sluice-dlq-read-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const r = ranges.find((x) => x.partition === partition);
        if (!r || BigInt(message.offset) < r.from || BigInt(message.offset) >= r.high) return;
        out.push(toDeadLetter({ partition, ...message }));
        if (out.length >= want) done();
      },
    });
    for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    const timeout = new Promise<void>((r) => setTimeout(r, opts.timeoutMs ?? 30_000));
    await Promise.race([finished, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
