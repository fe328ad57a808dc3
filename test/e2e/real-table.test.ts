// The shipped path, not a sandbox copy: records produced to the real topic, stored by the connector applied from
// connectors/metrics-sink.json into the partitioned `metrics` table with its updated_at trigger, then rolled up by
// `sluice db maintain`'s functions. Other tests share the table, so this one owns only fresh device ids (a seed
// nobody else uses) and deletes exactly those rows afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { auditRows } from "../../src/audit/exact.ts";
import { isRunning, planAgainstLive } from "../../src/connect/apply.ts";
import type { Metric } from "../../src/contract/index.ts";
import { MAX_PUBLISHED_AT, VALUE_SUBJECT, valueJsonSchema } from "../../src/contract/index.ts";
import { maintain, rollupOnce } from "../../src/db/maintain.ts";
import { parseSpan } from "../../src/db/span.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { partitionFor } from "../../src/producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { produceRun } from "../../src/producer/session.ts";
import { deviceIds, metricAt, planRun, type Run } from "../../src/producer/workload.ts";
import { desiredConnectors, MAIN_CONNECTOR } from "../../src/provision.ts";
import { registerContract } from "../../src/registry/register.ts";
import { brokers, client, connect, ctx, eventually, registry, sql } from "./harness.ts";

const TABLE = "metrics";
const TOPIC = ctx.env.METRICS_TOPIC;
const ROLLUP = { m1: "metrics_rollup_1m", h1: "metrics_rollup_1h" };
const seed = `real-table-${Date.now()}-${randomUUID()}`;

interface Part {
  readonly name: string;
  readonly lower: number;
  readonly upper: number;
}
/** The runs, each with the partition its rows must land in. */
let runs: { run: Run; part: string }[] = [];
let ids: string[] = [];
/** Every metric sent, by key; the value the table must hold at the end (updates applied). */
const expected = new Map<string, Metric>();
const keyOf = (m: Pick<Metric, "device_id" | "metric_name" | "published_at">) =>
  `${m.device_id}/${m.metric_name}/${m.published_at}`;

/** Sends single metrics with the producer's own encoding, partitioning and schema header. */
async function sendMetrics(metrics: readonly Metric[]): Promise<void> {
  const schemaId = await registerContract(registry, VALUE_SUBJECT, valueJsonSchema());
  const admin = client.admin();
  const producer = client.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
    const headers = { [SCHEMA_ID_HEADER]: String(schemaId) };
    const partitions = meta!.partitions.length;
    const messages = metrics.map((m) => ({
      key: encodeKey(m),
      value: encodeValue(m),
      partition: partitionFor(m.device_id, partitions),
      headers,
    }));
    await producer.send({ topic: TOPIC, messages, acks: -1 });
  } finally {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
}

/** A stored row of ours: its partition, and created_at / updated_at in microseconds (text, exact). */
interface Row {
  device_id: string;
  ms: number;
  metric_name: number;
  value: number;
  tags: string[];
  part: string;
  created: string;
  updated: string;
}
async function ourRows(): Promise<Row[]> {
  return (await sql.unsafe(
    `select device_id::text, (extract(epoch from published_at) * 1000)::float8 as ms, metric_name, value, tags,
            tableoid::regclass::text as part, (extract(epoch from created_at) * 1e6)::bigint::text as created,
            (extract(epoch from updated_at) * 1e6)::bigint::text as updated
       from ${TABLE} where device_id = any($1::uuid[])`,
    [ids],
  )) as unknown as Row[];
}

async function cleanup(): Promise<void> {
  if (ids.length === 0) return;
  // Under the rollup's own lock, so a rollup run in progress cannot write our buckets back after the delete.
  await sql.begin(async (tx) => {
    await tx.unsafe(`select pg_advisory_xact_lock(hashtext('sluice_rollup:' || $1::regclass::text))`, [TABLE]);
    for (const t of [TABLE, ROLLUP.m1, ROLLUP.h1]) {
      await tx.unsafe(`delete from ${t} where device_id = any($1::uuid[])`, [ids]);
    }
  });
}

