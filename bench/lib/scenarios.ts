// The bench's scenarios, each on its own sandbox (topic, table, connector) of the live stack.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import type { Sql } from "postgres";
import { countLanded, spotCheck } from "../../src/audit/landed.ts";
import { assertExact, roundTrip } from "../../src/audit/round-trip.ts";
import type { KafkaSecurity } from "../../src/config/kafka-security.ts";
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
import { createSandbox, type Sandbox, type SandboxReplication } from "../../src/sandbox.ts";
import { copyBinarySql, encodeStream } from "./copy-binary.ts";
import { meter, type ProcGroup } from "./proc.ts";
import type { ScenarioResult } from "./report.ts";

export interface BenchContext {
  readonly root: string;
  /** The stack's data folder (the brokers' log dirs are under it). */
  readonly dataDir: string;
  /** The download cache (outside the work tree): where a peer that must be built keeps its build. */
  readonly cache: string;
  readonly sql: Sql;
  readonly kafka: Kafka;
  readonly connect: ConnectClient;
  readonly brokers: string[];
  /** TLS and SASL for a secured cluster. */
  readonly security: KafkaSecurity;
  readonly registryUrl: string;
  /** postgres:// URL of the database, for the peer's own connections. */
  readonly postgresUrl: string;
  readonly partitions: number;
  readonly rows: number;
  readonly overrides: Readonly<Record<string, string>>;
  readonly groups: readonly ProcGroup[];
  readonly log: (line: string) => void;
  /** The environment a child process (the Bun consumer peer) starts from: the stack context's baseEnv. */
  readonly childEnv: Readonly<Record<string, string>>;
  /** Sandboxes made, disposed by the caller. */
  readonly boxes: Sandbox[];
  /** Producer compression of every scenario that produces through Sluice's producer. */
  readonly compression: CompressionName;
  /** Replication of the sandbox topics: the stack's (RF 3, min.insync 2 on a three-node stack), as the shipped topics. */
  readonly replication: SandboxReplication | undefined;
}

/** Topics of one replica on any stack: what replication costs, measured on the same cluster (`*-rf1` scenarios). */
export const RF1: SandboxReplication = { replicationFactor: 1, minInsyncReplicas: 1 };

/**
 * The Debezium JDBC sink 3.6 as connectors/alternatives/debezium/metrics-sink.json configures it (the settings
 * measured best for it in ../shared/design.md), minus what each sandbox sets (topic, table, DLQ): the comparison for
 * the Sluice sink, and a check that the alternative file works.
 */
export function debeziumOverrides(root: string): Record<string, string> {
  const { config } = readConnectorFile(join(root, "connectors", "alternatives", "debezium", "metrics-sink.json"));
  const { topics: _t, "collection.name.format": _c, "errors.deadletterqueue.topic.name": _d, ...rest } = config;
  // Laid over the shipped sink's config, whose converters hand the Sluice sink COPY rows: Debezium needs structs.
  return { ...rest, "key.converter.copy.rows": "false", "value.converter.copy.rows": "false" };
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
export const TREE_PATH_CONVERTER = {
  "key.converter.fast.path": "false",
  "value.converter.fast.path": "false",
} as const;

/** A fresh run of `count` rows (1,000 devices) for one scenario. */
export const newRun = (b: BenchContext, label: string, count = b.rows): Run =>
  planRun({ seed: `bench-${label}-${Date.now()}`, count, devices: 1000, startMs: Date.UTC(2026, 0, 1) });

/** A sandbox (topic, table, connector names) of its own for one scenario, disposed by the caller with the rest. */
export async function box(
  b: BenchContext,
  label: string,
  partitions = b.partitions,
  replication = b.replication,
): Promise<Sandbox> {
  const s = await createSandbox(
    { root: b.root, sql: b.sql, kafka: b.kafka, connect: b.connect, replication },
    `bench_${label.replace(/-/g, "_")}`,
    partitions,
  );
  b.boxes.push(s);
  return s;
}

/** Where Sluice's producer sends for a scenario. */
export const target = (b: BenchContext, topic: string) => ({
  brokers: b.brokers,
  security: b.security,
  registryUrl: b.registryUrl,
  topic,
});

/**
 * Until PostgreSQL's insert counter for the table (cheap to read) says all rows may be there, only the counter is
 * polled: counting is a query over the whole table, and the wait must not steal the sink's CPU. Then the exact wait
 * of {@link roundTrip} decides.
 */
async function insertCounterReached(b: BenchContext, s: Sandbox, run: Run, what: string): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const [r] = await b.sql.unsafe(
      `select coalesce(n_tup_ins, 0)::bigint as n from pg_stat_user_tables where relid = $1::regclass`,
      [s.table],
    );
    const n = Number(r?.n ?? 0);
    if (n >= run.count) return;
    if (n !== last) {
      if (Math.floor(n / 500_000) !== Math.floor(Math.max(0, last) / 500_000))
        b.log(`${what}: about ${n.toLocaleString("en-US")} stored`);
      last = n;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > 120_000) return; // let the exact wait report what is missing
    await Bun.sleep(500);
  }
}

