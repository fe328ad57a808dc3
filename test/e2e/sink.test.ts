import { afterAll, describe, expect, test } from "bun:test";
import { isRunning } from "../../src/connect/apply.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, eventually, readAll, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

// Sluice's own sink (dev.sluice.connect.sink.PgUpsertSinkConnector, binary COPY + set-based upsert): the paths the main
// pipeline rarely takes — a key already stored, a row PostgreSQL refuses, a connection cut mid-stream.
const boxes: Sandbox[] = [];
afterAll(async () => {
  for (const b of boxes) await b.dispose();
});

async function send(topic: string, messages: { key: string; value: string }[], partition = 0) {
  const producer = client.producer();
  await producer.connect();
  await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition })) });
  await producer.disconnect();
}

const stored = (table: string) =>
  sql.unsafe(
    `select device_id::text, (extract(epoch from published_at) * 1000)::float8 as at, metric_name, value, tags from ${table}`,
  );

describe("Sluice's COPY sink", () => {
  test("copy-first: a batch whose keys are partly stored already falls back to the upsert; stored values are replaced, new rows land", async () => {
    const box = await sandbox("sink_conflict", 1);
    boxes.push(box);
    const run = planRun({ seed: `conflict-${Date.now()}`, count: 400, devices: 4, startMs: Date.UTC(2026, 10, 3) });
    const all = Array.from({ length: run.count }, (_, k) => metricAt(run, k));
    // 100 of the keys are in the table with other values before the sink starts.
    for (const m of all.slice(0, 100)) {
      await sql.unsafe(
        `insert into ${box.table} (device_id, published_at, metric_name, value, tags) values ($1, $2, $3, $4, $5)`,
        [m.device_id, new Date(m.published_at), m.metric_name, -1, ["old"]],
      );
    }
    await send(
      box.topic,
      all.map((m) => ({ key: encodeKey(m), value: encodeValue(m) })),
    );
    const spec = await box.applySink(undefined, { "write.mode": "copy-first" });
    expect(spec.config["connector.class"]).toBe("dev.sluice.connect.sink.PgUpsertSinkConnector");
    await eventually("400 rows with the sent values", async () => {
      const [r] = await sql.unsafe(
        `select count(*)::int as n, count(*) filter (where value = -1)::int as old from ${box.table}`,
      );
      return r!.n === 400 && r!.old === 0;
    });
    const rows = await stored(box.table);
    const byKey = new Map(rows.map((r) => [`${r.device_id}|${r.at}|${r.metric_name}`, r]));
    for (const m of all)
      expect(byKey.get(`${m.device_id}|${m.published_at}|${m.metric_name}`)).toMatchObject({
        value: m.value,
        tags: m.tags,
      });
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 120_000);

  test("without the contract converter, rows the sink or PostgreSQL refuse go to the DLQ with the reason; the rest land; task RUNNING", async () => {
    const box = await sandbox("sink_refused", 1);
    boxes.push(box);
    const run = planRun({ seed: `refused-${Date.now()}`, count: 40, devices: 2, startMs: Date.UTC(2026, 10, 4) });
    const m = metricAt(run, 39);
    // [what, key fields, value fields, text the DLQ reason must contain]
    const bad: [string, Record<string, unknown>, string][] = [
      ["NUL in a tag", { tags: ["a\u0000b"] }, "NUL"],
      ["non-uuid device id", { device_id: "device-7" }, "not a uuid"],
      ["a year PostgreSQL cannot hold", { published_at: Date.UTC(-5000, 0, 1) }, "22008"],
    ];
    const valid = (k: number) => ({ key: encodeKey(metricAt(run, k)), value: encodeValue(metricAt(run, k)) });
    await send(box.topic, [
      ...Array.from({ length: 20 }, (_, k) => valid(k)),
      ...bad.map(([, patch]) => ({
        key: encodeKey({ ...m, ...patch } as never),
        value: JSON.stringify({ ...m, ...patch }),
      })),
      ...Array.from({ length: 19 }, (_, k) => valid(20 + k)),
    ]);
    // Kafka's JsonConverter with the contract's Connect schema and no key/value check: the sink is the last line.
    await box.applySink(undefined, {
      "key.converter": "org.apache.kafka.connect.json.JsonConverter",
      "key.converter.schemas.enable": "true",
      "value.converter": "org.apache.kafka.connect.json.JsonConverter",
      "value.converter.schemas.enable": "true",
      transforms: "",
    });
    const dead = await readAll(box.dlq, bad.length);
    expect(dead.map((d) => d.headers?.["__connect.errors.exception.message"]?.toString())).toEqual(
      bad.map(([, , reason]) => expect.stringContaining(reason)),
    );
    await eventually("the 39 valid rows", async () => (await rowCount(box.table)) === 39);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 120_000);

  test("the sink's connections cut mid-stream (pg_terminate_backend): batches are retried, every row lands once, task RUNNING", async () => {
    const box = await sandbox("sink_cut", 2);
    boxes.push(box);
    await box.applySink(undefined, { "tasks.max": "2", "retry.backoff.ms": "200" });
    const run = planRun({ seed: `cut-${Date.now()}`, count: 30_000, devices: 50, startMs: Date.UTC(2026, 10, 5) });
    let cuts = 0;
    const producer = client.producer();
    await producer.connect();
    try {
      for (let from = 0; from < run.count; from += 3000) {
        const batch = Array.from({ length: 3000 }, (_, k) => metricAt(run, from + k));
        await producer.send({
          topic: box.topic,
          messages: batch.map((x) => ({ key: encodeKey(x), value: encodeValue(x) })),
        });
        const [r] = await sql.unsafe(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'sluice-sink' and usename = 'sluice_sink'`,
        );
        cuts += r!.n as number;
        await Bun.sleep(150);
      }
    } finally {
      await producer.disconnect();
    }
    expect(cuts).toBeGreaterThan(0);
    await eventually("30,000 rows", async () => (await rowCount(box.table)) === run.count, 120_000);
    const [d] = await sql.unsafe(
      `select count(*)::int as n, count(distinct (device_id, published_at, metric_name))::int as keys from ${box.table}`,
    );
    expect([d!.n, d!.keys]).toEqual([run.count, run.count]);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 180_000);
});
