import { afterAll, describe, expect, test } from "bun:test";
import { ConfigResourceTypes } from "kafkajs";
import { type Metric, VALUE_SUBJECT, valueJsonSchema } from "../../src/contract/index.ts";
import type { FixName } from "../../src/dlq/fix.ts";
import { readDeadLetters } from "../../src/dlq/read.ts";
import { type ReplayReport, replayDeadLetters, replayGroup } from "../../src/dlq/replay.ts";
import { SluiceError } from "../../src/errors.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { registerContract } from "../../src/registry/register.ts";
import { client, eventually, readAll, registry, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

const boxes: Sandbox[] = [];
afterAll(async () => {
  for (const b of boxes) await b.dispose({ topics: true });
});
/** A sandbox with one partition per topic (so the order of records is the order sent) and its sink running. */
async function box(label: string): Promise<Sandbox> {
  const b = await sandbox(label, 1);
  boxes.push(b);
  await b.applySink();
  return b;
}

const run = planRun({ seed: `dlq-${Date.now()}`, count: 40, devices: 8, startMs: Date.UTC(2026, 10, 3) });
const upper = (m: Metric): Metric => ({ ...m, device_id: m.device_id.toUpperCase() });

async function send(topic: string, metrics: Metric[]): Promise<void> {
  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic, messages: metrics.map((m) => ({ key: encodeKey(m), value: encodeValue(m) })) });
  await producer.disconnect();
}

async function deadLetters(b: Sandbox, n: number): Promise<void> {
  const count = async () => (await readDeadLetters(client, b.dlq, { timeoutMs: 5000 })).length;
  await eventually(`${n} dead letters in ${b.dlq}`, async () => (await count()) === n);
}

/** Replays `b`'s DLQ into its topic, checking keys against its table. */
type ReplayFlags = { fixes?: FixName[]; dryRun?: boolean; fromBeginning?: boolean; chunkSize?: number };

function replay(b: Sandbox, o: ReplayFlags = {}) {
  return registerContract(registry, VALUE_SUBJECT, valueJsonSchema()).then((schemaId) =>
    replayDeadLetters(
      { kafka: client, sql },
      {
        dlq: b.dlq,
        to: b.topic,
        table: b.table,
        fixes: o.fixes ?? ["lowercase-ids"],
        dryRun: o.dryRun ?? false,
        fromBeginning: o.fromBeginning,
        chunkSize: o.chunkSize ?? 500,
        stallMs: 30_000,
        schemaId,
      },
    ),
  );
}

async function committed(b: Sandbox): Promise<number[]> {
  const admin = client.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: replayGroup(b.dlq, b.topic), topics: [b.dlq] });
    return t!.partitions.map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

/** Records in `topic` that a replay sent, by the dead letter's origin they carry. */
async function replayedRecords(topic: string, total: number): Promise<string[]> {
  const all = await readAll(topic, total);
  expect(all.length).toBe(total);
  const origin = (m: (typeof all)[number]) => m.headers?.["sluice-replayed-from"];
  return all.flatMap((m) => (origin(m) ? [String(origin(m))] : [])).sort();
}

async function storedValue(b: Sandbox, m: Metric): Promise<number | undefined> {
  const [r] = await sql.unsafe(
    `select value from ${b.table} where device_id = $1 and metric_name = $2
        and published_at = timestamptz 'epoch' + $3::bigint * interval '1 millisecond'`,
    [m.device_id, m.metric_name, m.published_at],
  );
  return r?.value as number | undefined;
}

