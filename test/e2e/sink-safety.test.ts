import { afterAll, describe, expect, test } from "bun:test";
import { ConfigResourceTypes } from "kafkajs";
import { isRunning } from "../../src/connect/apply.ts";
import type { Metric } from "../../src/contract/metric.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, ctx, eventually, readAll, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

// The sink's promises where they are easiest to break: a batch counts as written only when its rows are stored and
// its dead letters acknowledged; a table that refuses every row stops the task instead of draining the stream into
// the DLQ; a permanent misconfiguration surfaces as FAILED with a hint instead of endless retries behind RUNNING.
const boxes: Sandbox[] = [];
afterAll(async () => {
  for (const b of boxes) await b.dispose({ topics: true }).catch((e) => console.error(`dispose ${b.id}: ${e}`));
});

/** Kafka's JsonConverter with the contract's schema and no contract check: rows PostgreSQL refuses reach the sink. */
const RAW_CONVERTERS = {
  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
  "key.converter.schemas.enable": "true",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true",
  transforms: "",
};

async function send(topic: string, metrics: readonly Metric[], raw: { key: string; value: string }[] = []) {
  const producer = client.producer();
  await producer.connect();
  const messages = [...metrics.map((m) => ({ key: encodeKey(m), value: encodeValue(m) })), ...raw];
  await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  await producer.disconnect();
}

/** The connector's committed offset of partition 0 (-1 when nothing is committed). */
async function committed(box: Sandbox): Promise<number> {
  const admin = client.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: `connect-${box.connector}`, topics: [box.topic] });
    return Number(t?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

async function endOffset(topic: string): Promise<number> {
  const admin = client.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function dlqMaxBytes(topic: string, bytes: number): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: "max.message.bytes", value: String(bytes) }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** The worker's count of failed DLQ writes for the connector (Connect's task-error-metrics, via the JMX exporter). */
