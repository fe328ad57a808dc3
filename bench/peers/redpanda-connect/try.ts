// `bun bench/peers/redpanda-connect/try.ts [rows]` — proves the Redpanda Connect peer on the running stack (never
// starts or stops it): a sandbox topic and table, a backlog of `rows` (default 100,000) produced into it, the peer
// draining it, every row checked as landed (and 1,000 of them compared field by field), the rate, then cleanup.
import postgres from "postgres";
import { spotCheck, sinkSpan, waitLanded } from "../../../src/audit/landed.ts";
import { parseEnv } from "../../../src/config/env.ts";
import { ConnectClient } from "../../../src/connect/client.ts";
import { kafka } from "../../../src/kafka/client.ts";
import { produceRun } from "../../../src/producer/session.ts";
import { planRun } from "../../../src/producer/workload.ts";
import { createSandbox } from "../../../src/sandbox.ts";
import type { StackContext } from "../../../src/stack/component.ts";
import { connectUrl } from "../../../src/stack/connect.ts";
import { bootstrap } from "../../../src/stack/kafka.ts";
import { stackPaths } from "../../../src/stack/paths.ts";
import { postgresUrl } from "../../../src/stack/postgres.ts";
import { registryUrl } from "../../../src/stack/registry.ts";
import { readVersions } from "../../../src/stack/versions.ts";
import { runRedpandaConnect } from "./run.ts";

const log = (l: string) => console.error(`[rpc ${new Date().toISOString().slice(11, 19)}] ${l}`);
const rows = Number(Bun.argv[2] ?? 100_000);
if (!Number.isInteger(rows) || rows <= 0) throw new Error(`rows must be a positive integer, got ${Bun.argv[2]}`);

const env = parseEnv(process.env);
const paths = stackPaths(env);
const ctx: StackContext = { env, paths, versions: readVersions(paths.root), log, childEnv: {} };
const brokers = [bootstrap(ctx)];
const pgUrl = postgresUrl(ctx);
const sql = postgres(pgUrl, { max: 2, onnotice: () => {} });
const box = await createSandbox({ root: paths.root, sql, kafka: kafka(brokers, "sluice-rpc-try"), connect: new ConnectClient(connectUrl(ctx)) }, "rpc_try", env.TOPIC_PARTITIONS_METRICS);
let code = 0;
try {
  const run = planRun({ seed: `rpc-try-${Date.now()}`, count: rows, devices: 1000, startMs: Date.UTC(2026, 0, 1) });
  log(`sandbox ${box.id}: producing ${rows.toLocaleString("en-US")} rows into ${box.topic}…`);
  await produceRun({ brokers, registryUrl: registryUrl(ctx), topic: box.topic }, run);
  const start = Date.now();
  const peer = await runRedpandaConnect({ brokers, topic: box.topic, table: box.table, pgUrl, rows, log, cacheDir: paths.cache });
  if ("notBuilt" in peer) {
    log(`not built: ${peer.notBuilt}`);
    code = 1;
  } else {
    // The clock starts after the build: the rate is the peer's, not the compiler's.
    const started = Date.now();
    try {
      await waitLanded(sql, box.table, run, { intervalMs: 500, stallMs: 60_000, onProgress: (n) => log(`${n.toLocaleString("en-US")} landed`) });
    } finally {
      await peer.stop();
    }
    const wall = (Date.now() - started) / 1000;
    const span = await sinkSpan(sql, box.table, run);
    const toLast = (span.lastMs - started) / 1000;
    const bad = await spotCheck(sql, box.table, run, 1000);
    if (bad.length) {
      log(`${bad.length} of 1,000 sampled rows differ, e.g. ${JSON.stringify(bad.slice(0, 3))}`);
      code = 1;
    }
    log(`build/start took ${((started - start) / 1000).toFixed(1)} s`);
    console.log(
      `redpanda-connect: ${rows.toLocaleString("en-US")} rows, ` +
        `${Math.round(rows / toLast).toLocaleString("en-US")} rows/s from start to the last batch (${toLast.toFixed(2)} s), ` +
        `${Math.round(rows / ((span.lastMs - span.firstMs) / 1000)).toLocaleString("en-US")} rows/s first→last batch, ` +
        `${Math.round(rows / wall).toLocaleString("en-US")} rows/s wall incl. polling (${wall.toFixed(2)} s); spot check ${bad.length ? "FAILED" : "ok"}`,
    );
  }
} catch (e) {
  log(`failed: ${(e as Error).stack ?? e}`);
  code = 1;
} finally {
  await box.dispose({ topics: true }).catch((e) => log(`could not clean up ${box.id}: ${e}`));
  await sql.end({ timeout: 5 });
}
process.exit(code);