describe("DLQ tooling", () => {
  test("peek shows each dead letter with reason and origin; replay with fixes lands corrected records", async () => {
    const b = await box("dlq");
    const [a, c, d] = [metricAt(run, 0), metricAt(run, 1), metricAt(run, 2)];
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: b.topic,
      messages: [
        { key: encodeKey(upper(a)), value: encodeValue(upper(a)) },
        { key: encodeKey(c), value: JSON.stringify({ ...c, unit: "C" }) },
        { key: encodeKey(c), value: "{broken" },
        { key: encodeKey(d), value: encodeValue(d) },
      ],
    });
    await producer.disconnect();
    await deadLetters(b, 3);
    const letters = await readDeadLetters(client, b.dlq, { last: 10 });
    expect(letters.map((l) => l.origin.topic)).toEqual([b.topic, b.topic, b.topic]);
    expect(letters.map((l) => l.origin.offset)).toEqual(["0", "1", "2"]);
    expect(letters[0]!.reason).toContain("device_id");
    expect(letters[1]!.reason).toContain("unit");
    expect(letters[2]!.reason).toContain("not JSON");
    await eventually("the valid record landed", async () => (await rowCount(b.table)) === 1);

    const none = await replay(b, { fixes: [], dryRun: true });
    expect([none.sent, none.kept.length]).toEqual([0, 3]);
    const r = await replay(b, { fixes: ["lowercase-ids", "drop-unknown-fields"] });
    expect([r.sent, r.kept.map((k) => k.reason)]).toEqual([2, ["not JSON"]]);
    await eventually("replayed rows", async () => (await rowCount(b.table)) === 3);
    const rows = await sql.unsafe(`select device_id::text as id from ${b.table}`);
    expect(rows.map((x) => x.id).sort()).toEqual([a.device_id, c.device_id, d.device_id].sort());
    // The replays are valid: nothing new in the DLQ.
    expect((await readDeadLetters(client, b.dlq, { timeoutMs: 5000 })).length).toBe(3);
  });

  test("progress: a second replay re-sends nothing (group per DLQ and target); --dry-run commits none", async () => {
    const b = await box("dlqprog");
    const poison = [3, 4, 5, 6].map((k) => upper(metricAt(run, k)));
    await send(b.topic, poison);
    await deadLetters(b, 4);
    const dry = await replay(b, { dryRun: true });
    expect([dry.read, dry.sent]).toEqual([4, 4]);
    expect(await committed(b)).toEqual([-1]);
    const first = await replay(b);
    expect([first.read, first.sent, first.skipped.length, first.kept.length]).toEqual([4, 4, 0, 0]);
    expect(await committed(b)).toEqual([4]);
    const second = await replay(b);
    expect([second.read, second.sent]).toEqual([0, 0]);
    // The topic holds the 4 poison records and each replayed record once.
    expect(await replayedRecords(b.topic, 8)).toEqual(["0", "1", "2", "3"].map((o) => `${b.topic}/0/${o}`));
    await eventually("replayed rows", async () => (await rowCount(b.table)) === 4);
  });

  test("a short read fails loudly, naming partition and offsets, instead of returning fewer records", async () => {
    const b = await box("dlqshort");
    await send(
      b.topic,
      [7, 8, 9].map((k) => upper(metricAt(run, k))),
    );
    await deadLetters(b, 3);
    // A reader that gets nothing within its stall limit (here 1 ms) has read 0 of the 3 records the offsets promise.
    const err = await readDeadLetters(client, b.dlq, { timeoutMs: 1 }).then(
      (letters) => letters,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe("DLQ_SHORT_READ");
    expect((err as SluiceError).message).toContain("partition 0: read no record from offset 0 (0 of 3), end offset 3");
  });

  test("bounded chunks: progress is committed only for chunks whose records were acknowledged", async () => {
    const b = await box("dlqchunk");
    // 16 tags of 64 emoji: a valid record of ~4 KB, too large for the topic once its limit is lowered.
    const big = { ...metricAt(run, 12), tags: Array.from({ length: 16 }, () => "\u{1F600}".repeat(64)) };
    const poison = [metricAt(run, 10), metricAt(run, 11), metricAt(run, 13), big, metricAt(run, 14)].map(upper);
    await send(b.topic, poison);
    await deadLetters(b, 5);
    const setLimit = async (bytes: number) => {
      const admin = client.admin();
      await admin.connect();
      await admin
        .alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: b.topic,
              configEntries: [{ name: "max.message.bytes", value: String(bytes) }],
            },
          ],
        })
        .finally(() => admin.disconnect());
    };
    await setLimit(2000);
    const failed = await replay(b, { chunkSize: 2 }).then(
      (r: ReplayReport) => r,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    // The first chunk (offsets 0–1) was acknowledged and committed; the second (2–3, with the big record) was not.
    expect(await committed(b)).toEqual([2]);
    await setLimit(1_048_588);
    const rest = await replay(b, { chunkSize: 2 });
    expect([rest.read, rest.sent]).toEqual([3, 3]);
    expect(await committed(b)).toEqual([5]);
    expect(await replayedRecords(b.topic, 10)).toEqual(["0", "1", "2", "3", "4"].map((o) => `${b.topic}/0/${o}`));
    await eventually("every replayed row", async () => (await rowCount(b.table)) === 5);
  });

  test("a key whose stored row is newer than the dead letter is skipped and listed; older is replaced", async () => {
    const b = await box("dlqnewer");
    const k1 = metricAt(run, 20);
    const k2 = metricAt(run, 21);
    const k3 = metricAt(run, 22);
    // k1: dead-lettered first, then a valid record of the same key with another value lands (newer than the letter).
    await send(b.topic, [upper({ ...k1, value: 1 })]);
    await deadLetters(b, 1);
    await send(b.topic, [{ ...k1, value: 2 }]);
    // k3: a valid record lands first, then a dead letter of the same key arrives (the letter is newer).
    await send(b.topic, [{ ...k3, value: 30 }]);
    await eventually("k1 and k3 stored", async () => (await rowCount(b.table)) === 2);
    await send(b.topic, [upper({ ...k3, value: 33 }), upper({ ...k2, value: 20 })]);
    await deadLetters(b, 3);

    const r = await replay(b);
    expect(r.sent).toBe(2);
    expect(r.skipped.map((s) => [s.offset, s.key])).toEqual([["0/0", encodeKey(k1)]]);
    expect(r.skipped[0]!.reason).toContain("stored row is newer");
    const landed = async () => (await rowCount(b.table)) === 3 && (await storedValue(b, k3)) === 33;
    await eventually("k2 landed and k3 overwritten", landed);
    expect([await storedValue(b, k1), await storedValue(b, k2), await storedValue(b, k3)]).toEqual([2, 20, 33]);

    // Read again from the start: nothing is sent; k2 and k3 are already stored, k1 still newer.
    const again = await replay(b, { fromBeginning: true });
    expect([again.read, again.sent, again.skipped.map((s) => s.reason.split(" (")[0]!.split(":")[0])]).toEqual([
      3,
      0,
      ["stored row is newer", "already stored", "already stored"],
    ]);
  });
});