async function dlqProduceFailures(connector: string): Promise<number> {
  const text = await (await fetch(`http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_JMX_PORT}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) =>
      l.startsWith(`kafka_connect_task_error_metrics_deadletterqueue_produce_failures{connector="${connector}"`),
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/** Every failed task's whole trace (the cause is below Connect's own "Exiting WorkerSinkTask" lines). */
async function failedTrace(connector: string): Promise<string> {
  const s = await connect.status(connector);
  return (s?.tasks ?? [])
    .filter((t) => t.state === "FAILED")
    .map((t) => t.trace ?? "")
    .join("\n");
}

const values = (table: string) =>
  sql.unsafe(
    `select device_id::text as d, (extract(epoch from published_at) * 1000)::float8 as at, metric_name as c, value from ${table}`,
  );

function expectStored(rows: readonly Record<string, unknown>[], sent: readonly Metric[]) {
  const byKey = new Map(rows.map((r) => [`${r.d}|${r.at}|${r.c}`, r.value]));
  expect(byKey.size).toBe(sent.length);
  for (const m of sent) expect(byKey.get(`${m.device_id}|${m.published_at}|${m.metric_name}`)).toBe(m.value);
}

describe("the sink's safety", () => {
  test("DLQ unwritable: offsets never pass the first dead letter until the DLQ acknowledged it; then it lands once and every valid row is stored", async () => {
    const box = await sandbox("sink_dlq_down", 1);
    boxes.push(box);
    // The DLQ refuses anything bigger than 1,000 bytes; a dead letter with its context headers is bigger.
    await dlqMaxBytes(box.dlq, 1000);
    const run = planRun({ seed: `dlqdown-${Date.now()}`, count: 20, devices: 2, startMs: Date.UTC(2026, 10, 6) });
    const good = Array.from({ length: run.count }, (_, k) => metricAt(run, k));
    const poison = { ...good[0]!, device_id: "device-7", published_at: good[0]!.published_at - 1 };
    await send(box.topic, good.slice(0, 10), [{ key: encodeKey(poison as never), value: JSON.stringify(poison) }]);
    await send(box.topic, good.slice(10));
    const poisonOffset = 10;
    // The table locked while the task starts: the batch with the poison is still being written when Connect's first
    // offset commit (5 s after the start) asks preCommit, the moment the dead letter used to slip past unacknowledged.
    const lock = await sql.reserve();
    await lock`begin`;
    await lock.unsafe(`lock table ${box.table} in access exclusive mode`);
    try {
      await box.applySink(undefined, RAW_CONVERTERS);
      await Bun.sleep(8_000);
    } finally {
      await lock`commit`;
      lock.release();
    }
    await eventually("the 20 valid rows stored", async () => (await rowCount(box.table)) === 20, 60_000);
    // Offsets are committed every 5 s (offset.flush.interval.ms): watch two commits' worth.
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      expect(await committed(box)).toBeLessThanOrEqual(poisonOffset);
      await Bun.sleep(500);
    }
    expect(await dlqProduceFailures(box.connector)).toBeGreaterThan(0);
    expect(await endOffset(box.dlq)).toBe(0);
    // The DLQ writable again. Connect fails the task at an offset commit once it sees a failed DLQ future (before or
    // after the writer's retry got through): restarting what FAILED, as an operator or the healer would, resumes
    // from the committed offset, which never passed the dead letter.
    await dlqMaxBytes(box.dlq, 1_048_588);
    // The task that got the dead letter through may still be failed by Connect at its next commit, so "done" is:
    // offsets past the last record and the task running through two offset commits (5 s apart) in a row.
    let runningSince = 0;
    await eventually(
      "offsets past the last record, the task running across two offset commits",
      async () => {
        const status = await connect.status(box.connector);
        if (status?.tasks.some((t) => t.state === "FAILED"))
          await connect.restartConnector(box.connector, { includeTasks: true, onlyFailed: true });
        if ((await committed(box)) !== 21 || !isRunning(await connect.status(box.connector))) {
          runningSince = 0;
          return false;
        }
        runningSince ||= Date.now();
        return Date.now() - runningSince >= 12_000;
      },
      120_000,
    );
    const dead = await readAll(box.dlq, 1);
    expect(dead.map((d) => Number(d.headers?.["__connect.errors.offset"]?.toString()))).toEqual([poisonOffset]);
    expect(await endOffset(box.dlq)).toBe(1);
    expectStored(await values(box.table), good);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 240_000);

  test("a table that refuses every row (no partition for it): the task stops within a batch, nothing in the DLQ, offsets kept; fixed and restarted, every row lands", async () => {
    const box = await sandbox("sink_systemic", 1);
    boxes.push(box);
    // The sandbox's table, partitioned like `metrics` but with one day only and no default partition.
    await sql.unsafe(`drop table ${box.table}`);
    await sql.unsafe(`create table ${box.table} (like metrics including all) partition by range (published_at)`);
    await sql.unsafe(
      `create table ${box.table}_d1 partition of ${box.table} for values from ('2026-11-07') to ('2026-11-08')`,
    );
    await sql.unsafe(`grant select, insert, update on ${box.table} to sluice_sink`);
    const run = planRun({ seed: `systemic-${Date.now()}`, count: 300, devices: 3, startMs: Date.UTC(2026, 10, 8, 1) });
    const sent = Array.from({ length: run.count }, (_, k) => metricAt(run, k));
    await send(box.topic, sent);
    await box.applySink(undefined, { "batch.size": "100" }).catch(() => undefined); // it may fail before RUNNING shows
    await eventually("the task FAILED", async () => /23514/.test(await failedTrace(box.connector)), 60_000);
    const trace = await failedTrace(box.connector);
    expect(trace).toContain(box.table);
    expect(trace).toContain("sluice db maintain");
    expect(await endOffset(box.dlq)).toBe(0);
    expect(await committed(box)).toBeLessThanOrEqual(0);
    expect(await rowCount(box.table)).toBe(0);
    // The fix: the missing partition. Then a restart of what FAILED.
    await sql.unsafe(
      `create table ${box.table}_d2 partition of ${box.table} for values from ('2026-11-08') to ('2026-11-09')`,
    );
    await connect.restartConnector(box.connector, { includeTasks: true, onlyFailed: true });
    await eventually("every row stored", async () => (await rowCount(box.table)) === run.count, 90_000);
    expectStored(await values(box.table), sent);
    expect(await endOffset(box.dlq)).toBe(0);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 240_000);

  for (const [what, overrides, state, hint] of [
    [
      "a database that does not exist",
      { "connection.url": `jdbc:postgresql://${ctx.env.SLUICE_HOST}:${ctx.env.POSTGRES_PORT}/no_such_db` },
      "3D000",
      "SLUICE_SINK_JDBC_URL",
    ],
    ["a user the server does not know", { "connection.username": "sluice_nobody" }, "28P01", "SLUICE_SINK_DB_PASSWORD"],
  ] as const) {
    test(`${what} (${state}) fails the task within seconds with a hint, instead of retrying behind RUNNING`, async () => {
      const box = await sandbox(`sink_${state.toLowerCase()}`, 1);
      boxes.push(box);
      await send(box.topic, [
        metricAt(planRun({ seed: `${state}-${Date.now()}`, count: 1, devices: 1, startMs: Date.UTC(2026, 10, 9) }), 0),
      ]);
      await box.applySink(undefined, overrides).catch(() => undefined);
      await eventually(
        `the task FAILED with ${state}`,
        async () => (await failedTrace(box.connector)).includes(state),
        30_000,
      );
      expect(await failedTrace(box.connector)).toContain(hint);
    }, 90_000);
  }
});
