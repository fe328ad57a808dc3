// `bun bench/main.ts queries [--rows 100m] [--rounds 3] [--keep]`: the analyst pack at scale. Fills a table
// partitioned like `metrics` with N rows (1,000 devices × 6 metrics at 1 Hz, so 100M rows span 4.6 hours) in slices of
// 3M rows with a rollup pass after each (as the admin service's schedule keeps up while rows land; timed), adds one
// more minute as the not-yet-rolled-up tail, then times every pack query (fast: rollups + tail, best/median/worst of
// the rounds) and the raw-table answer of those that have one (--exact), in one run.
// Prints a table and writes bench/results/queries-<date>.json.
import type { Sql } from "postgres";
import postgres from "postgres";
import { z } from "zod";
import { countFlag } from "../src/cli/command.ts";
import { table } from "../src/cli/table.ts";
import { rollupOnce } from "../src/db/maintain.ts";
import { loadPack, retargetPack, runPackQuery } from "../src/db/queries.ts";
import { pgTls } from "../src/db/tls.ts";
import type { StackContext } from "../src/stack/context.ts";
import { postgresUrl } from "../src/stack/postgres.ts";
import { defineBench, writeFigures } from "./lib/bench.ts";
import { createPartitionedLikeMetrics } from "./lib/tables.ts";

const DEVICES = 1000;
const CODES = [0, 10, 20, 30, 40, 50];
/** Rows per insert statement: one slice of seconds across every device and code. */
const CHUNK = 3_000_000;

const options = { rows: { type: "string" }, rounds: { type: "string" }, keep: { type: "boolean" } } as const;
const schema = z.object({
  rows: countFlag(100_000_000, 300_000_000),
  rounds: countFlag(3, 20),
  keep: z.boolean().optional(),
});

const ms = (t0: number) => Math.round(performance.now() - t0);

/** Inserts the samples of seconds [s0, s1) from `start` (ms): every device × code once a second. */
function fillSeconds(sql: Sql, t: string, start: number, s0: number, s1: number) {
  return sql.unsafe(
    `insert into ${t} (device_id, published_at, metric_name, value, tags)
     select ('00000000-0000-4000-8000-' || lpad(d::text, 12, '0'))::uuid, to_timestamp(($1::bigint + s * 1000) / 1000.0), c,
            20 + 10 * sin(d + s / 600.0) + c + (hashint4(d * 100003 + s * 7 + c) % 1000) / 100.0, '{bench}'
       from generate_series($2::int, $3::int - 1) s, generate_series(1, $4::int) d, unnest($5::int[]) c`,
    [start, s0, s1, DEVICES, CODES],
  );
}

async function prepare(sql: Sql, t: string, rows: number, start: number, log: (l: string) => void) {
  const seconds = Math.ceil(rows / (DEVICES * CODES.length));
  await createPartitionedLikeMetrics(sql, t, "1 day", new Date(start), new Date(start + (seconds + 120) * 1000));
  // sluice_retained_from runs as the owner of metrics and its partitions; this table is the bench's.
  await sql.unsafe(`grant select on ${t}_default to sluice_owner`);
  await sql.unsafe(`select sluice_track_updates('${t}')`);
  for (const r of ["1m", "1h"]) await sql.unsafe(`create table ${t}_${r} (like metrics_rollup_${r} including all)`);
  const step = Math.max(1, Math.floor(CHUNK / (DEVICES * CODES.length)));
  let loadMs = 0;
  const passes: number[] = [];
  for (let s = 0; s < seconds; s += step) {
    const t0 = performance.now();
    await fillSeconds(sql, t, start, s, Math.min(seconds, s + step));
    loadMs += ms(t0);
    const r0 = performance.now();
    await rollupOnce(sql, t, `${t}_1m`, `${t}_1h`);
    passes.push(ms(r0));
    const done = Math.min(seconds, s + step) * DEVICES * CODES.length;
    log(
      `filled ${done.toLocaleString("en-US")} rows (${Math.round(done / (loadMs / 1000))} rows/s), rollup pass ${passes.at(-1)} ms`,
    );
  }
  await sql.unsafe(`analyze ${t}`);
  return { seconds, loadMs, passes };
}