beforeAll(async () => {
  // The shipped connector, exactly as setup applies it from connectors/metrics-sink.json, is what stores the rows.
  const plan = await planAgainstLive(connect, desiredConnectors(ctx));
  expect(plan.find((a) => a.name === MAIN_CONNECTOR)?.kind).toBe("unchanged");
  expect(isRunning(await connect.status(MAIN_CONNECTOR))).toBe(true);
  // What `sluice db maintain` does (without retention: the table is shared): partitions from one interval back to
  // METRICS_PARTITIONS_AHEAD ahead, so "now" and the next interval have theirs whenever the stack was migrated.
  const interval = parseSpan(ctx.env.METRICS_PARTITION_INTERVAL);
  await maintain(sql, { table: TABLE, interval, ahead: ctx.env.METRICS_PARTITIONS_AHEAD });
  const parts = (
    await sql.unsafe(
      `select part::text as name, (extract(epoch from lower_bound) * 1000)::float8 as lower,
              (extract(epoch from upper_bound) * 1000)::float8 as upper
         from sluice_partitions($1::regclass) where not is_default order by lower_bound`,
      [TABLE],
    )
  ).map((p) => ({ name: p.name as string, lower: Number(p.lower), upper: Number(p.upper) })) as Part[];
  const [def] = await sql.unsafe(`select part::text as name from sluice_partitions($1::regclass) where is_default`, [
    TABLE,
  ]);
  const now = Date.now();
  const current = parts.find((p) => p.lower <= now && now < p.upper);
  expect(current).toBeDefined();
  const next = parts.find((p) => p.lower === current!.upper);
  expect(next).toBeDefined();
  // No partition covers the first or the last second the contract allows: those rows wait in the default partition.
  expect(parts.some((p) => p.lower <= 0 || p.upper > MAX_PUBLISHED_AT - 60_000)).toBe(false);
  const plan1 = (label: string, startMs: number, ticks: number, stepMs: number) =>
    planRun({ seed: `${seed}-${label}`, count: 3 * 6 * ticks, devices: 3, startMs, stepMs });
  runs = [
    // 10 ticks 7 s apart from 23.456 s past a minute: two or three minute buckets, one partition.
    { run: plan1("current", current!.lower + 3 * 60_000 + 23_456, 10, 7_000), part: current!.name },
    { run: plan1("next", next!.lower + 60_000 + 1, 2, 30_000), part: next!.name },
    { run: plan1("epoch", 0, 3, 20_000), part: def!.name as string },
    { run: plan1("last", MAX_PUBLISHED_AT - 59_999, 2, 59_999), part: def!.name as string },
  ];
  ids = runs.flatMap((r) => deviceIds(r.run) as string[]);
  for (const { run } of runs) {
    for (let k = 0; k < run.count; k++) expected.set(keyOf(metricAt(run, k)), metricAt(run, k));
    await produceRun({ brokers, registryUrl: registry, topic: TOPIC }, run);
  }
  await eventually("every row of the runs", async () => (await ourRows()).length === expected.size, 120_000);
});
afterAll(cleanup);

describe("the shipped connector into the partitioned metrics table", () => {
  test("every row exactly as sent, each in the partition of its instant (the default one outside them)", async () => {
    const rows = await ourRows();
    expect(rows.length).toBe(expected.size);
    for (const { run, part } of runs) {
      const own = new Set(deviceIds(run));
      const mine = rows.filter((r) => own.has(r.device_id));
      const audit = auditRows(run, run.count, mine);
      expect(audit).toEqual({ expected: run.count, found: run.count, missing: 0, unexpected: 0, wrong: 0 });
      expect([...new Set(mine.map((r) => r.part))]).toEqual([part]);
    }
    expect(new Set(runs.map((r) => r.part)).size).toBe(3);
    // Inserted, never changed: updated_at is the insert's time.
    expect(rows.filter((r) => r.updated !== r.created)).toEqual([]);
  });

  test("the rollups (sluice_rollup, as `sluice db maintain` runs it) hold each minute and hour exactly", async () => {
    await rolledUp();
    // Minutes at both ends of the contract's range, and hours of several minutes: the test covers what it claims.
    const minutes = [...bucketsOf([...expected.values()], 60_000).keys()].map((k) => Number(k.split("/")[2]));
    expect(minutes).toContain(0);
    expect(minutes).toContain(Math.floor(MAX_PUBLISHED_AT / 60_000) * 60_000);
    expect(minutes.length).toBeGreaterThan(bucketsOf([...expected.values()], 3_600_000).size);
  });

  test("an identical replay changes nothing; a changed value sets updated_at (created_at stays)", async () => {
    const before = new Map((await ourRows()).map((r) => [`${r.device_id}/${r.metric_name}/${r.ms}`, r]));
    const current = runs[0]!.run;
    const changed = [0, 1, 7, 20].map((k) => ({ ...metricAt(current, k), value: metricAt(current, k).value + 0.5 }));
    // Also a row in the default partition: the trigger is on every partition.
    const old = metricAt(runs[2]!.run, 4);
    changed.push({ ...old, value: old.value - 1.25, tags: [...old.tags, "moved"] });
    // After them, one new metric per device involved: a device's records share a Kafka partition, which the sink
    // stores in order, so once these are in the table the replay and the changes before them have been stored.
    const sentinels = [runs[0]!.run, runs[2]!.run].flatMap((run) =>
      deviceIds(run).map((device_id) => {
        const last = metricAt(run, run.count - 1);
        return { ...last, device_id, published_at: last.published_at + 1 };
      }),
    );
    // The whole current run again (identical), then the changes and the sentinels, from the producer's own code.
    await produceRun({ brokers, registryUrl: registry, topic: TOPIC }, current);
    await sendMetrics([...changed, ...sentinels]);
    for (const m of [...changed, ...sentinels]) expected.set(keyOf(m), m);
    await eventually("the sentinels", async () => (await ourRows()).length === expected.size);

    const after = await ourRows();
    const touched = new Set(changed.map(keyOf));
    for (const r of after) {
      const key = `${r.device_id}/${r.metric_name}/${r.ms}`;
      const m = expected.get(key)!;
      expect([key, r.value, r.tags]).toEqual([key, m.value, [...m.tags]]);
      const was = before.get(key);
      if (!was)
        expect([key, r.updated]).toEqual([key, r.created]); // a sentinel: inserted only
      else if (touched.has(key)) {
        expect([key, r.created, BigInt(r.updated) > BigInt(was.updated)]).toEqual([key, was.created, true]);
      } else expect([key, r.created, r.updated]).toEqual([key, was.created, was.updated]);
    }
    expect(after.filter((r) => r.updated !== r.created).length).toBe(changed.length);
  });

  test("the rollups after a change hold the new values (the updated_at trigger tells them)", () => rolledUp());
});

