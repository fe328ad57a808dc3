import { afterAll, describe, expect, test } from "bun:test";
import { isRunning } from "../../src/connect/apply.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, eventually, readAll, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

// The contract converter's copy.rows switch: the byte scanner's records reach the sink as binary COPY rows it copies
// as they are. Held to the struct path on the real stack: the same records, through a sink with and without the
// switch (and with it into a table whose column types the rows do not fit), store the same rows and dead-letter the
// same records.
const boxes: Sandbox[] = [];
afterAll(async () => {
  for (const b of boxes) await b.dispose();
});

const ROWS_ON = { "key.converter.copy.rows": "true", "value.converter.copy.rows": "true" };

/** Valid records of every kind the readers split, repeats and a replay, and poison in between. */
function records(): { messages: { key: string; value: string }[]; valid: number; poison: number } {
  const run = planRun({ seed: `rows-${Date.now()}`, count: 3000, devices: 20, startMs: Date.UTC(2026, 10, 6) });
  const all = Array.from({ length: run.count }, (_, k) => metricAt(run, k));
  const plain = all.map((m) => ({ key: encodeKey(m), value: encodeValue(m) }));
  // Text the byte scanner hands to the token reader (non-ASCII, escapes): these stay structs within the same batches.
  const unusual = all.slice(0, 300).map((m, k) => {
    const tags = k % 2 ? ["température", `fw:${k}`] : ['quote"d', "back\\slash", "😀"];
    return { key: encodeKey(m), value: encodeValue({ ...m, value: m.value + 1, tags }) };
  });
  // A later value for stored keys: the last one wins (after a replay of the first 500, which changes nothing).
  const later = all.slice(300, 600).map((m) => ({ key: encodeKey(m), value: encodeValue({ ...m, value: -m.value }) }));
  const m = all[0]!;
  const poison = [
    { key: encodeKey(m), value: encodeValue(m).replace(`"metric_name":${m.metric_name}`, '"metric_name":11') },
    { key: encodeKey(m).toUpperCase(), value: encodeValue(m).toUpperCase() },
    { key: encodeKey({ ...m, metric_name: 40 }), value: encodeValue({ ...m, metric_name: 20 }) },
    { key: encodeKey(m), value: `${encodeValue(m).slice(0, -1)},"extra":1}` },
  ];
  const messages = [
    ...plain.slice(0, 1500),
    ...poison,
    ...plain.slice(1500),
    ...plain.slice(0, 500),
    ...unusual,
    ...later,
  ];
  return { messages, valid: run.count, poison: poison.length };
}

async function send(topic: string, messages: { key: string; value: string }[]) {
  const producer = client.producer();
  await producer.connect();
  try {
    for (let from = 0; from < messages.length; from += 500) {
      await producer.send({ topic, messages: messages.slice(from, from + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

const stored = (table: string) =>
  sql.unsafe(
    `select device_id::text, published_at, metric_name::int, float8send(value)::text as bits, tags
       from ${table} order by device_id, published_at, metric_name`,
  );

describe("copy.rows", () => {
  test("the sink stores exactly what the struct path stores, also into columns the rows do not fit; the same poison goes to the DLQ", async () => {
    const { messages, valid, poison } = records();
    const structs = await sandbox("rows_off", 2);
    const rows = await sandbox("rows_on", 2);
    const unfit = await sandbox("rows_unfit", 2);
    boxes.push(structs, rows, unfit);
    // int4 instead of the rows' int2: the sink must encode those rows from their structs.
    await sql.unsafe(`alter table ${unfit.table} alter column metric_name type int4`);
    for (const box of [structs, rows, unfit]) await send(box.topic, messages);
    await structs.applySink(undefined, { "tasks.max": "2" });
    await rows.applySink(undefined, { "tasks.max": "2", ...ROWS_ON });
    await unfit.applySink(undefined, { "tasks.max": "2", ...ROWS_ON });
    for (const box of [structs, rows, unfit]) {
      await eventually(`${valid} rows in ${box.table}`, async () => (await rowCount(box.table)) === valid, 120_000);
      const dead = await readAll(box.dlq, poison);
      expect(dead.length).toBe(poison);
      expect(isRunning(await connect.status(box.connector))).toBe(true);
    }
    const expected = await stored(structs.table);
    expect(expected.length).toBe(valid);
    // The later values won over the first ones, and the unusual tags were stored as sent.
    expect(expected.filter((r) => (r.tags as string[]).includes("température")).length).toBe(150);
    expect(expected.filter((r) => (r.tags as string[]).includes('quote"d')).length).toBe(150);
    expect(await stored(rows.table)).toEqual(expected);
    expect(await stored(unfit.table)).toEqual(expected);
  }, 240_000);
});