async function run(flags: z.infer<typeof schema>, ctx: StackContext): Promise<void> {
  const log = ctx.log;
  const sql = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
  const t = `bench_q_${Date.now().toString(36)}`;
  const start = Math.floor((Date.now() - 6 * 3_600_000) / 3_600_000) * 3_600_000;
  try {
    const { seconds, loadMs, passes } = await prepare(sql, t, flags.rows, start, log);
    const rows = seconds * DEVICES * CODES.length;
    const rollupMs = passes.reduce((a, b) => a + b, 0);
    log(
      `rollup passes over ${rows.toLocaleString("en-US")} rows: ${rollupMs} ms in all, ${Math.max(...passes)} ms at most`,
    );
    const t0 = performance.now();
    await fillSeconds(sql, t, start, seconds, seconds + 60); // the tail: a minute the rollups have not seen
    const tailMs = ms(t0);
    await sql.unsafe(`analyze ${t}_1m; analyze ${t}_1h`);
    const sizes = await sql.unsafe(
      `select pg_total_relation_size($1::regclass) as rollup_1m, pg_total_relation_size($2::regclass) as rollup_1h,
              (select sum(pg_total_relation_size(inhrelid)) from pg_inherits where inhparent = $3::regclass) as raw`,
      [`${t}_1m`, `${t}_1h`, t],
    );
    const pack = retargetPack(loadPack(), t);
    const results = [];
    for (const q of pack) {
      const times: number[] = [];
      for (let r = 0; r < flags.rounds; r++) {
        const q0 = performance.now();
        await runPackQuery(sql, q.name, { limit: 1000 }, pack);
        times.push(ms(q0));
      }
      times.sort((a, b) => a - b);
      let exactMs: number | undefined;
      if (q.exact) {
        const q0 = performance.now();
        await runPackQuery(sql, q.name, { limit: 1000 }, pack, true);
        exactMs = ms(q0);
      }
      const row = {
        query: q.name,
        bestMs: times[0]!,
        medianMs: times[Math.floor(times.length / 2)]!,
        worstMs: times.at(-1)!,
        exactMs,
      };
      log(
        `${q.name}: fast ${row.medianMs} ms (${row.bestMs}–${row.worstMs})${exactMs === undefined ? "" : `, exact ${exactMs} ms`}`,
      );
      results.push(row);
    }
    console.log(
      table(
        ["query", "fast median ms", "best–worst", "exact ms", "exact / fast"],
        results.map((r) => [
          r.query,
          r.medianMs,
          `${r.bestMs}–${r.worstMs}`,
          r.exactMs ?? "",
          r.exactMs === undefined ? "" : `${(r.exactMs / Math.max(1, r.medianMs)).toFixed(0)}×`,
        ]),
      ),
    );
    const file = writeFigures(ctx.paths.root, "queries", {
      rows,
      shape: { devices: DEVICES, codes: CODES.length, hz: 1, seconds, tailRows: 60 * DEVICES * CODES.length },
      loadMs,
      rollupMs,
      rollupPassesMs: passes,
      tailMs,
      bytes: { ...sizes[0] },
      rounds: flags.rounds,
      queries: results,
    });
    log(`figures: ${file}`);
  } finally {
    if (!flags.keep) {
      await sql.unsafe(`drop table if exists ${t}, ${t}_1m, ${t}_1h cascade`);
      await sql`delete from sluice_rollup_state where source = ${t}`;
      await sql`delete from metrics_landed_1m where source = ${t}`;
      await sql`delete from metrics_hist_1h where source = ${t}`;
    }
    await sql.end({ timeout: 5 });
  }
}

export const bench = defineBench({
  name: "queries",
  summary: "the analyst query pack at N rows (default 100M): fast (rollups + tail) against exact, one run",
  usage: `bun bench/main.ts queries [--rows 100m] [--rounds 3] [--keep]

Fills a table partitioned like metrics with N rows (1,000 devices × 6 metrics at 1 Hz) in 3M-row slices with a rollup
pass after each (timed), adds a minute the rollups have not seen, then times each pack query (best/median/worst of --rounds) and, for
total_rows, ingest_rate, p95_hourly and top_noisy, the raw-table answer (--exact) once. Needs ~170 bytes of disk per row.`,
  options,
  schema,
  run,
});