/** PostgreSQL's current WAL position, to count the WAL bytes a scenario writes (the bench runs alone). */
async function walLsn(b: BenchContext): Promise<string> {
  const [r] = await b.sql`select pg_current_wal_lsn()::text as lsn`;
  return r!.lsn as string;
}

async function walSince(b: BenchContext, lsn: string): Promise<number> {
  const [r] = await b.sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}::pg_lsn)::bigint as n`;
  return Number(r!.n);
}

/** The table's bytes with its indexes (and partitions, if any). */
async function tableBytesOf(b: BenchContext, table: string): Promise<number> {
  const [r] = await b.sql`select (pg_total_relation_size(${table}::regclass)
    + coalesce((select sum(pg_total_relation_size(inhrelid)) from pg_inherits where inhparent = ${table}::regclass), 0))::bigint as n`;
  return Number(r!.n);
}

/** Bytes of `topic`'s partition folders on this machine's brokers (every replica), read from their log dirs. */
export function topicBytesOnDisk(dataDir: string, topic: string): number {
  // Each local node keeps its log dir in <data>/<node name>/logs (kafka, kafka-2, …).
  const logDirs = readdirSync(dataDir)
    .filter((n) => n.startsWith("kafka"))
    .map((n) => join(dataDir, n, "logs"))
    .filter((d) => existsSync(d) && statSync(d).isDirectory());
  let bytes = 0;
  // Segments only: a partition's index files are preallocated (10 MB each, sparse) until the segment rolls.
  for (const dir of logDirs)
    for (const part of readdirSync(dir).filter(
      (d) => d.startsWith(`${topic}-`) && /^\d+$/.test(d.slice(topic.length + 1)),
    ))
      for (const f of readdirSync(join(dir, part)).filter((x) => x.endsWith(".log")))
        bytes += statSync(join(dir, part, f)).size;
  return bytes;
}

/** How a scenario produces and starts its sink; `groups` meters a peer's process as the client. */
export interface MeasuredSteps {
  produce(): Promise<unknown>;
  afterProduce?(): Promise<void>;
  /** Fails the wait early (a peer that exited). */
  readonly abort?: Promise<never>;
  readonly groups?: readonly ProcGroup[];
}

/**
 * One scenario's round trip on its sandbox: `produce`, then `afterProduce` (the clock starts there when given), every
 * row landed and exact. CPU and memory are metered from the clock's start to the last row.
 */
export async function measured(b: BenchContext, s: Sandbox, run: Run, what: string, steps: MeasuredSteps) {
  let m: ReturnType<typeof meter> | undefined;
  let usage: ReturnType<typeof withClient> | undefined;
  let cpu0 = process.cpuUsage();
  let lsn = "0/0";
  const startMeter = async () => {
    lsn = await walLsn(b);
    m = meter(steps.groups ?? b.groups);
    cpu0 = process.cpuUsage();
  };
  const counter = () => insertCounterReached(b, s, run, what);
  const r = await roundTrip({
    sql: b.sql,
    table: s.table,
    run,
    intervalMs: 1000,
    onLanded: (k) => b.log(`${what}: ${k.toLocaleString("en-US")} landed`),
    produce: async () => {
      if (!steps.afterProduce) await startMeter();
      return steps.produce();
    },
    afterProduce:
      steps.afterProduce &&
      (async () => {
        await startMeter();
        await steps.afterProduce!();
      }),
    beforeWait: () => (steps.abort ? Promise.race([counter(), steps.abort]) : counter()),
    afterWait: () => {
      const u = m!.stop();
      // A peer's own process is metered as the client, on top of this process.
      usage = withClient(u, cpu0, steps.groups ? (u.cpu.client ?? 0) : 0);
    },
  });
  const walBytes = await walSince(b, lsn);
  assertExact(s.table, run, r);
  const { firstMs, lastMs } = r.span;
  const tableBytes = await tableBytesOf(b, s.table);
  return {
    seconds: (lastMs - r.startMs) / 1000,
    steadySeconds: (lastMs - firstMs) / 1000,
    walBytes,
    tableBytes,
    ...usage!,
  };
}

async function verify(b: BenchContext, s: Sandbox, run: Run): Promise<void> {
  const mismatches = await spotCheck(b.sql, s.table, run, 1000);
  assertExact(s.table, run, { landed: await countLanded(b.sql, s.table, run), mismatches });
}

/** Runs one `COPY … FROM STDIN` on a connection of its own, writing `chunks` with backpressure. */
async function copyIn(b: BenchContext, copy: string, chunks: Iterable<string | Buffer>): Promise<void> {
  const writable = await b.sql.unsafe(copy).writable();
  for (const c of chunks) if (!writable.write(c)) await new Promise((r) => writable.once("drain", r));
  await new Promise<void>((resolve, reject) => writable.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** COPY in text format, one stream, the same rows generated on the fly: the baseline. */
export async function copyBaseline(b: BenchContext): Promise<ScenarioResult> {
  const s = await box(b, "copy", 1);
  const run = newRun(b, "copy");
  b.log(`copy: ${run.count.toLocaleString("en-US")} rows…`);
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await copyIn(
    b,
    `copy ${s.table} (device_id, published_at, metric_name, value, tags) from stdin`,
    (function* () {
      for (let from = 0; from < run.count; from += 5000) {
        let text = "";
        for (let k = from; k < Math.min(run.count, from + 5000); k++) {
          const x = metricAt(run, k);
          text += `${x.device_id}\t${new Date(x.published_at).toISOString()}\t${x.metric_name}\t${x.value}\t{${x.tags.map((t) => `"${t}"`).join(",")}}\n`;
        }
        yield text;
      }
    })(),
  );
  const seconds = (performance.now() - t0) / 1000;
  const usage = withClient(m.stop(), cpu0);
  await verify(b, s, run);
  return { scenario: "copy", label: "COPY (text, one stream)", rows: run.count, seconds, ...usage };
}

/** The Sluice sink's tasks (connectors/metrics-sink.json, or a `tasks.max` override): the parallel baseline's streams. */
export function sinkTasks(b: BenchContext): number {
  const { config } = readConnectorFile(join(b.root, "connectors", "metrics-sink.json"));
  return Number(b.overrides["tasks.max"] ?? config["tasks.max"] ?? 1);
}

/**
 * The main baseline: as many binary COPY streams as the sink has tasks, each on its own connection, of rows encoded
 * before the clock starts (a loader with its files ready), into the same kind of table. What the machine's
 * PostgreSQL takes at most through the sink's degree of parallelism.
 */
export async function copyParallel(b: BenchContext, streams = sinkTasks(b)): Promise<ScenarioResult> {
  const s = await box(b, "copy_parallel", 1);
  const run = newRun(b, "copy-parallel");
  b.log(`copy-parallel: encoding ${run.count.toLocaleString("en-US")} rows for ${streams} streams…`);
  const slices = Array.from({ length: streams }, (_, i) => {
    const from = Math.floor((run.count * i) / streams);
    const to = Math.floor((run.count * (i + 1)) / streams);
    return encodeStream(
      (function* () {
        for (let k = from; k < to; k++) yield metricAt(run, k);
      })(),
    );
  });
  const lsn = await walLsn(b);
  const m = meter(b.groups);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(slices.map((chunks) => copyIn(b, copyBinarySql(s.table), chunks)));
  const seconds = (performance.now() - t0) / 1000;
  const usage = withClient(m.stop(), cpu0);
  const walBytes = await walSince(b, lsn);
  await verify(b, s, run);
  const label = `COPY (binary, ${streams} parallel streams, rows prepared)`;
  return { scenario: "copy-parallel", label, rows: run.count, seconds, walBytes, ...usage };
}

/** Sets the "client" group to this process's CPU since `cpu0`, plus `extra` (a child the meter followed). */
function withClient(u: ReturnType<ReturnType<typeof meter>["stop"]>, cpu0: NodeJS.CpuUsage, extra = 0) {
  const c = process.cpuUsage(cpu0);
  return { ...u, cpu: { ...u.cpu, client: (c.user + c.system) / 1e6 + extra } };
}

/** The topic filled first, then a connector started on it; timed until its last row is stored. */
export async function drain(
  b: BenchContext,
  scenario: string,
  label: string,
  overrides: Record<string, string>,
  partitions = b.partitions,
  replication = b.replication,
): Promise<ScenarioResult> {
  const s = await box(b, scenario, partitions, replication);
  const run = newRun(b, scenario);
  b.log(`${scenario}: producing a backlog of ${run.count.toLocaleString("en-US")}…`);
  let topicBytes = 0;
  const r = await measured(b, s, run, scenario, {
    produce: () => produceRun(target(b, s.topic), run, { compression: b.compression }),
    afterProduce: () => {
      topicBytes = topicBytesOnDisk(b.dataDir, s.topic);
      return s.applySink(undefined, { ...overrides }).then(() => {});
    },
  });
  return { scenario, label, rows: run.count, topicBytes, ...r };
}

/** The connector running first, then the producer at its maximum on the same machine; timed from the first send. */
export async function endToEnd(
  b: BenchContext,
  scenario = "e2e",
  label = "end to end (producer at max + sink)",
  replication = b.replication,
): Promise<ScenarioResult> {
  const s = await box(b, scenario, b.partitions, replication);
  await s.applySink(undefined, { ...b.overrides });
  const run = newRun(b, scenario);
  b.log(`${scenario}: producer at its maximum, ${run.count.toLocaleString("en-US")} rows, sink running…`);
  const produce = () => produceRun(target(b, s.topic), run, { compression: b.compression });
  const r = await measured(b, s, run, scenario, { produce });
  return { scenario, label, rows: run.count, ...r };
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
      workload: workload({
        seed: `bench-latency-${Date.now()}`,
        devices: { fixed: 1000 },
        metrics: { min: 6000, max: 6000 },
        codes: [0, 10, 20, 30, 40, 50],
        values: "uniform",
        tags: 2,
      }),
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
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  const fail = Promise.withResolvers<never>();
  const startPeer = async () => {
    child = spawn(process.execPath, [join(b.root, "bench", "peers", "bun-consumer.ts")], {
      env: {
        ...b.childEnv,
        PEER_BROKERS: b.brokers.join(","),
        PEER_TOPIC: s.topic,
        PEER_TABLE: s.table,
        PEER_GROUP: `peer-${s.id}`,
        PEER_PG_URL: b.postgresUrl,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    exited = new Promise((resolve) => child!.once("exit", resolve));
    void exited.then((code) => fail.reject(new Error(`the peer exited early (code ${code})`)));
  };
  fail.promise.catch(() => {}); // rejected on every exit, also the expected one after the run
  const childGroup: ProcGroup = { name: "client", pids: () => (child?.pid ? [child.pid] : []) };
  try {
    const r = await measured(b, s, run, "bun-consumer", {
      produce: () => produceRun(target(b, s.topic), run, { compression: b.compression }),
      afterProduce: startPeer,
      abort: fail.promise,
      groups: [...b.groups, childGroup],
    });
    const label = "peer: hand-written Bun consumer (unnest upsert)";
    return { scenario: "bun-consumer", label, rows: run.count, ...r };
  } finally {
    child?.kill("SIGTERM");
    await exited;
  }
}
