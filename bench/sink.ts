// `bun bench/main.ts sink [--rows N] [--rounds 3] [--warmup 200k] [--scenario copy-parallel,drain,…] …` (npm run bench)
// On the live stack, in one run and one process tree: the baselines (binary COPY in as many parallel streams as the
// sink has tasks, rows prepared; text COPY in one stream), the Sluice sink draining a backlog, the Debezium JDBC sink
// and Kafka's raw JsonConverter on the same backlog, peers, end to end with the producer at its maximum, produce → row
// latency at half that rate. Every scenario is warmed up the same way, then runs --rounds times in rotated order.
// Prints the table (rows/s median and spread, ratios to both baselines of the same round, CPU seconds per 1M rows per
// process, peak memory, latency), writes bench/results/<date>.json and .svg.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { StackContext } from "../src/stack/context.ts";
import { defineBench } from "./lib/bench.ts";
import { openBench } from "./lib/context.ts";
import { BENCH_OPTIONS, type BenchFlags, benchFlagsSchema, SCENARIOS, type Scenario } from "./lib/flags.ts";
import {
  median,
  renderChart,
  renderMemory,
  renderTable,
  reportJson,
  type ScenarioResult,
  type Summary,
  summarizeRounds,
} from "./lib/report.ts";
import {
  type BenchContext,
  bunConsumer,
  copyBaseline,
  copyParallel,
  debeziumOverrides,
  drain,
  endToEnd,
  latency,
  RAW_JSON_CONVERTER,
  RF1,
  TREE_PATH_CONVERTER,
} from "./lib/scenarios.ts";
import { flinkSql } from "./peers/flink.ts";

/** One scenario of the rotation: run with a context (the warm-up's has fewer rows). */
interface Step {
  readonly scenario: Scenario;
  run(b: BenchContext): Promise<ScenarioResult>;
}

/** The scenarios of `flags` except latency (which follows the rounds at half the end-to-end rate), in flag order. */
function steps(flags: BenchFlags): Step[] {
  const o = flags.overrides;
  const all: Record<Exclude<Scenario, "latency">, Step["run"]> = {
    "copy-parallel": (b) => copyParallel(b),
    copy: (b) => copyBaseline(b),
    drain: (b) => drain(b, "drain", "Sluice sink draining a backlog", { ...o }),
    "drain-rf1": (b) =>
      drain(b, "drain-rf1", "Sluice sink draining a backlog, RF 1 topic", { ...o }, b.partitions, RF1),
    "drain-tree": (b) =>
      drain(b, "drain-tree", "Sluice sink, contract converter without its fast path", { ...o, ...TREE_PATH_CONVERTER }),
    "drain-debezium": (b) =>
      drain(
        b,
        "drain-debezium",
        "Debezium JDBC sink draining a backlog (reWriteBatchedInserts)",
        debeziumOverrides(b.root),
      ),
    "drain-raw": (b) =>
      drain(b, "drain-raw", "Sluice sink, raw JsonConverter (no contract check)", { ...RAW_JSON_CONVERTER, ...o }),
    "bun-consumer": (b) => bunConsumer(b),
    "flink-sql": (b) => flinkSql(b),
    e2e: (b) => endToEnd(b),
    "e2e-rf1": (b) => endToEnd(b, "e2e-rf1", "end to end, RF 1 topic", RF1),
  };
  return flags.scenarios.flatMap((x) => (x === "latency" ? [] : [{ scenario: x, run: all[x] }]));
}

/** `xs` rotated left by `k`: round k starts with the k-th scenario, so no scenario always runs first or last. */
export const rotate = <T>(xs: readonly T[], k: number): T[] =>
  xs.length ? [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)] : [];

/**
 * Runs the bench on the live stack (started if needed): every scenario once on a warm-up backlog (unreported; a
 * worker's first batches run on a cold JIT, PostgreSQL's on cold caches), then `rounds` rounds in rotated order,
 * then latency at half the median end-to-end rate. Returns the summaries and the files written.
 */
