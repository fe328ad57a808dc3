// Peer 2 of `npm run bench` (scenario flink-sql): Apache Flink SQL, what many teams would run instead of Kafka
// Connect. bench/peers/flink/ is a small Maven project (FlinkPeer.java): one job in a local mini-cluster in one JVM,
// Flink's Kafka source (JSON) → `INSERT INTO sink SELECT …` → Flink's JDBC upsert sink, parallelism 2. Built with
// Maven into the download cache on first use (keyed by a hash of its sources) and run as a child process of the
// bench, configured through its environment (credentials never in argv or a log line). Only for the benchmark.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { produceRun } from "../../src/producer/session.ts";
import { ensureBuilt } from "../../src/stack/fetch.ts";
import type { ProcGroup } from "../lib/proc.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { type BenchContext, box, measured, newRun, target } from "../lib/scenarios.ts";

const LABEL = "peer: Apache Flink SQL (JDBC upsert, parallelism 2)";

/**
 * The JVM's options. A modest heap (768 MB; Connect's worker runs with about as much) that Flink's mini-cluster
 * fits in with its default local memory (128 MB managed, 64 MB network buffers); UTC, because Flink's JDBC sink
 * writes timestamps through java.sql.Timestamp in the JVM's zone; the --add-opens Flink's own launcher adds on Java
 * 17 (its serializers reflect into java.base); warnings and errors only, less four that every local run prints
 * (no Kerberos tokens, no log file for the web UI, Kafka client settings the admin client does not use).
 */
export const FLINK_JVM_OPTS = [
  "-Xmx768m",
  "-Duser.timezone=UTC",
  "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
  ...[
    "org.apache.flink.runtime.security.token",
    "org.apache.flink.runtime.webmonitor",
    "org.apache.kafka.clients.admin.AdminClientConfig",
    "org.apache.kafka.clients.consumer.ConsumerConfig",
  ].map((l) => `-Dorg.slf4j.simpleLogger.log.${l}=error`),
  ...["lang", "lang.reflect", "net", "io", "nio", "text", "time", "util", "util.concurrent"].map(
    (p) => `--add-opens=java.base/java.${p}=ALL-UNNAMED`,
  ),
  "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
];

/**
 * The peer's classpath (its jar and its dependencies' folder), built by Maven into `<cache>/flink-peer-<hash>` on
 * first use the way the stack builds Sluice's plugin (ensureBuilt), so an edit of bench/peers/flink rebuilds it and an
 * unchanged tree reuses it. The first build fetches about 140 MB of jars from Maven Central.
 */
export function ensureFlinkPeer(root: string, cache: string, log: (line: string) => void): string {
  const dir = ensureBuilt(
    join(root, "bench", "peers", "flink"),
    cache,
    (hash) => `flink-peer-${hash}`,
    [],
    "flink-sql: building the Flink peer (bench/peers/flink) with Maven, once: its jars come from Maven Central",
    log,
    (build, tmp) => {
      renameSync(join(build, "sluice-flink-peer.jar"), join(tmp, "sluice-flink-peer.jar"));
      renameSync(join(build, "lib"), join(tmp, "lib"));
    },
  );
  return `${join(dir, "sluice-flink-peer.jar")}:${join(dir, "lib", "*")}`;
}

/** A postgres:// URL as pgjdbc's URL (its query kept: sslmode and the like) and the credentials, apart. */
export function jdbcOf(postgresUrl: string): { url: string; user: string; password: string } {
  const u = new URL(postgresUrl);
  return {
    url: `jdbc:postgresql://${u.host}${u.pathname}${u.search}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/**
 * Peer 2: Flink SQL draining the same kind of backlog into the same kind of table. The JVM starts while the backlog
 * is produced and declares its tables; the clock starts when it is told to submit the job (planning and the
 * mini-cluster's start are measured, as a connector's creation is for the Connect sink). Its process is metered as
 * the client and killed, by pid, after the last row.
 */
export async function flinkSql(b: BenchContext): Promise<ScenarioResult> {
  const classpath = ensureFlinkPeer(b.root, b.cache, b.log);
  const s = await box(b, "flink_sql");
  const run = newRun(b, "flink_sql");
  const pg = jdbcOf(b.postgresUrl);
  b.log(`flink-sql: producing a backlog of ${run.count.toLocaleString("en-US")}, starting the Flink JVM…`);
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  const fail = Promise.withResolvers<never>();
  fail.promise.catch(() => {}); // rejected on every exit, also the expected one after the run
  const ready = Promise.withResolvers<void>();
  ready.promise.catch(() => {}); // awaited by produce; an exit after it is the abort's
  // Flink unpacks jars (its RPC system, the planner) into java.io.tmpdir and leaves some behind: a folder per run.
  const tmp = mkdtempSync(join(tmpdir(), "sluice-flink-peer-"));
  const startJvm = () => {
    child = spawn(
      "java",
      [...FLINK_JVM_OPTS, `-Djava.io.tmpdir=${tmp}`, "-cp", classpath, "dev.sluice.bench.FlinkPeer"],
      {
        env: {
          ...b.childEnv,
          PEER_BROKERS: b.brokers.join(","),
          PEER_TOPIC: s.topic,
          PEER_GROUP: `peer-${s.id}`,
          PEER_TABLE: s.table,
          PEER_JDBC_URL: pg.url,
          PEER_PG_USER: pg.user,
          PEER_PG_PASSWORD: pg.password,
          PEER_PARALLELISM: "2",
        },
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    createInterface({ input: child.stdout! }).on("line", (line) =>
      line === "ready" ? ready.resolve() : b.log(`flink-sql: ${line}`),
    );
    exited = new Promise((resolve) => child!.once("exit", resolve));
    void exited.then((code) => {
      const e = new Error(`the Flink peer exited early (code ${code})`);
      ready.reject(e);
      fail.reject(e);
    });
  };
  const childGroup: ProcGroup = { name: "client", pids: () => (child?.pid ? [child.pid] : []) };
  try {
    const r = await measured(b, s, run, "flink-sql", {
      produce: async () => {
        startJvm();
        const [manifest] = await Promise.all([
          produceRun(target(b, s.topic), run, { compression: b.compression }),
          ready.promise,
        ]);
        return manifest;
      },
      afterProduce: async () => {
        child!.stdin!.write("go\n");
      },
      abort: fail.promise,
      groups: [...b.groups, childGroup],
    });
    return { scenario: "flink-sql", label: LABEL, rows: run.count, ...r };
  } finally {
    if (child?.pid && child.exitCode === null) {
      child.kill("SIGTERM");
      const late = setTimeout(() => child?.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(late);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}
