// `npm run bench -- [--rows N] [--keep]`: on the live stack, in one run, the figures people compare:
//   1. COPY of N rows into a table identical to `metrics` (the baseline),
//   2. the connector draining a backlog of N rows already in Kafka,
//   3. end to end: the producer sending N rows at its maximum while the connector runs.
// Prints a table (rows/s and the ratio to COPY) and writes bench/results/<timestamp>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { z } from "zod";
import { countLanded, sinkSpan, spotCheck, waitLanded } from "../src/audit/landed.ts";
import { table } from "../src/cli/table.ts";
import { countFlag } from "../src/cli/command.ts";
import { parseEnv } from "../src/config/env.ts";
import { ConnectClient } from "../src/connect/client.ts";
import { kafka } from "../src/kafka/client.ts";
import { produceRun } from "../src/producer/session.ts";
import { metricAt, planRun, type Run } from "../src/producer/workload.ts";
import { createSandbox, type Sandbox } from "../src/sandbox.ts";
import { setup } from "../src/setup.ts";
import type { StackContext } from "../src/stack/component.ts";
import { connectUrl } from "../src/stack/connect.ts";
import { bootstrap } from "../src/stack/kafka.ts";
import { stackPaths } from "../src/stack/paths.ts";
import { postgresUrl } from "../src/stack/postgres.ts";
import { registryUrl } from "../src/stack/registry.ts";
import { up } from "../src/stack/supervisor.ts";
import { readVersions } from "../src/stack/versions.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { rows: { type: "string" }, keep: { type: "boolean" } } });
const flags = z.object({ rows: countFlag(1_000_000, 50_000_000), keep: z.boolean().optional() }).parse(values);
const env = parseEnv(process.env);
const paths = stackPaths(env);
const log = (l: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${l}`);
const ctx: StackContext = { env, paths, versions: readVersions(paths.root), log, childEnv: {} };

await up(ctx);
await setup(ctx);
const sql = postgres(postgresUrl(ctx), { max: 2, onnotice: () => {} });
const client = kafka([bootstrap(ctx)], "sluice-bench");
const connect = new ConnectClient(connectUrl(ctx));
const deps = { root: paths.root, sql, kafka: client, connect };
const target = (topic: string) => ({ brokers: [bootstrap(ctx)], registryUrl: registryUrl(ctx), topic });
const N = flags.rows;
const partitions = env.TOPIC_PARTITIONS_METRICS;
const boxes: Sandbox[] = [];
const newRun = (label: string): Run => planRun({ seed: `bench-${label}-${Date.now()}`, count: N, devices: 1000, startMs: Date.UTC(2026, 0, 1) });

/** COPY in text format, one stream, rows generated on the fly (the same rows the producer would send). */
async function copyBaseline(): Promise<number> {
  const box = await createSandbox(deps, "bench_copy", 1);
  boxes.push(box);
  const run = newRun("copy");
  const t0 = performance.now();
  const writable = await sql.unsafe(`copy ${box.table} (device_id, published_at, metric_name, value, tags) from stdin`).writable();
  const CHUNK = 5000;
  for (let from = 0; from < N; from += CHUNK) {
    let text = "";
    for (let k = from; k < Math.min(N, from + CHUNK); k++) {
      const m = metricAt(run, k);
      text += `${m.device_id}\t${new Date(m.published_at).toISOString()}\t${m.metric_name}\t${m.value}\t{${m.tags.map((t) => `"${t}"`).join(",")}}\n`;
    }
    if (!writable.write(text)) await new Promise((r) => writable.once("drain", r));
  }
  await new Promise<void>((resolve, reject) => writable.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const seconds = (performance.now() - t0) / 1000;
  const landed = await countLanded(sql, box.table, run);
  if (landed !== N) throw new Error(`COPY stored ${landed} of ${N} rows`);
  return seconds;
}

/**
 * The raw Debezium path for comparison: Kafka's JsonConverter with the contract's Connect schema and no key/value
 * check. It lets poison through (a string value is stored as 0.0, a code of 40000 as -25536, a bad uuid fails the
 * task), so it is only a baseline for what the contract converter costs.
 */
const RAW_JSON_CONVERTER = {
  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
  "key.converter.schemas.enable": "true",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true",
  transforms: "",
};

/** Fills a topic first, then starts the connector and times it until the last row is in PostgreSQL. */
async function drainBacklog(label: string, overrides: Record<string, string> = {}): Promise<{ seconds: number; steadySeconds: number; produceMsgPerSec: number }> {
  const box = await createSandbox(deps, `bench_${label}`, partitions);
  boxes.push(box);
  const run = newRun(label);
  log(`${label}: producing a backlog of ${N.toLocaleString("en-US")}…`);
  const manifest = await produceRun(target(box.topic), run);
  const t0 = performance.now();
  await box.applySink(undefined, overrides);
  await waitLanded(sql, box.table, run, { intervalMs: 1000, onProgress: (n) => log(`${label}: ${n.toLocaleString("en-US")} landed`) });
  const seconds = (performance.now() - t0) / 1000;
  await check(box, run);
  // Without the task start-up and group join: PostgreSQL's clock from the first batch to the last one.
  const span = await sinkSpan(sql, box.table, run);
  return { seconds, steadySeconds: (span.lastMs - span.firstMs) / 1000, produceMsgPerSec: manifest.msgPerSec };
}

/** The connector running first, then the producer at its maximum; timed from the first send to the last row. */
async function endToEnd(): Promise<number> {
  const box = await createSandbox(deps, "bench_e2e", partitions);
  boxes.push(box);
  await box.applySink();
  const run = newRun("e2e");
  const t0 = performance.now();
  await produceRun(target(box.topic), run);
  await waitLanded(sql, box.table, run, { intervalMs: 1000, onProgress: (n) => log(`e2e: ${n.toLocaleString("en-US")} landed`) });
  const seconds = (performance.now() - t0) / 1000;
  await check(box, run);
  return seconds;
}

async function check(box: Sandbox, run: Run) {
  const bad = await spotCheck(sql, box.table, run, 500);
  if (bad.length) throw new Error(`${box.table}: ${bad.length} rows differ from what was sent, e.g. ${JSON.stringify(bad[0])}`);
}

try {
  log(`COPY baseline: ${N.toLocaleString("en-US")} rows…`);
  const copy = await copyBaseline();
  const raw = await drainBacklog("drain_raw", RAW_JSON_CONVERTER);
  const drain = await drainBacklog("drain");
  const e2e = await endToEnd();
  const rows = [
    { scenario: "COPY (text, one stream)", seconds: copy },
    { scenario: "sink draining a backlog, from connector start", seconds: drain.seconds },
    { scenario: "sink draining a backlog, first to last batch", seconds: drain.steadySeconds },
    { scenario: "  same, raw JsonConverter (no contract check), from start", seconds: raw.seconds },
    { scenario: "  same, raw JsonConverter (no contract check), first to last", seconds: raw.steadySeconds },
    { scenario: "end to end (producer at max + sink)", seconds: e2e },
  ].map((r) => ({ ...r, rowsPerSec: Math.round(N / r.seconds), ratioToCopy: +(copy / r.seconds).toFixed(3) }));
  console.log(
    table(
      ["scenario", "rows", "seconds", "rows/s", "ratio to COPY"],
      rows.map((r) => [r.scenario, N.toLocaleString("en-US"), r.seconds.toFixed(1), r.rowsPerSec.toLocaleString("en-US"), r.ratioToCopy.toFixed(2)]),
    ),
  );
  console.log(`producer alone (filling the backlog): ${Math.round(drain.produceMsgPerSec).toLocaleString("en-US")} msg/s`);
  const dir = join(paths.root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), rows: N, partitions, results: rows, produceMsgPerSec: drain.produceMsgPerSec }, null, 2));
  console.log(`figures written to ${file}`);
} finally {
  if (!flags.keep) for (const b of boxes) await b.dispose({ topics: true }).catch(() => {});
  await sql.end({ timeout: 5 });
}