export async function runBench(
  flags: BenchFlags,
  ctx: StackContext,
): Promise<{ results: Summary[]; json: string; svg: string }> {
  const bench = await openBench(ctx, { rows: flags.rows, overrides: flags.overrides, compression: flags.compression });
  const { b, versions } = bench;
  const paths = ctx.paths;
  const rounds: ScenarioResult[][] = [];
  const order = steps(flags);
  try {
    const warm = { ...b, rows: Math.min(flags.warmup, b.rows) };
    for (const step of order) {
      b.log(`warm-up: ${step.scenario}, ${warm.rows.toLocaleString("en-US")} rows (not reported)`);
      await step.run(warm);
    }
    for (let r = 0; r < flags.rounds; r++) {
      const results: ScenarioResult[] = [];
      for (const step of rotate(order, r)) {
        b.log(`round ${r + 1}/${flags.rounds}: ${step.scenario}`);
        results.push(await step.run(b));
      }
      rounds.push(results);
    }
    if (flags.scenarios.includes("latency")) {
      const e2e = rounds.flatMap((rs) => rs.filter((x) => x.scenario === "e2e").map((x) => x.rows / x.seconds));
      rounds[0]!.push(await latency(b, (e2e.length ? median(e2e) : 40_000) / 2, flags.latencySeconds));
    }
  } finally {
    await bench.close(flags.keep);
  }
  const summaries = summarizeRounds(rounds).sort(
    (x, y) => flags.scenarios.indexOf(x.scenario as Scenario) - flags.scenarios.indexOf(y.scenario as Scenario),
  );
  const at = new Date().toISOString();
  const out = resolve(paths.root, flags.out);
  mkdirSync(out, { recursive: true });
  const stem = join(
    out,
    `${at.replace(/[:.]/g, "-")}${flags.label ? `-${flags.label.replace(/[^\w.-]+/g, "_")}` : ""}`,
  );
  let commit: string | undefined;
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: paths.root, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    commit = undefined;
  }
  writeFileSync(
    `${stem}.json`,
    reportJson({
      at,
      label: flags.label,
      commit,
      machine: { cores: availableParallelism(), memoryGb: Math.round(totalmem() / 2 ** 30) },
      versions: {
        kafka: versions.KAFKA_VERSION,
        debezium: versions.DEBEZIUM_VERSION,
        postgres: versions.POSTGRES_VERSION,
      },
      flags,
      results: summaries,
      rounds,
    }),
  );
  writeFileSync(
    `${stem}.svg`,
    await renderChart(
      summaries,
      `Sluice bench, ${flags.rows.toLocaleString("en-US")} rows, ${availableParallelism()} cores (${at.slice(0, 10)})`,
    ),
  );
  return { results: summaries, json: `${stem}.json`, svg: `${stem}.svg` };
}

/** `bun bench/main.ts sink` (npm run bench). */
export const bench = defineBench({
  name: "sink",
  summary: "COPY baselines, the Sluice sink, Debezium, raw converter, peers, end to end, latency; rounds with spread",
  usage: `bun bench/main.ts sink [--rows N] [--rounds 3] [--warmup 200k] [--scenario copy-parallel,drain,…]
    [--override key=value …] [--label TEXT] [--keep] [--compression none|gzip|lz4|zstd] [--latency-seconds S]
    [--out DIR]   (npm run bench)
  Every scenario runs once on a --warmup backlog (unreported), then --rounds times in rotated order; ratios are taken
  against the baselines of the same round and shown as median (min–max).
  scenarios: ${SCENARIOS.join(", ")}`,
  options: BENCH_OPTIONS,
  schema: benchFlagsSchema,
  async run(flags, ctx) {
    const r = await runBench(flags, ctx);
    console.log(renderTable(r.results));
    console.log(renderMemory(r.results));
    console.log(`figures: ${r.json}\nchart:   ${r.svg}`);
  },
});
