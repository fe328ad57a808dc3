// `bun bench/db.ts [--rows N] [--keep]` (npm run bench:db): PostgreSQL-side figures, all in one run on the live stack:
//   1. COPY into a plain table vs a table partitioned like `metrics` (N rows each),
//   2. batched SQL upserts (the sink's statement, 10,000 rows a batch) plain vs partitioned, and the effect of the
//      session-level knobs (synchronous_commit, wal_compression),
//   3. the Debezium sink draining a backlog of N rows into a plain vs a partitioned table,
//   4. the same into a partitioned table with `sluice_rollup` every 2 s: its cost to the sink and the rollup lag.
// Prints tables and writes bench/results/db-<timestamp>.json.
// `--maintain` runs only the cost of the admin service's maintenance schedule instead: the same backlog drained into
// partitioned tables with the schedule off, every 60 s and every 5 s (whole passes: partitions, retention, rollups),
// in one run; writes bench/results/db-maintain-<timestamp>.json.
import postgres from "postgres";
import { z } from "zod";
import { assertExact, roundTrip } from "../src/audit/round-trip.ts";
import { countFlag } from "../src/cli/command.ts";
import { table } from "../src/cli/table.ts";
import { kafkaSecurity } from "../src/config/kafka-security.ts";
import { maintain, rollupOnce } from "../src/db/maintain.ts";
import { grantSinkOn } from "../src/db/roles.ts";
import { parseSpan } from "../src/db/span.ts";
import { pgTls } from "../src/db/tls.ts";
import { kafka } from "../src/kafka/client.ts";
import { produceRun } from "../src/producer/session.ts";
import { metricAt, planRun, type Run } from "../src/producer/workload.ts";
import { connectClient } from "../src/provision.ts";
import { createSandbox, type Sandbox } from "../src/sandbox.ts";
import { startMaintenance } from "../src/server/maintenance.ts";
import type { StackContext } from "../src/stack/context.ts";
import { brokerAddresses } from "../src/stack/kafka.ts";
import { postgresUrl } from "../src/stack/postgres.ts";
import { registryUrl } from "../src/stack/registry.ts";
import { defineBench, writeFigures } from "./lib/bench.ts";

const options = { rows: { type: "string" }, keep: { type: "boolean" }, maintain: { type: "boolean" } } as const;
const schema = z.object({
  rows: countFlag(1_000_000, 50_000_000),
  keep: z.boolean().optional(),
  maintain: z.boolean().optional(),
});
type Flags = z.infer<typeof schema>;

