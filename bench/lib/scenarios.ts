// The bench's scenarios, each on its own sandbox (topic, table, connector) of the live stack.
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import type { Sql } from "postgres";
import { countLanded, sinkSpan, spotCheck, waitLanded } from "../../src/audit/landed.ts";
import type { ConnectClient } from "../../src/connect/client.ts";
import { readConnectorFile } from "../../src/connect/desired.ts";
import type { CompressionName } from "../../src/kafka/codecs.ts";
import { E2eProbe } from "../../src/producer/e2e-latency.ts";
import { FaultInjector, NO_FAULTS } from "../../src/producer/faults.ts";
import { workload } from "../../src/producer/generator.ts";
import { runLoad } from "../../src/producer/loadtest.ts";
import { rng } from "../../src/producer/rng.ts";
import { openLoadProducer, produceRun } from "../../src/producer/session.ts";
import { metricAt, planRun, type Run } from "../../src/producer/workload.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox.ts";
import { runRedpandaConnect } from "../peers/redpanda-connect/run.ts";
import { meter, type ProcGroup } from "./proc.ts";
import type { ScenarioResult } from "./report.ts";

export interface BenchContext {
  readonly root: string;
  readonly sql: Sql;
  readonly kafka: Kafka;
  readonly connect: ConnectClient;
  readonly brokers: string[];
  readonly registryUrl: string;
  /** postgres:// URL of the database, for the peer's own connections. */
  readonly postgresUrl: string;
  readonly partitions: number;
  readonly rows: number;
  readonly overrides: Readonly<Record<string, string>>;
  readonly groups: readonly ProcGroup[];
  readonly log: (line: string) => void;
  /** Download/build cache of the stack (~/.cache/sluice): the Redpanda Connect peer's binary lives there. */
  readonly cacheDir: string;
  /** Sandboxes made, disposed by the caller. */
  readonly boxes: Sandbox[];
  /** Producer compression of every scenario that produces through Sluice's producer. */
  readonly compression: CompressionName;
}

/**
 * The Debezium JDBC sink 3.6 as connectors/alternatives/debezium/metrics-sink.json configures it (the settings
 * measured best for it in ../shared/design.md), minus what each sandbox sets (topic, table, DLQ): the comparison for
 * the Sluice sink, and a check that the alternative file works.
 */
export function debeziumOverrides(root: string): Record<string, string> {
  const { config } = readConnectorFile(join(root, "connectors", "alternatives", "debezium", "metrics-sink.json"));
  const { topics: _t, "collection.name.format": _c, "errors.deadletterqueue.topic.name": _d, ...rest } = config;
  return rest;
}

/** Kafka's JsonConverter with the contract's Connect schema and no key/value check: what the contract check costs. */
export const RAW_JSON_CONVERTER = {
  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
  "key.converter.schemas.enable": "true",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true",
  transforms: "",
} as const;

/** The contract converter with its token-by-token fast path off: every record through the JSON tree (the converter before it). */
export const TREE_PATH_CONVERTER = { "key.converter.fast.path": "false", "value.converter.fast.path": "false" } as const;

const newRun = (b: BenchContext, label: string, count = b.rows): Run =>
  planRun({ seed: `bench-${label}-${Date.now()}`, count, devices: 1000, startMs: Date.UTC(2026, 0, 1) });

async function box(b: BenchContext, label: string, partitions = b.partitions): Promise<Sandbox> {
  const s = await createSandbox({ root: b.root, sql: b.sql, kafka: b.kafka, connect: b.connect }, `bench_${label.replace(/-/g, "_")}`, partitions);
  b.boxes.push(s);
  return s;
}

const target = (b: BenchContext, topic: string) => ({ brokers: b.brokers, registryUrl: b.registryUrl, topic });

/**
 * Waits for every row of the run. Counting is a query over the whole table, so until PostgreSQL's insert counter for
 * the table (cheap to read) says all rows may be there, only the counter is polled: the wait must not steal the
 * sink's CPU. Then the exact count decides.
 */
async function landed(b: BenchContext, s: Sandbox, run: Run, what: string): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const [r] = await b.sql.unsafe(`select coalesce(n_tup_ins, 0)::bigint as n from pg_stat_user_tables where relid = $1::regclass`, [s.table]);
    const n = Number(r?.n ?? 0);
    if (n >= run.count) break;
    if (n !== last) {
      if (Math.floor(n / 500_000) !== Math.floor(Math.max(0, last) / 500_000)) b.log(`${what}: about ${n.toLocaleString("en-US")} stored`);
      last = n;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > 120_000) break; // let the exact wait below report what is missing
    await Bun.sleep(500);
  }
  await waitLanded(b.sql, s.table, run, { intervalMs: 1000, onProgress: (k) => b.log(`${what}: ${k.toLocaleString("en-US")} landed`) });
}

