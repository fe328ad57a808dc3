import type { Kafka, Producer } from "kafkajs";
import type { Sql } from "postgres";
import { CONTRACT, type Contract, keyOf, type Metric } from "../contract/index.ts";
import { encodeKey, encodeValue } from "../producer/encode.ts";
import { partitionFor } from "../producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../producer/send.ts";
import { type FixName, judge } from "./fix.ts";
import { type PartitionRange, readRanges, throwAwayGroup, topicOffsets } from "./read.ts";
import type { DeadLetter } from "./record.ts";
import { againstStored, keyText, storedRows } from "./stored.ts";

export interface ReplayPlan {
  readonly replay: {
    readonly letter: DeadLetter;
    readonly metric: Metric;
    readonly key: string;
    readonly value: string;
  }[];
  readonly keep: { readonly letter: DeadLetter; readonly reason: string }[];
  /** Dead letters left out by `where`. */
  readonly filtered: number;
}

/**
 * Splits dead letters into those that now pass the contract (after `fixes`) and those that stay, re-encoded with the
 * contract's optional fields they have. Pure.
 */
export function planReplay(
  letters: readonly DeadLetter[],
  fixes: readonly FixName[],
  where?: string,
  contract: Contract = CONTRACT,
): ReplayPlan {
  const replay: ReplayPlan["replay"][number][] = [];
  const keep: ReplayPlan["keep"][number][] = [];
  let filtered = 0;
  for (const letter of letters) {
    if (where && !letter.reason.includes(where)) {
      filtered++;
      continue;
    }
    const v = judge(letter.value, letter.key, fixes, contract);
    if (v.ok) {
      const value = encodeValue(v.metric, contract.optionalFields);
      replay.push({ letter, metric: v.metric, key: encodeKey(keyOf(v.metric)), value });
    } else keep.push({ letter, reason: v.reason });
  }
  return { replay, keep, filtered };
}

const originOf = (l: DeadLetter) => `${l.origin.topic}/${l.origin.partition}/${l.origin.offset}`;

/** The consumer group that records how far replays from `dlq` into `to` got (its committed offsets on `dlq`). */
export const replayGroup = (dlq: string, to: string) => `sluice-dlq-replay.${dlq}.to.${to}`;

export interface ReplayOptions {
  readonly dlq: string;
  /** Topic the valid records go back to. */
  readonly to: string;
  /** Table the sink of `to` writes (a checked SQL identifier): keys whose stored row is newer are skipped. */
  readonly table: string;
  readonly fixes: readonly FixName[];
  readonly where?: string;
  /** Read, judge and check, but send nothing and commit no progress. */
  readonly dryRun: boolean;
  /** Start at the DLQ's first offset instead of the recorded progress (records already stored are skipped). */
  readonly fromBeginning?: boolean;
  /** Records per chunk: sent, acknowledged, then committed, before the next chunk is read. */
  readonly chunkSize: number;
  readonly stallMs: number;
  readonly schemaId: number;
  /** The contract records are judged by (default: the shipped one). */
  readonly contract?: Contract;
}

type Listed = { readonly offset: string; readonly reason: string };

export interface ReplayReport {
  readonly group: string;
  /** Per DLQ partition: the offsets this run read, [from, end). */
  readonly ranges: { readonly partition: number; readonly from: string; readonly end: string }[];
  readonly read: number;
  /** Sent and acknowledged (with `dryRun`: would be sent). */
  readonly sent: number;
  /** Valid, but not sent: the table holds newer data for the key, or the same. */
  readonly skipped: (Listed & { readonly key: string })[];
  /** Still refused by the contract. */
  readonly kept: Listed[];
  readonly filtered: number;
  /** Dead letters deleted by retention before any replay read them (between the progress and the first offset). */
  readonly expired: number;
}

