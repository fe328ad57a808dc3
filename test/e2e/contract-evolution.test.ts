// Contract evolution on a running pipeline (docs/contract.md): a new metric code and a new optional field rolled out
// while a producer of the old contract keeps sending at a steady rate, and two changes the registry refuses — each
// against a sandboxed subject, topic, table, codes table and connector, with variants of the contract built here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Producer } from "kafkajs";
import { z } from "zod";
import { auditRows } from "../../src/audit/exact.ts";
import { type Paced, pacedProducer } from "../../src/chaos/paced.ts";
import { contractConfig } from "../../src/connect/desired.ts";
import {
  CONTRACT,
  type Contract,
  defineContract,
  keyOf,
  type Metric,
  SHIPPED_CODES,
  valueJsonSchema,
} from "../../src/contract/index.ts";
import { formatRollout } from "../../src/contract/rollout.ts";
import { planLive, type RolloutDeps, type RolloutTarget, rollout } from "../../src/contract/rollout-live.ts";
import { rollupOnce } from "../../src/db/maintain.ts";
import { readDeadLetters } from "../../src/dlq/read.ts";
import { replayDeadLetters } from "../../src/dlq/replay.ts";
import { SluiceError } from "../../src/errors.ts";
import { encodeKey } from "../../src/producer/encode.ts";
import { partitionFor } from "../../src/producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { contractId } from "../../src/registry/compatibility.ts";
import { client, connect, eventually, registry, type Sandbox, sandbox, sql } from "./harness.ts";

const PARTITIONS = 3;
const RATE = 300;
const V1 = CONTRACT;
const V2 = defineContract({
  codes: { ...SHIPPED_CODES, voltage: { code: 60, unit: "V", description: "supply voltage" } },
});
const V3 = defineContract({ codes: V2.codes, optional: { unit: z.string().max(16) } });

let box: Sandbox;
let codesTable: string;
let subject: string;
let producer: Producer;
let steady: Paced;
/** The migrations of the sandboxed table: applied by the rollout's database step, in order. */
const migrations: { name: string; sql: string }[] = [];
const applied = new Set<string>();
/** What the new producers sent and were acknowledged, by key: exactly these rows must land (with the steady run). */
const sentNew = new Map<string, Metric & { unit?: string }>();
const run = planRun({ seed: `evolve-${Date.now()}`, count: 1_000_000, devices: 30, startMs: Date.UTC(2026, 10, 1) });
const newRun = planRun({
  seed: `evolve-new-${Date.now()}`,
  count: 10_000,
  devices: 10,
  startMs: Date.UTC(2026, 10, 2),
});
let newNext = 0;

const deps: RolloutDeps = {
  sql,
  registryUrl: registry,
  connect,
  kafka: client,
  pendingMigrations: async () => migrations.filter((m) => !applied.has(m.name)).map((m) => m.name),
  migrate: async () => {
    for (const m of migrations.filter((x) => !applied.has(x.name))) {
      await sql.unsafe(m.sql);
      applied.add(m.name);
    }
  },
};

const target = (contract: Contract): RolloutTarget => ({
  contract,
  subject,
  table: box.table,
  codesTable,
  connector: box.sinkSpec(box.connector, contractConfig(contract)),
});

const keyText = (m: Pick<Metric, "device_id" | "published_at" | "metric_name">) =>
  `${m.device_id}|${m.published_at}|${m.metric_name}`;

/**
 * Sends `n` records of the new producer (code 60, and `unit` when given), acknowledged; returns them. `from` sends
 * keys already sent again (an update of those rows) instead of new ones.
 */
async function sendNew(n: number, unit?: string, from?: number): Promise<Metric[]> {
  // One key per record (the run's codes are overwritten, so its keys would collide): its own millisecond each.
  const batch = Array.from({ length: n }, (_, i) => {
    const k = from === undefined ? newNext++ : from + i;
    return {
      device_id: metricAt(newRun, k).device_id,
      published_at: Date.UTC(2026, 10, 2) + k,
      metric_name: 60,
      value: 3 + (k % 200) / 97,
      tags: ["evolve"],
      ...(unit ? { unit } : {}),
    } as Metric;
  });
  await producer.send({
    topic: box.topic,
    acks: -1,
    messages: batch.map((m) => ({
      key: encodeKey(keyOf(m)),
      value: JSON.stringify(m),
      partition: partitionFor(m.device_id, PARTITIONS),
      headers: { [SCHEMA_ID_HEADER]: "0" },
    })),
  });
  for (const m of batch) sentNew.set(keyText(m), m);
  return batch;
}

