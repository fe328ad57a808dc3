import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IHeaders } from "kafkajs";
import { countDeadLetters, readTopic } from "../../src/chaos/dead-letters.ts";
import { isRunning, waitRunning } from "../../src/connect/apply.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, eventually, readAll, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

let box: Sandbox;
const run = planRun({ seed: `poison-${Date.now()}`, count: 60, devices: 3, startMs: Date.UTC(2026, 10, 2) });

/** Sends in one request to partition 0 (the records reach the sink in this order, in one batch); their offsets. */
async function send(topic: string, messages: { key: string; value: string | null }[]): Promise<string[]> {
  const producer = client.producer();
  await producer.connect();
  const [meta] = await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  await producer.disconnect();
  return messages.map((_, i) => String(BigInt(meta!.baseOffset!) + BigInt(i)));
}

/** The committed offset of partition 0 of the sandbox's topic (Connect's offsets API), or -1. */
async function committed(): Promise<number> {
  const o = await connect.offsets(box.connector);
  return o?.offsets.find((x) => x.partition.kafka_partition === 0)?.offset?.kafka_offset ?? -1;
}

const rowOf = async (k: number) => {
  const m = metricAt(run, k);
  const q = `select value from ${box.table} where device_id = $1 and metric_name = $2 and published_at = $3`;
  return (await sql.unsafe(q, [m.device_id, m.metric_name, new Date(m.published_at)]))[0]?.value as number | undefined;
};

const header = (h: IHeaders | undefined, name: string) => h?.[name]?.toString();

beforeAll(async () => {
  box = await sandbox("poison", 1);
  await box.applySink();
});
afterAll(() => box?.dispose());

