// `bun bench/main.ts sink [--rows N] [--scenario copy,drain,…] [--override key=value …]
//   [--compression none|gzip|lz4|zstd] [--label TEXT] [--keep]` (npm run bench)
// On the live stack, in one run and one process tree: the COPY baseline, the Sluice sink draining a backlog, the
// Debezium JDBC sink and Kafka's raw JsonConverter on the same backlog, end to end with the producer at its maximum,
// produce → row latency at half that rate, and a hand-written Bun consumer as a peer. Prints the table (rows/s, ratio
// to COPY, CPU seconds per 1M rows per process, peak memory, latency), writes bench/results/<date>.json and .svg.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { StackContext } from "../src/stack/context.ts";
import { defineBench } from "./lib/bench.ts";
import { openBench } from "./lib/context.ts";
import { BENCH_OPTIONS, type BenchFlags, benchFlagsSchema, SCENARIOS } from "./lib/flags.ts";
import {
  renderChart,
  renderMemory,
  renderTable,
  reportJson,
  type ScenarioResult,
  type Summary,
  summarize,
} from "./lib/report.ts";
import {
  bunConsumer,
  copyBaseline,
  debeziumOverrides,
  drain,
  endToEnd,
  latency,
  RAW_JSON_CONVERTER,
  RF1,
  TREE_PATH_CONVERTER,
} from "./lib/scenarios.ts";

/** Runs the bench on the live stack (started if needed); returns the summaries and the files written. */
export async function runBench(
  flags: BenchFlags,
  ctx: StackContext,
): Promise<{ results: Summary[]; json: string; svg: string }> {
  const bench = await openBench(ctx, { rows: flags.rows, overrides: flags.overrides, compression: flags.compression });
  const { b, versions } = bench;
  const paths = ctx.paths;
  const results: ScenarioResult[] = [];
  const has = (s: string) => flags.scenarios.includes(s as never);
  try {
    // The first batches after a worker start run on a cold JIT (about twice the CPU per row): warm it up, unreported.
    if (flags.scenarios.some((x) => x !== "copy"))
      await drain({ ...b, rows: Math.min(200_000, b.rows) }, "warmup", "warm-up", { ...flags.overrides });
    if (has("copy")) results.push(await copyBaseline(b));
    if (has("drain")) results.push(await drain(b, "drain", "Sluice sink draining a backlog", { ...flags.overrides }));
    if (has("drain-rf1"))
      results.push(
        await drain(
          b,
          "drain-rf1",
          "Sluice sink draining a backlog, RF 1 topic",
          { ...flags.overrides },
          b.partitions,
          RF1,
        ),
      );
    if (has("drain-tree"))
      results.push(
        await drain(b, "drain-tree", "Sluice sink, contract converter without its fast path", {
          ...flags.overrides,
          ...TREE_PATH_CONVERTER,
        }),
      );
    if (has("drain-debezium"))
      results.push(
        await drain(b, "drain-debezium", "Debezium JDBC sink draining a backlog", debeziumOverrides(b.root)),
      );
    if (has("drain-raw"))
      results.push(
        await drain(b, "drain-raw", "Sluice sink, raw JsonConverter (no contract check)", {
          ...RAW_JSON_CONVERTER,
          ...flags.overrides,
        }),
      );
    if (has("bun-consumer")) results.push(await bunConsumer(b));
    let e2eRate: number | undefined;
    if (has("e2e")) {
      const e = await endToEnd(b);
      results.push(e);
      e2eRate = e.rows / e.seconds;
    }
    if (has("e2e-rf1")) results.push(await endToEnd(b, "e2e-rf1", "end to end, RF 1 topic", RF1));
    if (has("latency")) results.push(await latency(b, (e2eRate ?? 40_000) / 2, flags.latencySeconds));
  } finally {
    await bench.close(flags.keep);
  }
  const summaries = summarize(results);
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
  summary: "COPY baseline, the Sluice sink, Debezium, raw converter, Bun consumer peer, end to end, latency",
  usage: `bun bench/main.ts sink [--rows N] [--scenario copy,drain,…] [--override key=value …] [--label TEXT] [--keep]
    [--compression none|gzip|lz4|zstd] [--latency-seconds S] [--out DIR]   (npm run bench)
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