async function dlqCount(): Promise<number> {
  const admin = client.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(box.dlq)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the sink's group has committed every offset of the topic written so far. */
async function caughtUp(): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    const end = (await admin.fetchTopicOffsets(box.topic)).reduce((s, p) => s + Number(p.high), 0);
    await eventually(
      "sink caught up",
      async () => {
        const [g] = await admin.fetchOffsets({ groupId: `connect-${box.connector}`, topics: [box.topic] });
        return g!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) >= end;
      },
      90_000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; connector: ${JSON.stringify(await connect.status(box.connector))}`);
    });
  } finally {
    await admin.disconnect();
  }
}

async function registryVersions(): Promise<number[]> {
  const r = await fetch(`${registry}/subjects/${encodeURIComponent(subject)}/versions`);
  return (await r.json()) as number[];
}

beforeAll(async () => {
  box = await sandbox("evolve", PARTITIONS);
  codesTable = `${box.table}_codes`;
  subject = `${box.topic}-value`;
  await sql.unsafe(`create table ${codesTable} (like metric_codes including all)`);
  await sql.unsafe(`select sluice_track_updates('${box.table}')`);
  for (const r of ["1m", "1h"])
    await sql.unsafe(`create table ${box.table}_${r} (like metrics_rollup_${r} including all)`);
  box.own(box.connector);
  // Version 1: the shipped contract, rolled out the same way.
  const plan = await rollout(deps, target(V1));
  expect(plan.steps.map((s) => s.phase)).toEqual(["database", "registry", "connector"]);
  producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  steady = pacedProducer(producer, { topic: box.topic, partitions: PARTITIONS, run, rate: RATE, schemaId: 1 });
  await eventually("the steady producer's rows land", async () => steady.acked() > RATE);
}, 180_000);

afterAll(async () => {
  steady?.stop();
  await steady?.done;
  await producer?.disconnect();
  await box?.dispose({ topics: true });
  if (codesTable) await sql.unsafe(`drop table if exists ${codesTable}, ${box.table}_1m, ${box.table}_1h`);
  if (box) await sql`delete from sluice_rollup_state where source = ${box.table}`;
  if (subject) await fetch(`${registry}/subjects/${encodeURIComponent(subject)}`, { method: "DELETE" });
});

describe("contract evolution while a producer of the old contract keeps sending", () => {
  test("a new metric code: sent early it goes to the DLQ saying so; after the rollout it lands, and the replay lands the early ones", async () => {
    const early = await sendNew(200);
    await eventually("the early code-60 records reach the DLQ", async () => (await dlqCount()) === early.length);
    const letters = await readDeadLetters(client, box.dlq);
    expect(letters[0]!.reason).toContain("expected one of [0, 10, 20, 30, 40, 50]");
    expect(letters[0]!.reason).toContain("not in the contract this connector runs");

    const plan = await planLive(deps, target(V2));
    expect(plan.refusals).toEqual([]);
    expect(plan.steps.map((s) => s.phase)).toEqual(["database", "registry", "connector", "producers"]);
    expect(formatRollout(plan)).toContain("may send metric codes 60");
    await rollout(deps, target(V2));

    await sendNew(200);
    await caughtUp();
    const report = await replayDeadLetters(
      { kafka: client, sql },
      {
        dlq: box.dlq,
        to: box.topic,
        table: box.table,
        fixes: [],
        dryRun: false,
        chunkSize: 500,
        stallMs: 30_000,
        schemaId: 2,
        contract: V2,
      },
    );
    expect(report).toMatchObject({ read: early.length, sent: early.length, kept: [] });
    const [codes] = await sql.unsafe(`select name, unit from ${codesTable} where code = 60`);
    expect({ ...codes }).toEqual({ name: "voltage", unit: "V" });
    expect(await registryVersions()).toEqual([1, 2]);
  }, 240_000);

  test("a new optional field: refused without a column, then its migration first; old and new producers both land", async () => {
    const withoutColumn = await planLive(deps, target(V3));
    expect(withoutColumn.refusals.join()).toContain(`field unit has no column in ${box.table}`);
    migrations.push({ name: "0001_unit", sql: `alter table ${box.table} add column unit text` });
    const plan = await planLive(deps, target(V3));
    expect(plan.refusals).toEqual([]);
    expect(plan.steps[0]).toEqual({
      phase: "database",
      action: "migrate",
      migrations: ["0001_unit"],
      mustAdd: ["unit"],
    });
    expect(plan.steps[1]).toEqual({ phase: "database", action: "grant", columns: ["unit"] });
    expect(plan.steps.at(-1)).toMatchObject({ phase: "producers", fields: ["unit"], codes: [] });
    await rollout(deps, target(V3));
    await sendNew(300, "V");
    await sendNew(100); // a producer of version 2, still without the field
    await sendNew(50, "V", 0); // rows stored before the column existed, sent again with the field: updated
    await caughtUp();
    expect(await registryVersions()).toEqual([1, 2, 3]);
    const [units] = await sql.unsafe(
      `select count(*) filter (where unit = 'V')::int as v, count(*) filter (where unit is null)::int as none from ${box.table}`,
    );
    expect(units!.v).toBe(350);
    expect(units!.none).toBeGreaterThan(0);
  }, 240_000);

  test("removing a field or a code is refused, naming the field and the registry's rule, and nothing is applied", async () => {
    const before = {
      versions: await registryVersions(),
      config: await connect.getConfig(box.connector),
      codes: await sql.unsafe(`select * from ${codesTable} order by code`),
    };
    const noTags: Contract = { ...V3, value: V3.value.omit({ tags: true }) };
    const e = await rollout(deps, target(noTags)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SluiceError);
    expect((e as SluiceError).code).toBe("CONTRACT_REFUSED");
    expect((e as SluiceError).message).toContain("field tags removed");
    expect((e as SluiceError).message).toContain("OBJECT_TYPE_PROPERTY_SCHEMAS_NARROWED");
    const { sound: _, ...fewer } = V3.codes;
    const noSound = defineContract({ codes: fewer, optional: { unit: z.string().max(16) } });
    const e2 = (await rollout(deps, target(noSound)).catch((x: unknown) => x)) as SluiceError;
    expect(e2.code).toBe("CONTRACT_REFUSED");
    expect(e2.message).toContain("field metric_name: metric codes removed");
    expect(await registryVersions()).toEqual(before.versions);
    expect(await connect.getConfig(box.connector)).toEqual(before.config!);
    expect(await sql.unsafe(`select * from ${codesTable} order by code`)).toEqual(before.codes);
  }, 120_000);

  test("a producer looks its contract up and never registers it: one not rolled out yet is refused, saying what differs", async () => {
    expect(await contractId(registry, subject, valueJsonSchema(V3))).toBeGreaterThan(0);
    const V4 = defineContract({
      codes: { ...V3.codes, current: { code: 70, unit: "A", description: "supply current" } },
      optional: { unit: z.string().max(16) },
    });
    const e = (await contractId(registry, subject, valueJsonSchema(V4)).catch((x: unknown) => x)) as SluiceError;
    expect(e.code).toBe("CONTRACT_NOT_REGISTERED");
    expect(e.message).toContain("codes added 70");
    expect(e.message).toContain("sluice setup");
    expect(await registryVersions()).toEqual([1, 2, 3]);
  });

  test("audit: every acknowledged record of every producer landed exactly once with its values, nothing else", async () => {
    steady.stop();
    await steady.done;
    expect(steady.failures()).toBe(0);
    await caughtUp();
    const rows = await sql.unsafe(
      `select device_id::text, (extract(epoch from published_at) * 1000)::float8 as ms, metric_name, value, tags, unit from ${box.table}`,
    );
    const steadyRows = rows.filter((r) => r.metric_name !== 60);
    const audit = auditRows(run, steady.acked(), steadyRows as never);
    expect(audit).toMatchObject({ missing: 0, unexpected: 0, wrong: 0 });
    expect(steadyRows.every((r) => r.unit === null)).toBe(true);
    let wrong = 0;
    let unexpected = 0;
    for (const r of rows.filter((x) => x.metric_name === 60)) {
      const m = sentNew.get(keyText({ device_id: r.device_id, published_at: r.ms, metric_name: 60 }));
      if (!m) unexpected++;
      else if (m.value !== r.value || (m.unit ?? null) !== r.unit || m.tags.join() !== r.tags.join()) wrong++;
    }
    const landedNew = rows.length - steadyRows.length;
    expect({ missing: sentNew.size - (landedNew - unexpected), unexpected, wrong }).toEqual({
      missing: 0,
      unexpected: 0,
      wrong: 0,
    });
    expect(audit.expected).toBeGreaterThan(RATE * 10);
  }, 180_000);

  test("the rollups count and sum the rows of both contract versions, per metric code", async () => {
    await rollupOnce(sql, box.table, `${box.table}_1m`, `${box.table}_1h`);
    const byCode = (q: string) =>
      sql.unsafe(q).then((rows) => rows.map((r) => ({ code: r.code, n: Number(r.n), s: Number(r.s) })));
    const table = await byCode(
      `select metric_name as code, count(*) as n, sum(value) as s from ${box.table} group by 1 order by 1`,
    );
    for (const r of ["1m", "1h"]) {
      const rolled = await byCode(
        `select metric_name as code, sum(n) as n, sum(sum_value) as s from ${box.table}_${r} group by 1 order by 1`,
      );
      expect(rolled.map((x) => [x.code, x.n])).toEqual(table.map((x) => [x.code, x.n]));
      for (const [i, x] of rolled.entries()) expect(x.s).toBeCloseTo(table[i]!.s, 3);
    }
    expect(table.find((x) => x.code === 60)?.n).toBe(sentNew.size);
  }, 60_000);
});