async function verify(b: BenchContext, s: Sandbox, run: Run): Promise<void> {
  const bad = await spotCheck(b.sql, s.table, run, 1000);
  if (bad.length) throw new Error(`${s.table}: ${bad.length} of 1,000 sampled rows differ from what was sent, e.g. ${JSON.stringify(bad[0])}`);
  const n = await countLanded(b.sql, s.table, run);
  if (n !== run.count) throw new Error(`${s.table}: ${n} rows stored, ${run.count} sent`);
}

/** Seconds from `startEpochMs` to the last stored batch, and from the first batch to the last (PostgreSQL's clock). */
async function spans(b: BenchContext, s: Sandbox, run: Run, startEpochMs: number) {
  const span = await sinkSpan(b.sql, s.table, run);
  return { seconds: (span.lastMs - startEpochMs) / 1000, steadySeconds: (span.lastMs - span.firstMs) / 1000 };
}

/** COPY in text format, one stream, the same rows generated on the fly: the baseline. */
export async function copyBaseline(b: BenchContext): Promise<ScenarioResult> {
  const s = await box(b, "copy", 1);
  const run = newRun(b, "copy");
  b.log(`copy: ${run.count.toLocaleString("en-US")} rows…`);
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const writable = await b.sql.unsafe(`copy ${s.table} (device_id, published_at, metric_name, value, tags) from stdin`).writable();
  for (let from = 0; from < run.count; from += 5000) {
    let text = "";
    for (let k = from; k < Math.min(run.count, from + 5000); k++) {
      const x = metricAt(run, k);
      text += `${x.device_id}\t${new Date(x.published_at).toISOString()}\t${x.metric_name}\t${x.value}\t{${x.tags.map((t) => `"${t}"`).join(",")}}\n`;
    }
    if (!writable.write(text)) await new Promise((r) => writable.once("drain", r));
  }
  await new Promise<void>((resolve, reject) => writable.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const seconds = (performance.now() - t0) / 1000;
  const usage = withClient(m.stop(), cpu0);
  await verify(b, s, run);
  return { scenario: "copy", label: "COPY (text, one stream)", rows: run.count, seconds, ...usage };
}

/** Sets the "client" group to this process's CPU since `cpu0`, plus `extra` (a child the meter followed). */
function withClient(u: ReturnType<ReturnType<typeof meter>["stop"]>, cpu0: NodeJS.CpuUsage, extra = 0) {
  const c = process.cpuUsage(cpu0);
  return { ...u, cpu: { ...u.cpu, client: (c.user + c.system) / 1e6 + extra } };
}

/** The topic filled first, then a connector started on it; timed until its last row is stored. */
export async function drain(b: BenchContext, scenario: string, label: string, overrides: Record<string, string>, partitions = b.partitions): Promise<ScenarioResult> {
  const s = await box(b, scenario, partitions);
  const run = newRun(b, scenario);
  b.log(`${scenario}: producing a backlog of ${run.count.toLocaleString("en-US")}…`);
  await produceRun(target(b, s.topic), run, { compression: b.compression });
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  await s.applySink(undefined, { ...overrides });
  await landed(b, s, run, scenario);
  const usage = withClient(m.stop(), cpu0);
  await verify(b, s, run);
  return { scenario, label, rows: run.count, ...(await spans(b, s, run, start)), ...usage };
}

/** The connector running first, then the producer at its maximum on the same machine; timed from the first send. */
export async function endToEnd(b: BenchContext): Promise<ScenarioResult> {
  const s = await box(b, "e2e");
  await s.applySink(undefined, { ...b.overrides });
  const run = newRun(b, "e2e");
  b.log(`e2e: producer at its maximum, ${run.count.toLocaleString("en-US")} rows, sink running…`);
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  await produceRun(target(b, s.topic), run, { compression: b.compression });
  await landed(b, s, run, "e2e");
  const usage = withClient(m.stop(), cpu0);
  await verify(b, s, run);
  return { scenario: "e2e", label: "end to end (producer at max + sink)", rows: run.count, ...(await spans(b, s, run, start)), ...usage };
}

/** Open-loop `rate` for `seconds` with the sink running; p50/p99 of produce → row visible on sampled records. */
export async function latency(b: BenchContext, rate: number, seconds: number): Promise<ScenarioResult> {
  const s = await box(b, "latency");
  await s.applySink(undefined, { ...b.overrides });
  const rounded = Math.max(1000, Math.round(rate / 1000) * 1000);
  b.log(`latency: ${rounded.toLocaleString("en-US")} metrics/s for ${seconds} s, sink running…`);
  const lp = await openLoadProducer(target(b, s.topic), { maxInFlight: 5, partitioner: "device" });
  const probe = new E2eProbe(b.sql, s.table, { pollMs: 500 });
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  try {
    probe.start();
    const summary = await runLoad({
      producer: lp.producer,
      topic: s.topic,
      partitions: lp.partitions,
      schemaId: lp.schemaId,
      mode: { kind: "rate", perSec: rounded },
      workload: workload({ seed: `bench-latency-${Date.now()}`, devices: { fixed: 1000 }, metrics: { min: 6000, max: 6000 }, codes: [0, 10, 20, 30, 40, 50], values: "uniform", tags: 2 }),
      faults: new FaultInjector(NO_FAULTS, rng("bench")),
      durationMs: seconds * 1000,
      batchSize: 500,
      concurrency: 8,
      compression: b.compression,
      acks: -1,
      partitioner: "device",
      onSample: (x, at) => probe.sample(x, at),
      sampleEveryMs: 20,
    });
    await probe.drain(60_000);
    const usage = withClient(m.stop(), cpu0);
    const st = probe.stats();
    return {
      scenario: "latency",
      label: `latency at ${rounded.toLocaleString("en-US")}/s (half of e2e)`,
      rows: summary.sent,
      seconds: summary.sent / summary.rate,
      latency: { rate: rounded, p50: st.p50, p99: st.p99, max: st.max, samples: st.seen },
      ...usage,
    };
  } finally {
    await lp.close();
  }
}

/**
 * Peer 1: a hand-written Bun consumer (bench/peers/bun-consumer.ts) in a child process of its own, draining the
 * same kind of backlog into the same kind of table.
 */
export async function bunConsumer(b: BenchContext): Promise<ScenarioResult> {
  const s = await box(b, "bun_consumer");
  const run = newRun(b, "bun_consumer");
  b.log(`bun-consumer: producing a backlog of ${run.count.toLocaleString("en-US")}…`);
  await produceRun(target(b, s.topic), run, { compression: b.compression });
  let childPid = 0;
  const childGroup: ProcGroup = { name: "client", pids: () => (childPid ? [childPid] : []) };
  const m = meter([...b.groups, childGroup]);
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  const child = spawn(process.execPath, [join(b.root, "bench", "peers", "bun-consumer.ts")], {
    env: { ...process.env, PEER_BROKERS: b.brokers.join(","), PEER_TOPIC: s.topic, PEER_TABLE: s.table, PEER_GROUP: `peer-${s.id}`, PEER_PG_URL: b.postgresUrl },
    stdio: ["ignore", "inherit", "inherit"],
  });
  childPid = child.pid ?? 0;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    await Promise.race([landed(b, s, run, "bun-consumer"), exited.then((code) => Promise.reject(new Error(`the peer exited early (code ${code})`)))]);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  const u = m.stop();
  const usage = withClient(u, cpu0, u.cpu.client ?? 0);
  await verify(b, s, run);
  return { scenario: "bun-consumer", label: "peer: hand-written Bun consumer (unnest upsert)", rows: run.count, ...(await spans(b, s, run, start)), ...usage };
}

/**
 * Peer 2: Redpanda Connect's `sql_insert` with `ON CONFLICT … DO UPDATE` (bench/peers/redpanda-connect), built with
 * Go from the module proxy on first use (cached). Undefined, with the reason logged, when it cannot be built here.
 */
export async function redpandaConnect(b: BenchContext): Promise<ScenarioResult | undefined> {
  const s = await box(b, "redpanda_connect");
  const run = newRun(b, "redpanda_connect");
  b.log(`redpanda-connect: producing a backlog of ${run.count.toLocaleString("en-US")}…`);
  await produceRun(target(b, s.topic), run, { compression: b.compression });
  // Built (on first use) before the clock starts; it reads the topic from the moment it is launched.
  const peer = await runRedpandaConnect({ brokers: b.brokers, topic: s.topic, table: s.table, pgUrl: b.postgresUrl, rows: run.count, log: b.log, cacheDir: b.cacheDir });
  if ("notBuilt" in peer) {
    b.log(`redpanda-connect: not measured: ${peer.notBuilt}`);
    return undefined;
  }
  const start = Date.now();
  const m = meter([...b.groups, { name: "client", pids: () => [peer.pid] }]);
  const cpu0 = process.cpuUsage();
  try {
    await landed(b, s, run, "redpanda-connect");
  } finally {
    await peer.stop();
  }
  const u = m.stop();
  const usage = withClient(u, cpu0, u.cpu.client ?? 0);
  await verify(b, s, run);
  return { scenario: "redpanda-connect", label: "peer: Redpanda Connect sql_insert (ON CONFLICT)", rows: run.count, ...(await spans(b, s, run, start)), ...usage };
}