describe("records the sink cannot read", () => {
  test("each kind of poison goes to the DLQ with its reason; valid records around it land; nothing wrong is stored; task RUNNING", async () => {
    const valid = (k: number) => ({ key: encodeKey(metricAt(run, k)), value: encodeValue(metricAt(run, k)) });
    const m = metricAt(run, 59);
    const key = encodeKey(m);
    const v = (patch: Record<string, unknown>) => JSON.stringify({ ...m, ...patch });
    // [what, key, value, text the DLQ reason must contain]
    const poison: [string, string, string | null, string][] = [
      ["not JSON", key, "{not json", "not JSON"],
      [
        "missing field",
        key,
        JSON.stringify({ device_id: m.device_id, published_at: m.published_at, metric_name: m.metric_name, tags: [] }),
        "value: required field is missing",
      ],
      ["null for a required field", key, v({ value: null }), "at value"],
      ["wrong type", key, v({ value: "hot" }), "at value: expected a number"],
      ["unknown field", key, v({ unit: "C" }), "unit: not a field of the contract"],
      ["non-uuid device id", encodeKey({ ...m, device_id: "device-7" }), v({ device_id: "device-7" }), "device_id"],
      [
        "uppercase uuid",
        encodeKey({ ...m, device_id: m.device_id.toUpperCase() }),
        v({ device_id: m.device_id.toUpperCase() }),
        "device_id",
      ],
      ["unknown metric code", encodeKey({ ...m, metric_name: 11 as never }), v({ metric_name: 11 }), "metric_name"],
      [
        "metric code out of int16",
        encodeKey({ ...m, metric_name: 40000 as never }),
        v({ metric_name: 40000 }),
        "metric_name",
      ],
      ["NUL in a tag", key, v({ tags: ["a\u0000b"] }), "tags[0]"],
      ["lone surrogate in a tag", key, v({ tags: ["\ud800"] }), "tags[0]"],
      ["too many tags", key, v({ tags: Array(17).fill("t") }), "tags"],
      [
        "timestamp out of range",
        encodeKey({ ...m, published_at: 253_402_300_800_000 }),
        v({ published_at: 253_402_300_800_000 }),
        "published_at",
      ],
      ["fractional timestamp", key, v({ published_at: m.published_at + 0.5 }), "published_at"],
      // biome-ignore lint/correctness/noPrecisionLoss: a number no double holds is the point of this record.
      ["infinite value", key, v({ value: 1e999 }).replace('"value":null', '"value":1e999'), "value"],
      ["duplicate JSON key", key, `{"value":1,${v({}).slice(1)}`, "Duplicate field"],
      [
        "key and value disagree",
        encodeKey({ ...m, published_at: m.published_at + 1 }),
        v({}),
        "key and value disagree on published_at",
      ],
      ["tombstone", key, null, "tombstone"],
    ];
    const batch = [
      ...Array.from({ length: 20 }, (_, k) => valid(k)),
      ...poison.map(([, key, value]) => ({ key, value })),
      ...Array.from({ length: 20 }, (_, k) => valid(20 + k)),
    ];
    const offsets = await send(box.topic, batch as { key: string; value: string }[]);

    const dead = await readAll(box.dlq, poison.length);
    expect(dead.length).toBe(poison.length);
    dead.forEach((d, i) => {
      const [what, , value, reason] = poison[i]!;
      expect([what, d.value?.toString() ?? null]).toEqual([what, value]);
      expect(header(d.headers, "__connect.errors.topic")).toBe(box.topic);
      // Each dead letter names its own record: partition and offset in the source topic.
      const origin = [header(d.headers, "__connect.errors.partition"), header(d.headers, "__connect.errors.offset")];
      expect([what, ...origin]).toEqual([what, "0", offsets[20 + i]]);
      const message = header(d.headers, "__connect.errors.exception.message") ?? "";
      expect([what, message]).toEqual([what, expect.stringContaining(reason)]);
    });
    await eventually("40 valid rows", async () => (await rowCount(box.table)) === 40);
    // Nothing but the 40 valid rows, each exactly as sent: no narrowed code, no 0.0 for "hot".
    const rows = await sql.unsafe(`select device_id, metric_name, value from ${box.table}`);
    const sent = new Map(
      Array.from({ length: 40 }, (_, k) => metricAt(run, k)).map((x) => [
        `${x.device_id}/${x.metric_name}/${x.value}`,
        x,
      ]),
    );
    expect(rows.filter((r) => !sent.has(`${r.device_id}/${r.metric_name}/${r.value}`))).toEqual([]);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });

  test("two records with the same key in one batch: one row, the last value wins, task RUNNING", async () => {
    const m = metricAt(run, 50);
    const first = { ...m, value: 1.25 };
    const last = { ...m, value: 2.5 };
    await send(
      box.topic,
      [first, last].map((x) => ({ key: encodeKey(x), value: encodeValue(x) })),
    );
    await eventually("row of the duplicated key", async () => {
      const r = await sql.unsafe(
        `select value from ${box.table} where device_id = $1 and metric_name = $2 and published_at = $3`,
        [m.device_id, m.metric_name, new Date(m.published_at)],
      );
      return r.length === 1 && r[0]!.value === 2.5;
    });
    const rows = await sql.unsafe(
      `select value from ${box.table} where device_id = $1 and metric_name = $2 and published_at = $3`,
      [m.device_id, m.metric_name, new Date(m.published_at)],
    );
    expect(rows.map((r) => r.value)).toEqual([2.5]);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });

  test("a dead letter ending a batch is committed with it: a restart does not dead-letter it again", async () => {
    // [valid, poison] in one batch: the poison record is the last one Connect hands over for the partition, so only
    // an offset commit that covers records Connect itself dead-lettered keeps the restarted task from re-reading it.
    const a = metricAt(run, 52);
    const [, poisonAt] = await send(box.topic, [
      { key: encodeKey(a), value: encodeValue(a) },
      { key: encodeKey(metricAt(run, 53)), value: "{not json" },
    ]);
    const origin = { topic: box.topic, partition: 0, offset: poisonAt! };
    const once = async () => countDeadLetters([origin], await readTopic(client, box.dlq));
    await eventually("the valid row", async () => (await rowOf(52)) === a.value);
    await eventually("the dead letter", async () => (await once()).once === 1);

    await connect.restartConnector(box.connector, { includeTasks: true });
    await waitRunning(connect, box.connector);
    // A valid record after the restart: once it is stored and committed, the task has read everything before it.
    const b = metricAt(run, 54);
    const [bAt] = await send(box.topic, [{ key: encodeKey(b), value: encodeValue(b) }]);
    await eventually("the row sent after the restart", async () => (await rowOf(54)) === b.value);
    await eventually("offsets committed past it", async () => (await committed()) > Number(bAt));

    const c = await once();
    const got = { duplicates: c.duplicates, missing: c.missing, once: c.once };
    expect(got).toEqual({ duplicates: [], missing: [], once: 1 });
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });
});
