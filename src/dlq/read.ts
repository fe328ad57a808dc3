import type { Kafka } from "kafkajs";
import { SluiceError } from "../errors.ts";
import { type DeadLetter, toDeadLetter } from "./record.ts";

/** The offsets of one partition to read: [from, end), `end` being the end offset fetched when the read started. */
export interface PartitionRange {
  readonly partition: number;
  readonly from: bigint;
  readonly end: bigint;
}

/** How far a read got in one partition: the next offset it expected. */
export interface PartitionProgress extends PartitionRange {
  readonly next: bigint;
}

/**
 * The error for a read that got fewer records than its end offsets promised: each partition that fell short, with
 * the offsets read and the offsets expected. Pure.
 */
export function shortReadError(topic: string, progress: readonly PartitionProgress[], why: string): SluiceError {
  const short = progress.filter((p) => p.next < p.end);
  const lines = short.map((p) => {
    const got = p.next === p.from ? `read no record from offset ${p.from}` : `read offsets ${p.from}..${p.next - 1n}`;
    return `partition ${p.partition}: ${got} (${p.next - p.from} of ${p.end - p.from}), end offset ${p.end}`;
  });
  return new SluiceError(
    "DLQ_SHORT_READ",
    `reading ${topic} stopped short (${why}):\n  ${lines.join("\n  ")}\n` +
      "Nothing past the offsets read was committed. Check the broker (sluice status) and run the command again.",
  );
}

export interface ReadRangesOptions {
  readonly topic: string;
  /** Consumer group of the read: the replay's progress group, or a throw-away one. */
  readonly groupId: string;
  readonly ranges: readonly PartitionRange[];
  /** Records per `onChunk` call (a chunk never spans partitions). */
  readonly chunkSize: number;
  /** Fail when no record arrives for this long while records are still expected. */
  readonly stallMs: number;
  /** Handles the next records of a partition in offset order; the read waits for it. */
  readonly onChunk: (letters: DeadLetter[]) => Promise<void>;
  /** Commit `last offset + 1` of each chunk to `groupId` once `onChunk` resolved. */
  readonly commit: boolean;
}

/**
 * Reads exactly the given offset ranges of a topic in bounded chunks, in offset order per partition. Fails loudly
 * (DLQ_SHORT_READ, naming partition and offsets) when a partition stalls before its end offset or skips offsets
 * (records deleted by retention while reading); a chunk's offsets are committed only after `onChunk` resolved.
 */
export async function readRanges(kafka: Kafka, o: ReadRangesOptions): Promise<void> {
  const state = new Map<number, { partition: number; from: bigint; end: bigint; next: bigint }>(
    o.ranges.map((r) => [r.partition, { ...r, next: r.from }]),
  );
  const progress = () => [...state.values()];
  const open = () => progress().filter((p) => p.next < p.end);
  if (open().length === 0) return;
  const consumer = kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false });
  let settle!: (e?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (e) => (e === undefined ? resolve() : reject(e))));
  // Handled by the `await done` below; a failure can come before it (e.g. a stall while joining the group).
  done.catch(() => {});
  let failed = false;
  const fail = (e: unknown) => {
    failed = true;
    settle(e);
  };
  let stall = setTimeout(() => fail(shortReadError(o.topic, progress(), `no record for ${o.stallMs} ms`)), o.stallMs);
  const moved = () => {
    clearTimeout(stall);
    stall = setTimeout(() => fail(shortReadError(o.topic, progress(), `no record for ${o.stallMs} ms`)), o.stallMs);
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const mine = new Set(payload.memberAssignment[o.topic] ?? []);
    const missing = open().filter((p) => !mine.has(p.partition));
    if (missing.length > 0) {
      const which = missing.map((p) => p.partition).join(", ");
      const msg = `another reader in group ${o.groupId} holds partition(s) ${which} of ${o.topic}`;
      const hint = "is a replay into the same target running? Wait for it, then run again.";
      fail(new SluiceError("DLQ_BUSY", `${msg}: ${hint}`));
    }
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const p = state.get(batch.partition);
        if (!p || failed) return;
        let chunk: DeadLetter[] = [];
        moved();
        const flush = async () => {
          if (chunk.length === 0) return;
          // The stall limit is about the DLQ yielding records, not about how long a chunk takes to handle.
          clearTimeout(stall);
          await o.onChunk(chunk);
          const last = chunk[chunk.length - 1]!.offset;
          chunk = [];
          if (o.commit) {
            await consumer.commitOffsets([{ topic: o.topic, partition: p.partition, offset: p.next.toString() }]);
          }
          resolveOffset(last);
          moved();
          await heartbeat();
        };
        try {
          for (const m of batch.messages) {
            const off = BigInt(m.offset);
            if (off < p.next) continue;
            if (off >= p.end) break;
            if (off > p.next) {
              const gone = `offsets ${p.next}..${off - 1n} of partition ${p.partition} are gone (retention?)`;
              fail(shortReadError(o.topic, progress(), gone));
              return;
            }
            chunk.push(toDeadLetter({ partition: p.partition, ...m }));
            p.next = off + 1n;
            if (chunk.length >= o.chunkSize) await flush();
          }
          await flush();
        } catch (e) {
          fail(e);
          return;
        }
        if (p.next >= p.end) consumer.pause([{ topic: o.topic, partitions: [p.partition] }]);
        if (open().length === 0) settle();
      },
    });
    for (const p of progress()) {
      if (p.next < p.end) consumer.seek({ topic: o.topic, partition: p.partition, offset: p.next.toString() });
      else consumer.pause([{ topic: o.topic, partitions: [p.partition] }]);
    }
    await done;
  } finally {
    clearTimeout(stall);
    await consumer.disconnect();
  }
}

/** The offsets of a topic: per partition the first and the end (next to be written) offset. */
export async function topicOffsets(
  kafka: Kafka,
  topic: string,
): Promise<{ partition: number; low: bigint; high: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }));
  } finally {
    await admin.disconnect();
  }
}

/** A consumer group id used once: reading with it moves nobody's offsets. */
export const throwAwayGroup = (what: string) => `sluice-${what}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * Reads a DLQ topic: the last `last` records of each partition (all when omitted), oldest first per partition, up
 * to the end offsets fetched at the start. Commits nothing. Fails (DLQ_SHORT_READ) rather than return fewer.
 */
export async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  opts: { last?: number; timeoutMs?: number } = {},
): Promise<DeadLetter[]> {
  const ranges = (await topicOffsets(kafka, topic)).map((p) => {
    const from = opts.last === undefined || p.high - BigInt(opts.last) < p.low ? p.low : p.high - BigInt(opts.last);
    return { partition: p.partition, from, end: p.high };
  });
  const out: DeadLetter[] = [];
  await readRanges(kafka, {
    topic,
    groupId: throwAwayGroup("dlq-read"),
    ranges,
    chunkSize: 1000,
    stallMs: opts.timeoutMs ?? 30_000,
    onChunk: async (letters) => void out.push(...letters),
    commit: false,
  });
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