/**
 * Runs the rollup until the per-minute and per-hour rows of our devices are exactly what `expected` makes them. It
 * only takes rows up to the start of the oldest open transaction (another test's may be open), hence the polling; a
 * change whose updated_at did not move would never be taken, and this times out showing the stale buckets.
 */
async function rolledUp(): Promise<void> {
  const want = { m1: bucketsOf([...expected.values()], 60_000), h1: bucketsOf([...expected.values()], 3_600_000) };
  let got = { m1: new Map<string, Bucket>(), h1: new Map<string, Bucket>() };
  await eventually(
    "the rollups to hold every row as it is now",
    async () => {
      await rollupOnce(sql, TABLE, ROLLUP.m1, ROLLUP.h1);
      got = { m1: await readBuckets(ROLLUP.m1), h1: await readBuckets(ROLLUP.h1) };
      return sameBuckets(got.m1, want.m1) && sameBuckets(got.h1, want.h1);
    },
    30_000,
  ).catch((e) => {
    expect({ m1: [...got.m1], h1: [...got.h1] }).toEqual({ m1: [...want.m1], h1: [...want.h1] });
    throw e;
  });
}

interface Bucket {
  n: number;
  min: number;
  max: number;
  sum: number;
  last: number;
  lastAt: number;
}

function bucketsOf(metrics: readonly Metric[], width: number): Map<string, Bucket> {
  const out = new Map<string, Bucket>();
  for (const m of metrics) {
    // date_bin from 2000-01-01 (a whole hour past the epoch) is a floor to the width, before 2000 as after.
    const key = `${m.device_id}/${m.metric_name}/${Math.floor(m.published_at / width) * width}`;
    const b = out.get(key);
    if (!b) out.set(key, { n: 1, min: m.value, max: m.value, sum: m.value, last: m.value, lastAt: m.published_at });
    else {
      b.n++;
      b.min = Math.min(b.min, m.value);
      b.max = Math.max(b.max, m.value);
      b.sum += m.value;
      if (m.published_at > b.lastAt) [b.last, b.lastAt] = [m.value, m.published_at];
    }
  }
  return out;
}

async function readBuckets(table: string): Promise<Map<string, Bucket>> {
  const rows = await sql.unsafe(
    `select device_id::text, metric_name, (extract(epoch from bucket) * 1000)::float8 as bucket, n::int,
            min_value, max_value, sum_value, last_value, (extract(epoch from last_at) * 1000)::float8 as last_at
       from ${table} where device_id = any($1::uuid[])`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      `${r.device_id}/${r.metric_name}/${r.bucket}`,
      { n: r.n, min: r.min_value, max: r.max_value, sum: r.sum_value, last: r.last_value, lastAt: r.last_at },
    ]),
  );
}

/** Equal bucket for bucket; sums within rounding (PostgreSQL adds in its own order). */
function sameBuckets(got: Map<string, Bucket>, want: Map<string, Bucket>): boolean {
  if (got.size !== want.size) return false;
  for (const [k, w] of want) {
    const g = got.get(k);
    if (!g || g.n !== w.n || g.min !== w.min || g.max !== w.max) return false;
    if (g.last !== w.last || g.lastAt !== w.lastAt) return false;
    if (Math.abs(g.sum - w.sum) > 1e-9 * Math.max(1, Math.abs(w.sum))) return false;
  }
  return true;
}