/**
 * Replays dead letters into `to`, resuming from the progress recorded in a consumer group per DLQ and target: reads
 * up to the end offsets fetched at the start (failing loudly on a short read), judges each record against the
 * contract, skips keys whose stored row is newer, and per bounded chunk sends, awaits the acknowledgements (acks=all)
 * and only then commits the chunk's offsets. A crash mid-way re-sends at most one chunk, which the stored-row check
 * then finds already stored. `dryRun` sends nothing and commits nothing.
 */
export async function replayDeadLetters(deps: { kafka: Kafka; sql: Sql }, o: ReplayOptions): Promise<ReplayReport> {
  const group = replayGroup(o.dlq, o.to);
  const { ranges, expired } = await replayRanges(deps.kafka, o.dlq, group, o.fromBeginning ?? false);
  const skipped: ReplayReport["skipped"][number][] = [];
  const report = { read: 0, sent: 0, skipped, kept: [] as Listed[], filtered: 0 };
  const at = (l: DeadLetter) => `${l.partition}/${l.offset}`;
  let producer: Producer | undefined;
  let partitions = 0;
  try {
    if (!o.dryRun) {
      partitions = await partitionCount(deps.kafka, o.to);
      producer = deps.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
    }
    await readRanges(deps.kafka, {
      topic: o.dlq,
      groupId: o.dryRun ? throwAwayGroup("dlq-replay-dry-run") : group,
      ranges,
      chunkSize: o.chunkSize,
      stallMs: o.stallMs,
      commit: !o.dryRun,
      onChunk: async (letters) => {
        report.read += letters.length;
        const plan = planReplay(letters, o.fixes, o.where, o.contract);
        report.filtered += plan.filtered;
        report.kept.push(...plan.keep.map((k) => ({ offset: at(k.letter), reason: k.reason })));
        const stored = await storedRows(
          deps.sql,
          o.table,
          plan.replay.map((r) => r.metric),
        );
        const send = plan.replay.filter((r) => {
          const f = againstStored(r.metric, stored.get(keyText(r.metric)), r.letter.timestamp);
          if (!f.send) report.skipped.push({ offset: at(r.letter), key: r.key, reason: f.reason });
          return f.send;
        });
        if (producer && send.length > 0) {
          await producer.send({
            topic: o.to,
            acks: -1,
            messages: send.map((r) => ({
              key: r.key,
              value: r.value,
              partition: partitionFor(r.metric.device_id, partitions),
              headers: {
                [SCHEMA_ID_HEADER]: String(o.schemaId),
                "sluice-replayed-from": originOf(r.letter),
              },
            })),
          });
        }
        report.sent += send.length;
      },
    });
  } finally {
    await producer?.disconnect();
  }
  const shown = ranges.map((r) => ({ partition: r.partition, from: r.from.toString(), end: r.end.toString() }));
  return { group, ranges: shown, expired, ...report };
}

/** What a replay reads: from the group's committed offset (or the first offset) to the end offset, per partition. */
async function replayRanges(kafka: Kafka, dlq: string, group: string, fromBeginning: boolean) {
  const offsets = await topicOffsets(kafka, dlq);
  const admin = kafka.admin();
  await admin.connect();
  const committed = new Map<number, bigint>();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [dlq] });
    for (const p of t?.partitions ?? []) if (Number(p.offset) >= 0) committed.set(p.partition, BigInt(p.offset));
  } finally {
    await admin.disconnect();
  }
  let expired = 0n;
  const ranges: PartitionRange[] = offsets.map((p) => {
    const c = fromBeginning ? undefined : committed.get(p.partition);
    if (c !== undefined && c < p.low) expired += p.low - c;
    // biome-ignore lint/complexity/useMathMinMax: offsets are bigints, which Math.min and Math.max do not take.
    const from = c === undefined || c < p.low ? p.low : c > p.high ? p.high : c;
    return { partition: p.partition, from, end: p.high };
  });
  return { ranges, expired: Number(expired) };
}

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    return meta!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}
