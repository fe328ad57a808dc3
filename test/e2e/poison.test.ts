import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IHeaders, KafkaMessage } from "kafkajs";
import { isRunning } from "../../src/connect/apply.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, eventually, rowCount, sandbox, sql, type Sandbox } from "./harness.ts";

let box: Sandbox;
const run = planRun({ seed: `poison-${Date.now()}`, count: 60, devices: 3, startMs: Date.UTC(2026, 10, 2) });

async function send(topic: string, messages: { key: string; value: string }[]) {
  const producer = client.producer();
  await producer.connect();
  // One request, one partition: the records reach the sink in this order and in one batch.
  await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  await producer.disconnect();
}

async function readAll(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer = client.consumer({ groupId: `read-${topic}-${Date.now()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  await eventually(`${expected} messages in ${topic}`, async () => got.length >= expected, 60_000);
  await consumer.disconnect();
  return got;
}

const header = (h: IHeaders | undefined, name: string) => h?.[name]?.toString();

beforeAll(async () => {
  box = await sandbox("poison", 1);
  await box.applySink();
});
afterAll(() => box?.dispose());

describe("records the sink cannot read", () => {
  test("not-JSON and schema-mismatch records go to the DLQ with error headers; valid ones around them land; task RUNNING", async () => {
    const valid = (k: number) => ({ key: encodeKey(metricAt(run, k)), value: encodeValue(metricAt(run, k)) });
    const m = metricAt(run, 59);
    const bad = [
      { key: encodeKey(m), value: "{not json" },
      { key: encodeKey(m), value: JSON.stringify({ device_id: m.device_id, published_at: m.published_at, metric_name: m.metric_name, tags: [] }) }, // no value
      { key: encodeKey(m), value: JSON.stringify({ ...m, value: null }) }, // null for a required field
    ];
    await send(box.topic, [...Array.from({ length: 20 }, (_, k) => valid(k)), ...bad, ...Array.from({ length: 20 }, (_, k) => valid(20 + k))]);

    const dead = await readAll(box.dlq, bad.length);
    expect(dead.map((d) => d.value?.toString())).toEqual(bad.map((b) => b.value));
    for (const d of dead) {
      expect(header(d.headers, "__connect.errors.topic")).toBe(box.topic);
      expect(header(d.headers, "__connect.errors.exception.class.name")).toContain("DataException");
      expect(header(d.headers, "__connect.errors.exception.message")?.length).toBeGreaterThan(0);
      expect(header(d.headers, "__connect.errors.stage")).toBe("VALUE_CONVERTER");
    }
    await eventually("40 valid rows", async () => (await rowCount(box.table)) === 40);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });

  test("two records with the same key in one batch: one row, the last value wins, task RUNNING", async () => {
    const m = metricAt(run, 50);
    const first = { ...m, value: 1.25 };
    const last = { ...m, value: 2.5 };
    await send(box.topic, [first, last].map((x) => ({ key: encodeKey(x), value: encodeValue(x) })));
    await eventually("row of the duplicated key", async () => {
      const r = await sql.unsafe(`select value from ${box.table} where device_id = $1 and metric_name = $2 and published_at = $3`, [m.device_id, m.metric_name, new Date(m.published_at)]);
      return r.length === 1 && r[0]!.value === 2.5;
    });
    const rows = await sql.unsafe(`select value from ${box.table} where device_id = $1 and metric_name = $2 and published_at = $3`, [m.device_id, m.metric_name, new Date(m.published_at)]);
    expect(rows.map((r) => r.value)).toEqual([2.5]);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });
});