async function run(flags: Flags, ctx: StackContext): Promise<void> {
  const { env, paths, log } = ctx;
  const sql = postgres(postgresUrl(ctx), { max: 3, onnotice: () => {}, ...pgTls(ctx.env) });
  const client = kafka(brokerAddresses(ctx), "sluice-bench-db", kafkaSecurity(ctx.env));
  const deps = { root: paths.root, sql, kafka: client, connect: connectClient(ctx) };
  const N = flags.rows;
  const boxes: Sandbox[] = [];
  const extra: string[] = [];
  let seq = 0;
  const newRun = (label: string, count = N): Run =>
    // 1,000 devices each sending its 6 metrics once a second: 1M rows span ~3 minutes, as a live sink would see them
    // (the rollups recompute only the minutes that changed).
    planRun({
      seed: `benchdb-${label}-${Date.now()}-${++seq}`,
      count,
      devices: 1000,
      startMs: Date.UTC(2026, 0, 1),
      stepMs: 1000,
    });

  /** A sandbox whose table is partitioned like `metrics` (daily, default partition, updated_at trigger). */
  async function partitionedBox(label: string, partitions: number): Promise<Sandbox> {
    const box = await createSandbox(deps, label, partitions);
    boxes.push(box);
    await sql.unsafe(`drop table ${box.table}`);
    await sql.unsafe(`create table ${box.table} (like metrics including all) partition by range (published_at)`);
    await sql.unsafe(`create table ${box.table}_default partition of ${box.table} default`);
    await sql.unsafe(`select sluice_ensure_partitions('${box.table}', '1 day', '2025-12-30', '2026-01-04')`);
    await sql.unsafe(`select sluice_track_updates('${box.table}')`);
    await grantSinkOn(sql, box.table);
    return box;
  }
  async function plainBox(label: string, partitions: number): Promise<Sandbox> {
    const box = await createSandbox(deps, label, partitions);
    boxes.push(box);
    return box;
  }

  function copyText(run: Run, from: number, to: number): string {
    let text = "";
    for (let k = from; k < to; k++) {
      const m = metricAt(run, k);
      text += `${m.device_id}\t${new Date(m.published_at).toISOString()}\t${m.metric_name}\t${m.value}\t{${m.tags.map((t) => `"${t}"`).join(",")}}\n`;
    }
    return text;
  }

  async function copyInto(tableName: string, run: Run): Promise<number> {
    const t0 = performance.now();
    const w = await sql
      .unsafe(`copy ${tableName} (device_id, published_at, metric_name, value, tags) from stdin`)
      .writable();
    for (let from = 0; from < run.count; from += 5000) {
      if (!w.write(copyText(run, from, Math.min(run.count, from + 5000)))) await new Promise((r) => w.once("drain", r));
    }
    await new Promise<void>((resolve, reject) => w.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return (performance.now() - t0) / 1000;
  }

  /** The sink's statement, 10,000 rows a batch, on one connection with the given session settings. */
  async function upsertInto(tableName: string, run: Run, settings: Record<string, string> = {}): Promise<number> {
    const conn = await sql.reserve();
    try {
      for (const [k, v] of Object.entries(settings)) await conn.unsafe(`set ${k} = ${v}`);
      const t0 = performance.now();
      for (let from = 0; from < run.count; from += 10_000) {
        const rows = [];
        for (let k = from; k < Math.min(run.count, from + 10_000); k++) {
          const m = metricAt(run, k);
          rows.push({
            device_id: m.device_id,
            published_at: new Date(m.published_at),
            metric_name: m.metric_name,
            value: m.value,
            tags: m.tags,
          });
        }
        await conn`insert into ${conn(tableName)} ${conn(rows as never, "device_id", "published_at", "metric_name", "value", "tags")}
          on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`;
      }
      return (performance.now() - t0) / 1000;
    } finally {
      conn.release();
    }
  }

  interface RollupSample {
    runMs: number;
    lagMs: number;
    changed: number;
  }

  /** Produces a backlog, starts the sink, times it to the last row; optionally rolls up every 2 s meanwhile. */
  async function drain(box: Sandbox, label: string, rollup?: { m1: string; h1: string }) {
    const run = newRun(label);
    log(`${label}: producing a backlog of ${N.toLocaleString("en-US")}…`);
    const samples: RollupSample[] = [];
    let done = false;
    let roller: Promise<void> | undefined;
    const rollEvery2s = async (r: { m1: string; h1: string }) => {
      while (!done) {
        const t0 = Date.now();
        const x = await rollupOnce(sql, box.table, r.m1, r.h1);
        samples.push({ runMs: Date.now() - t0, lagMs: Date.now() - x.watermark.getTime(), changed: x.changedRows });
        await Bun.sleep(2000);
      }
    };
    const trip = await roundTrip({
      sql,
      table: box.table,
      run,
      intervalMs: 500,
      onLanded: (n) => log(`${label}: ${n.toLocaleString("en-US")} landed`),
      produce: () =>
        produceRun(
          {
            brokers: brokerAddresses(ctx),
            security: kafkaSecurity(ctx.env),
            registryUrl: registryUrl(ctx),
            topic: box.topic,
          },
          run,
        ),
      afterProduce: async () => {
        roller = rollup && rollEvery2s(rollup);
        await box.applySink();
      },
    });
    assertExact(box.table, run, trip);
    const { span } = trip;
    const seconds = (trip.landedAtMs - trip.startMs) / 1000;
    done = true;
    await roller;
    let catchUpMs = 0;
    if (rollup) {
      // After the last row landed: how long until the rollups hold every row.
      const t1 = Date.now();
      for (;;) {
        const r = await rollupOnce(sql, box.table, rollup.m1, rollup.h1);
        const [c] = await sql.unsafe(`select coalesce(sum(n), 0)::bigint as n from ${rollup.m1}`);
        if (Number(c!.n) >= N && r.watermark.getTime() > span.lastMs) break;
        await Bun.sleep(200);
      }
      catchUpMs = Date.now() - t1;
    }
    return { seconds, steadySeconds: (span.lastMs - span.firstMs) / 1000, samples, catchUpMs };
  }

  /** Rollup tables beside a sandbox's table. */
  async function rollupTables(box: Sandbox): Promise<{ m1: string; h1: string }> {
    const [m1, h1] = [`${box.table}_1m`, `${box.table}_1h`];
    await sql.unsafe(`create table ${m1} (like metrics_rollup_1m including all)`);
    await sql.unsafe(`create table ${h1} (like metrics_rollup_1h including all)`);
    extra.push(m1, h1);
    return { m1, h1 };
  }

  /**
   * The admin service's schedule (src/server/maintenance.ts) on a sandbox table during `work`: whole passes of
   * `maintain` every `everyMs`, the first after the service's own delay (min(interval, 10 s)), so a 60 s schedule
   * lands one pass in a ~30 s drain, with a backlog to roll up.
   */
  async function withSchedule<T>(box: Sandbox, everyMs: number, work: () => Promise<T>) {
    const rollup = await rollupTables(box);
    const own = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
    const passes: number[] = [];
    const plan = { table: box.table, interval: parseSpan("1d"), ahead: 3, retention: parseSpan("3650d"), rollup };
    const schedule = startMaintenance({
      everyMs,
      log,
      pass: async () => {
        const t0 = performance.now();
        const report = await maintain(own, plan);
        passes.push(performance.now() - t0);
        return { ran: true, report };
      },
    });
    try {
      return { result: await work(), passes };
    } finally {
      await schedule.stop();
      await own.end({ timeout: 5 });
    }
  }

  /** `--maintain`: drain rate with the schedule off, every 60 s, every 5 s and off again, in one run. */
  async function maintainCost(): Promise<Record<string, unknown>> {
    // Off first and last: the first drain after a worker start runs on a colder JIT, the last one shows the drift.
    const variants = [
      { name: "off", everyMs: 0 },
      { name: "every 60 s", everyMs: 60_000 },
      { name: "every 5 s", everyMs: 5000 },
      { name: "off again", everyMs: 0 },
    ];
    const out = [];
    for (const v of variants) {
      const box = await partitionedBox(`bdb_maint_${out.length}`, env.TOPIC_PARTITIONS_METRICS);
      const { result, passes } = v.everyMs
        ? await withSchedule(box, v.everyMs, () => drain(box, `sink, maintenance ${v.name}`))
        : { result: await drain(box, "sink, maintenance off"), passes: [] as number[] };
      out.push({ ...v, seconds: result.seconds, steadySeconds: result.steadySeconds, passes });
    }
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const off = out[0]!;
    const head = [
      "maintenance schedule",
      "rows",
      "seconds",
      "rows/s",
      "ratio to first off",
      "passes",
      "pass ms mean / max",
    ];
    const rows = out.map((o) => [
      o.name,
      N,
      o.seconds.toFixed(1),
      fmt(N / o.seconds),
      (off.seconds / o.seconds).toFixed(2),
      o.passes.length,
      o.passes.length ? `${fmt(mean(o.passes))} / ${fmt(Math.max(...o.passes))}` : "",
    ]);
    console.log(table(head, rows));
    return { maintain: out };
  }

  try {
    const results: Record<string, unknown> = { rows: N };
    if (flags.maintain) {
      Object.assign(results, await maintainCost());
      console.log(`figures written to ${writeFigures(ctx.paths.root, "db-maintain", results)}`);
      return;
    }
    // The machine is shared and noisy: every short case runs twice in A/B/A/B order and keeps the better time.
    const best = async (cases: { name: string; run: () => Promise<number> }[]) => {
      const t = new Map<string, number>();
      for (let round = 0; round < 2; round++) {
        for (const c of cases) t.set(c.name, Math.min(t.get(c.name) ?? Infinity, await c.run()));
      }
      return cases.map((c) => ({ case: c.name, s: t.get(c.name)! }));
    };
    // 1. COPY (a fresh table per round so both rounds load the same amount)
    log("COPY plain / partitioned…");
    const copies = await best([
      { name: "plain", run: async () => copyInto((await plainBox("bdb_copy_plain", 1)).table, newRun("copy")) },
      {
        name: "partitioned",
        run: async () => copyInto((await partitionedBox("bdb_copy_part", 1)).table, newRun("copy")),
      },
    ]);
    const copyPlain = copies[0]!.s;
    const copyPart = copies[1]!.s;
    // 2. SQL upserts and knobs (N/5 fresh rows per case and round)
    const M = Math.max(10_000, Math.floor(N / 5));
    const uPlain = await plainBox("bdb_ups_plain", 1);
    const uPart = await partitionedBox("bdb_ups_part", 1);
    log(`SQL upserts, ${M.toLocaleString("en-US")} rows per case…`);
    const replayRun = newRun("replay", M);
    await upsertInto(uPart.table, replayRun);
    const ups = await best([
      { name: "plain, defaults", run: () => upsertInto(uPlain.table, newRun("u", M)) },
      { name: "partitioned, defaults", run: () => upsertInto(uPart.table, newRun("u", M)) },
      {
        name: "partitioned, synchronous_commit=off",
        run: () => upsertInto(uPart.table, newRun("u", M), { synchronous_commit: "off" }),
      },
      {
        name: "partitioned, wal_compression=pglz",
        run: () => upsertInto(uPart.table, newRun("u", M), { wal_compression: "pglz" }),
      },
      // A replay: the same rows again, so every row conflicts and becomes an update (the trigger fires only on a change).
      { name: "partitioned, replay of identical rows", run: () => upsertInto(uPart.table, replayRun) },
    ]);
    // 3 + 4. The sink: plain, partitioned, then partitioned with the rollups running every 2 s.
    const dPlain = await plainBox("bdb_sink_plain", env.TOPIC_PARTITIONS_METRICS);
    const dPart = await partitionedBox("bdb_sink_part", env.TOPIC_PARTITIONS_METRICS);
    const dRoll = await partitionedBox("bdb_sink_roll", env.TOPIC_PARTITIONS_METRICS);
    const m1 = `${dRoll.table}_1m`;
    const h1 = `${dRoll.table}_1h`;
    await sql.unsafe(`create table ${m1} (like metrics_rollup_1m including all)`);
    await sql.unsafe(`create table ${h1} (like metrics_rollup_1h including all)`);
    extra.push(m1, h1);
    const sinkPlain = await drain(dPlain, "sink-plain");
    const sinkPart = await drain(dPart, "sink-partitioned");
    const sinkRoll = await drain(dRoll, "sink-partitioned+rollups", { m1, h1 });

    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(
      table(
        ["scenario", "rows", "seconds", "rows/s", "ratio to plain"],
        [
          ["COPY, plain table", N, copyPlain.toFixed(1), fmt(N / copyPlain), "1.00"],
          ["COPY, partitioned table", N, copyPart.toFixed(1), fmt(N / copyPart), (copyPlain / copyPart).toFixed(2)],
          ...ups.map((u) => [`SQL upsert, ${u.case}`, M, u.s.toFixed(1), fmt(M / u.s), (ups[0]!.s / u.s).toFixed(2)]),
          [
            "sink drain, plain (connector start → last row)",
            N,
            sinkPlain.seconds.toFixed(1),
            fmt(N / sinkPlain.seconds),
            "1.00",
          ],
          [
            "sink drain, partitioned (connector start → last row)",
            N,
            sinkPart.seconds.toFixed(1),
            fmt(N / sinkPart.seconds),
            (sinkPlain.seconds / sinkPart.seconds).toFixed(2),
          ],
          [
            "sink drain, partitioned + rollups every 2 s",
            N,
            sinkRoll.seconds.toFixed(1),
            fmt(N / sinkRoll.seconds),
            (sinkPlain.seconds / sinkRoll.seconds).toFixed(2),
          ],
          [
            "sink drain, plain (first → last batch)",
            N,
            sinkPlain.steadySeconds.toFixed(1),
            fmt(N / sinkPlain.steadySeconds),
            "1.00",
          ],
          [
            "sink drain, partitioned (first → last batch)",
            N,
            sinkPart.steadySeconds.toFixed(1),
            fmt(N / sinkPart.steadySeconds),
            (sinkPlain.steadySeconds / sinkPart.steadySeconds).toFixed(2),
          ],
        ],
      ),
    );
    const s = sinkRoll.samples;
    const lags = s.map((x) => x.lagMs).sort((a, b) => a - b);
    const rolled = s.reduce((a, x) => a + x.changed, 0);
    const busy = s.reduce((a, x) => a + x.runMs, 0);
    console.log(
      `rollups during the partitioned drain: ${s.length} runs every 2 s, run time mean ${fmt(busy / Math.max(1, s.length))} ms ` +
        `(max ${fmt(Math.max(0, ...s.map((x) => x.runMs)))}), lag behind now p50 ${fmt(lags[Math.floor(lags.length / 2)] ?? 0)} ms, ` +
        `max ${fmt(lags.at(-1) ?? 0)} ms, ${fmt(rolled / Math.max(0.001, busy / 1000))} changed rows/s rolled up; ` +
        `all ${N.toLocaleString("en-US")} rows in the rollups ${fmt(sinkRoll.catchUpMs)} ms after the last one landed`,
    );
    Object.assign(results, { copyPlain, copyPart, upserts: ups, upsertRows: M, sinkPlain, sinkPart, sinkRoll });
    const file = writeFigures(ctx.paths.root, "db", results);
    console.log(`figures written to ${file}`);
  } finally {
    if (!flags.keep) {
      for (const t of extra) await sql.unsafe(`drop table if exists ${t}`).catch(() => {});
      for (const b of boxes) {
        await sql`delete from sluice_rollup_state where source = ${b.table}`.catch(() => {});
        await b.dispose({ topics: true }).catch(() => {});
      }
    }
    await sql.end({ timeout: 5 });
  }
}

/** `bun bench/main.ts db`. */
export const bench = defineBench({
  name: "db",
  summary: "PostgreSQL side: COPY and upserts plain vs partitioned, session knobs, the sink with and without rollups",
  usage: "bun bench/main.ts db [--rows N] [--keep] [--maintain]   (npm run bench:db)",
  options,
  schema,
  run,
});
