import type { IHeaders, Kafka } from "kafkajs";
import { SluiceError } from "../errors.ts";
import { encodeValue } from "../producer/encode.ts";
import { indexOfKey, metricAt, type Run } from "../producer/workload.ts";

/** A record's place in Kafka: what Connect's DLQ context headers name for a dead letter. */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One record read back from a topic. */
export interface ReadRecord extends Origin {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** How the DLQ of a run compares with the poison records in its source topic, origin by origin. */
export interface DeadLetterCount {
  /** Poison records in the source topic (each at its own partition/offset). */
  readonly poison: number;
  /** Records in the DLQ. */
  readonly records: number;
  /** Poison records found in the DLQ exactly once. */
  readonly once: number;
  /** Poison records not in the DLQ (`topic-partition@offset`). */
  readonly missing: readonly string[];
  /** Origins in the DLQ more than once (`topic-partition@offset ×n`). */
  readonly duplicates: readonly string[];
  /** Dead letters whose origin is no poison record of the source topic (a valid record, no headers, …). */
  readonly foreign: readonly string[];
}

const ORIGIN = {
  topic: "__connect.errors.topic",
  partition: "__connect.errors.partition",
  offset: "__connect.errors.offset",
};
const at = (o: Origin) => `${o.topic}-${o.partition}@${o.offset}`;

/** The origin a dead letter's context headers name (`errors.deadletterqueue.context.headers.enable=true`). */
export function originOf(letter: Pick<ReadRecord, "headers">): Origin {
  const h = letter.headers;
  return {
    topic: h[ORIGIN.topic] ?? "",
    partition: Number(h[ORIGIN.partition] ?? NaN),
    offset: h[ORIGIN.offset] ?? "",
  };
}

/**
 * Matches dead letters to poison records by origin (topic, partition, offset): each poison record must be in the DLQ
 * exactly once and nothing else may be. Pure.
 */
export function countDeadLetters(
  poison: readonly Origin[],
  letters: readonly Pick<ReadRecord, "headers">[],
): DeadLetterCount {
  const seen = new Map<string, number>(poison.map((p) => [at(p), 0]));
  const foreign: string[] = [];
  for (const l of letters) {
    const o = at(originOf(l));
    const n = seen.get(o);
    if (n === undefined) foreign.push(o);
    else seen.set(o, n + 1);
  }
  const missing = [...seen].filter(([, n]) => n === 0).map(([o]) => o);
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([o, n]) => `${o} ×${n}`);
  const once = [...seen.values()].filter((n) => n === 1).length;
  return { poison: poison.length, records: letters.length, once, missing, duplicates, foreign };
}

/** True when every poison record is in the DLQ exactly once and nothing else is. */
export const exactlyOnce = (c: DeadLetterCount) =>
  c.once === c.poison &&
  c.records === c.poison &&
  c.missing.length === 0 &&
  c.duplicates.length === 0 &&
  c.foreign.length === 0;

/**
 * True when every poison record is in the DLQ and nothing else is, some possibly twice: what Kafka Connect promises
 * after a fault, since a restarted or reassigned task re-reads from the last committed offset and dead-letters again
 * what it had dead-lettered after it (the DLQ is at least once; count and replay by origin).
 */
export const atLeastOnce = (c: DeadLetterCount) =>
  c.missing.length === 0 && c.foreign.length === 0 && c.once + c.duplicates.length === c.poison;

/**
 * The poison records of a run's source topic: records whose value is not the exact encoding of the metric their key
 * names (the chaos producer keys every poison record like a valid metric of the run, see scenarios.ts).
 */
export function poisonOf(run: Run, records: readonly ReadRecord[]): Origin[] {
  const out: Origin[] = [];
  for (const r of records) {
    let k = -1;
    try {
      k = r.key === null ? -1 : indexOfKey(run, JSON.parse(r.key));
    } catch {
      // an unreadable key is poison too
    }
    const valid = k >= 0 && r.value === encodeValue(metricAt(run, k));
    if (!valid) out.push({ topic: r.topic, partition: r.partition, offset: r.offset });
  }
  return out;
}

/** Waits until `topic` holds at least `n` records, or until its count has not moved for `stallMs`. */
export async function waitForDeadLetters(kafka: Kafka, topic: string, n: number, stallMs = 30_000): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let count = -1;
    let movedAt = performance.now();
    for (;;) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const now = offsets.reduce((s, p) => s + Number(BigInt(p.high) - BigInt(p.low)), 0);
      if (now !== count) [count, movedAt] = [now, performance.now()];
      if (count >= n || performance.now() - movedAt > stallMs) return count;
      await Bun.sleep(250);
    }
  } finally {
    await admin.disconnect();
  }
}

/** A count for a run that produced nothing (a scenario that could not run). */
export const NO_DEAD_LETTERS: DeadLetterCount = {
  poison: 0,
  records: 0,
  once: 0,
  missing: [],
  duplicates: [],
  foreign: [],
};

const text = (v: IHeaders[string]): string =>
  v === undefined ? "" : Array.isArray(v) ? v.map(String).join(",") : String(v);

/**
 * Every record of `topic` up to the end offsets it has when called. Fails (rather than returning fewer) if they do
 * not all arrive (no new record for `stallMs`): a short read would make a count look right or wrong for the wrong
 * reason.
 */
export async function readTopic(kafka: Kafka, topic: string, stallMs = 30_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const ranges = new Map(ends.map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
  const want = [...ranges.values()].reduce((n, r) => n + Number(r.high - r.low), 0);
  const out: ReadRecord[] = [];
  if (want === 0) return out;
  const groupId = `sluice-chaos-read-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message: m }) => {
        const r = ranges.get(partition);
        if (!r || BigInt(m.offset) >= r.high) return;
        const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]));
        const [key, value] = [m.key?.toString() ?? null, m.value?.toString() ?? null];
        out.push({ topic, partition, offset: m.offset, key, value, headers });
      },
    });
    let seen = 0;
    let movedAt = performance.now();
    while (out.length < want && performance.now() - movedAt < stallMs) {
      await Bun.sleep(100);
      if (out.length !== seen) [seen, movedAt] = [out.length, performance.now()];
    }
  } finally {
    await consumer.disconnect();
  }
  if (out.length < want) {
    throw new SluiceError(
      "KAFKA_READ",
      `reading ${topic}: expected ${want} records (its end offsets), got ${out.length} (none for ${stallMs / 1000} s); ` +
        "is the broker healthy? Retry once the stack is up (sluice status)",
    );
  }
  return out;
}
