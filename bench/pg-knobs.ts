// `bun bench/main.ts pg-knobs [--rows N] [--variants 0,4]` (npm run bench:pg-knobs): the effect of each PostgreSQL
// setting we keep, measured on a private, throw-away PostgreSQL (same binaries, port 15499, data in a temp dir) so the
// shared stack is never restarted. Per variant: fresh initdb, our migrations, then the sink's workload through the
// sink's statement (10,000-row batches of INSERT … ON CONFLICT DO UPDATE into the partitioned `metrics`): N new rows,
// then N/5 replays with changed values (updates: dead tuples, the updated_at trigger). Reports rows/s, WAL written and
// checkpoints, as a ratio to our settings measured in the same run (best of two rounds, A/B/…/A/B order).
import { spawn, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { z } from "zod";
import { countFlag } from "../src/cli/command.ts";
import { table } from "../src/cli/table.ts";
import { migrateDb } from "../src/db/migrate.ts";
import { metricAt, planRun } from "../src/producer/workload.ts";
import type { StackContext } from "../src/stack/context.ts";
import { renderMemoryConf } from "../src/stack/pgtune.ts";
import { postgresBin } from "../src/stack/postgres.ts";
import { defineBench, writeFigures } from "./lib/bench.ts";

const options = { rows: { type: "string" }, variants: { type: "string" } } as const;
const schema = z.object({
  rows: countFlag(1_000_000, 20_000_000),
  variants: z
    .string()
    .regex(/^\d+(,\d+)*$/, "must look like 0,3,4")
    .optional(),
});
type Flags = z.infer<typeof schema>;
const PORT = 15499;

async function run(flags: Flags, ctx: StackContext): Promise<void> {
  const N = flags.rows;
  const ROOT = ctx.paths.root;
  const log = ctx.log;
  const nobody =
    process.getuid?.() === 0
      ? (["-u", "-g"] as const).map((f) =>
          Number(spawnSync("id", [f, "nobody"], { encoding: "utf8", env: { ...ctx.baseEnv } }).stdout),
        )
      : undefined;
  const asUser = (cmd: string, args: string[]): [string, string[]] =>
    nobody
      ? ["setpriv", [`--reuid=${nobody[0]}`, `--regid=${nobody[1]}`, "--clear-groups", "--", cmd, ...args]]
      : [cmd, args];

  /** Variants: our file plus overrides (appended last, so they win); `null` = PostgreSQL's own defaults. */
  const ALL: { name: string; extra: string | null }[] = [
    { name: "ours (services/postgres/postgresql.conf + memory rules)", extra: "" },
    { name: "PostgreSQL defaults (no tuning file)", extra: null },
    { name: "ours, shared_buffers = 1GB (the old fixed value)", extra: "shared_buffers = 1GB\nwal_buffers = 32MB" },
    { name: "ours, shared_buffers = 128MB", extra: "shared_buffers = 128MB\nwal_buffers = 4MB" },
    {
      name: "ours, checkpoints at defaults (max_wal_size 1GB, 5 min)",
      extra: "max_wal_size = 1GB\nmin_wal_size = 80MB\ncheckpoint_timeout = 5min",
    },
    { name: "ours, wal_compression = pglz (dropped)", extra: "wal_compression = pglz" },
    { name: "ours, synchronous_commit = off (not kept: loses acknowledged rows)", extra: "synchronous_commit = off" },
    {
      name: "ours, autovacuum at defaults",
      extra:
        "autovacuum_naptime = 1min\nautovacuum_vacuum_scale_factor = 0.2\nautovacuum_vacuum_insert_scale_factor = 0.2\nautovacuum_analyze_scale_factor = 0.1\nautovacuum_vacuum_cost_limit = -1",
    },
  ];

  async function runVariant(extra: string | null) {
    const dir = mkdtempSync(join(tmpdir(), "sluice-pgknobs-"));
    if (nobody) chownSync(dir, nobody[0]!, nobody[1]!);
    const data = join(dir, "data");
    const pw = join(dir, "pw");
    writeFileSync(pw, "bench", { mode: 0o644 });
    const bin = postgresBin();
    const [icmd, iargs] = asUser(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "bench",
      `--pwfile=${pw}`,
      "--auth=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ]);
    const r = spawnSync(icmd, iargs, { encoding: "utf8", env: { ...ctx.baseEnv } });
    if (r.status !== 0) throw new Error(`initdb: ${r.stderr}`);
    if (extra !== null) {
      writeFileSync(
        join(data, "sluice.conf"),
        await Bun.file(join(ROOT, "services", "postgres", "postgresql.conf")).text(),
      );
      writeFileSync(join(data, "sluice-memory.conf"), renderMemoryConf(totalmem()));
      writeFileSync(join(data, "postgresql.conf"), `\ninclude 'sluice.conf'\n${extra}\n`, { flag: "a" });
    }
    const [cmd, args] = asUser(join(bin, "postgres"), [
      "-D",
      data,
      "-p",
      String(PORT),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
    ]);
    const pg = spawn(cmd, args, { stdio: "ignore", env: { ...ctx.baseEnv } });
    const url = `postgres://bench:bench@127.0.0.1:${PORT}/postgres`;
    try {
      for (let i = 0; ; i++) {
        try {
          const s = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
          await s`select 1`;
          await s.end();
          break;
        } catch (e) {
          if (i > 60) throw e;
          await Bun.sleep(250);
        }
      }
      await migrateDb(url);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const run = planRun({ seed: "pg-knobs", count: N, devices: 1000, startMs: Date.now() - 60_000, stepMs: 1000 });
        const [w0] =
          await sql`select pg_current_wal_lsn() as lsn, (select num_timed + num_requested from pg_stat_checkpointer) as cp`;
        const t0 = performance.now();
        const batch = async (from: number, to: number, bump: number) => {
          const rows = [];
          for (let k = from; k < to; k++) {
            const m = metricAt(run, k);
            rows.push({
              device_id: m.device_id,
              published_at: new Date(m.published_at),
              metric_name: m.metric_name,
              value: m.value + bump,
              tags: m.tags,
            });
          }
          await sql`insert into metrics ${sql(rows as never, "device_id", "published_at", "metric_name", "value", "tags")}
            on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`;
        };
        for (let from = 0; from < N; from += 10_000) await batch(from, Math.min(N, from + 10_000), 0);
        const replays = Math.floor(N / 5);
        for (let from = 0; from < replays; from += 10_000) await batch(from * 5, Math.min(N, from * 5 + 10_000), 1);
        const seconds = (performance.now() - t0) / 1000;
        const [w1] =
          await sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${w0!.lsn}::pg_lsn)::bigint as wal, (select num_timed + num_requested from pg_stat_checkpointer) as cp`;
        return {
          rows: N + replays,
          seconds,
          walMB: Number(w1!.wal) / 1024 / 1024,
          checkpoints: Number(w1!.cp) - Number(w0!.cp),
        };
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      pg.kill("SIGINT");
      await new Promise((r) => pg.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // --variants picks some by index (0, ours, is always first: it is the baseline).
  const VARIANTS = flags.variants
    ? [...new Set([0, ...flags.variants.split(",").map(Number)])].map((i) => ALL[i]!).filter(Boolean)
    : ALL;

  // The machine is shared and noisy: two rounds over all variants, keeping each variant's better run.
  type Result = (typeof VARIANTS)[number] & Awaited<ReturnType<typeof runVariant>>;
  const results: Result[] = [];
  for (let round = 0; round < 2; round++) {
    for (const [i, v] of VARIANTS.entries()) {
      log(`round ${round + 1}: ${v.name}…`);
      const r = { ...v, ...(await runVariant(v.extra)) };
      if (!results[i] || r.seconds < results[i]!.seconds) results[i] = r;
    }
  }
  const base = results[0]!;
  console.log(
    table(
      ["variant", "rows", "seconds", "rows/s", "ratio to ours", "WAL MB", "checkpoints"],
      results.map((r) => [
        r.name,
        r.rows,
        r.seconds.toFixed(1),
        Math.round(r.rows / r.seconds).toLocaleString("en-US"),
        (base.seconds / r.seconds).toFixed(2),
        Math.round(r.walMB),
        r.checkpoints,
      ]),
    ),
  );
  const file = writeFigures(ROOT, "pg-knobs", { rows: N, results });
  console.log(`figures written to ${file}`);
}

/** `bun bench/main.ts pg-knobs`. */
export const bench = defineBench({
  name: "pg-knobs",
  summary: "each PostgreSQL setting we keep, on a private throw-away PostgreSQL (port 15499), as a ratio to ours",
  usage: "bun bench/main.ts pg-knobs [--rows N] [--variants 0,4]   (npm run bench:pg-knobs)",
  options,
  schema,
  run,
});
