// `bun bench/main.ts growth [--rows 20m] [--bands 10]`: does the sink's rate hold as the table grows? Fills a topic
// with N rows (1,000 devices × 6 metrics at 1 Hz), starts the Sluice sink on an empty table partitioned as `metrics`
// is shipped and samples PostgreSQL's insert counter every 2 s; prints
// rows/s per band (0 → N/bands, …) and the last band's rate as a ratio to the first. Writes
// bench/results/growth-<date>.json.

import type { Sql } from "postgres";
import { z } from "zod";
import { countLanded, waitLanded } from "../src/audit/landed.ts";
import { countFlag } from "../src/cli/command.ts";
import { table } from "../src/cli/table.ts";
import { grantSinkOn } from "../src/db/roles.ts";
import { parseSpan } from "../src/db/span.ts";
import { produceRun } from "../src/producer/session.ts";
import { planRun, type Run } from "../src/producer/workload.ts";
import type { StackContext } from "../src/stack/context.ts";
import { defineBench, writeFigures } from "./lib/bench.ts";
import { openBench } from "./lib/context.ts";
import { box, target } from "./lib/scenarios.ts";
import { createPartitionedLikeMetrics } from "./lib/tables.ts";

/**
 * Rows/s per band of `size` rows from (time ms, rows stored) samples, interpolating the time each band boundary was
 * crossed. The first band starts at the first sample with rows, so the connector's start-up is not in it.
 */
export function bandRates(
  samples: readonly { t: number; n: number }[],
  size: number,
  total: number,
): { from: number; to: number; rowsPerSec: number }[] {
  const start = samples.find((s) => s.n > 0);
  if (!start) return [];
  const timeAt = (n: number) => {
    const i = samples.findIndex((s) => s.n >= n);
    if (i < 0) return samples.at(-1)!.t;
    if (i === 0 || samples[i]!.n === n) return samples[i]!.t;
    const a = samples[i - 1]!;
    const b = samples[i]!;
    return a.t + ((n - a.n) / (b.n - a.n)) * (b.t - a.t);
  };
  const out = [];
  for (let from = 0; from < total; from += size) {
    const to = Math.min(total, from + size);
    const lo = Math.max(from, start.n);
    if (to <= lo) continue;
    out.push({ from, to, rowsPerSec: Math.round((to - lo) / ((timeAt(to) - timeAt(lo)) / 1000)) });
  }
  return out;
}

/**
 * Replaces the sandbox's plain table by one partitioned as `metrics` is shipped (range on published_at, partitions of
 * METRICS_PARTITION_INTERVAL over the run's span, a default partition), with the sink's grants.
 */
async function partitionLikeMetrics(sql: Sql, table: string, interval: string, run: Run): Promise<void> {
  const last = run.startMs + Math.ceil(run.count / (6 * run.devices)) * run.stepMs;
  await sql.unsafe(`drop table ${table}`);
  await createPartitionedLikeMetrics(
    sql,
    table,
    parseSpan(interval).pg,
    new Date(run.startMs),
    new Date(last + 60_000),
  );
  await grantSinkOn(sql, table);
}

const schema = z.object({ rows: countFlag(20_000_000, 100_000_000), bands: countFlag(10, 100) });

async function run(flags: z.infer<typeof schema>, ctx: StackContext): Promise<void> {
  const { rows, bands } = flags;
  const log = ctx.log;
  const bench = await openBench(ctx, { rows, overrides: {} });
  const { b } = bench;
  // The stack's replication (RF 3, min.insync 2 on a three-node stack) and security, as the shipped topic has them.
  const s = await box(b, "growth");
  try {
    // One sample per device and metric a second, as a fleet sends them: 100M rows span 4.6 hours.
    const run = planRun({
      seed: `growth-${Date.now()}`,
      count: rows,
      devices: 1000,
      startMs: Date.UTC(2026, 0, 1),
      stepMs: 1000,
    });
    await partitionLikeMetrics(b.sql, s.table, ctx.env.METRICS_PARTITION_INTERVAL, run);
    let shown = 0;
    const produced = await produceRun(target(b, s.topic), run, {
      onProgress: (n) => {
        if (n - shown >= 1_000_000) log(`backlog: ${((shown = n)).toLocaleString("en-US")} produced`);
      },
    });
    log(
      `backlog of ${rows.toLocaleString("en-US")} (RF ${b.replication?.replicationFactor ?? 1}, ${ctx.env.SLUICE_SECURITY}) at ${Math.round(produced.msgPerSec).toLocaleString("en-US")} msg/s; starting the sink`,
    );
    const samples: { t: number; n: number }[] = [];
    const counter = async () => {
      // A partitioned table's inserts are counted on its partitions.
      const [r] = await b.sql.unsafe(
        `select coalesce(sum(n_tup_ins), 0)::bigint as n from pg_stat_user_tables
          where relid = $1::regclass or relid in (select inhrelid from pg_inherits where inhparent = $1::regclass)`,
        [s.table],
      );
      return Number(r?.n ?? 0);
    };
    samples.push({ t: Date.now(), n: 0 });
    await s.applySink();
    for (;;) {
      await Bun.sleep(2000);
      const n = await counter();
      samples.push({ t: Date.now(), n });
      if (samples.length % 5 === 0) log(`${n.toLocaleString("en-US")} rows`);
      if (n >= rows) break;
      if (samples.length > 30 && samples.at(-30)!.n === n) throw new Error(`no progress for 60 s at ${n} rows`);
    }
    await waitLanded(b.sql, s.table, run, { intervalMs: 2000 });
    const exact = await countLanded(b.sql, s.table, run);
    const perBand = bandRates(samples, Math.ceil(rows / bands), rows);
    // Every row stored before the second sample: no band to compare (a run far too small for this bench).
    if (!perBand.length) throw new Error(`all ${rows} rows landed within one 2 s sample; run with more --rows`);
    const first = perBand[0]!.rowsPerSec;
    console.log(
      table(
        ["rows in the table", "rows/s", "× first band"],
        perBand.map((p) => [
          `${(p.from / 1e6).toFixed(1)}M → ${(p.to / 1e6).toFixed(1)}M`,
          p.rowsPerSec.toLocaleString("en-US"),
          (p.rowsPerSec / first).toFixed(2),
        ]),
      ),
    );
    console.log(
      `stored ${exact.toLocaleString("en-US")} of ${rows.toLocaleString("en-US")}; whole drain ${Math.round(rows / ((samples.at(-1)!.t - samples[0]!.t) / 1000)).toLocaleString("en-US")} rows/s`,
    );
    const file = writeFigures(b.root, "growth", {
      stack: {
        brokers: ctx.env.SLUICE_BROKERS,
        connectWorkers: ctx.env.SLUICE_CONNECT_WORKERS,
        security: ctx.env.SLUICE_SECURITY,
        replication: b.replication ?? { replicationFactor: 1 },
      },
      rows,
      produceMsgPerSec: produced.msgPerSec,
      bands: perBand,
      samples,
    });
    console.log(`figures: ${file}`);
  } finally {
    await bench.close();
  }
}

/** `bun bench/main.ts growth`. */
export const bench = defineBench({
  name: "growth",
  summary: "does the sink's rate hold as the table grows? rows/s per band of a long drain",
  usage: "bun bench/main.ts growth [--rows 20m] [--bands 10]   (npm run bench:growth)",
  options: { rows: { type: "string" }, bands: { type: "string" } },
  schema,
  run,
});
