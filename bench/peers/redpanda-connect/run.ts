// Peer 2 of `npm run bench`: Redpanda Connect (v4.52.0, see go.mod) reading the topic with `kafka_franz` and writing
// with `sql_insert` + `ON CONFLICT … DO UPDATE` — what a user of Redpanda Connect would configure instead of Kafka
// Connect. The binary is built here from main.go with the Go toolchain and the Go module proxy (no GitHub download),
// once per content of go.mod/go.sum/main.go, and cached in `cacheDir`. Only for the benchmark, never on the main path.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqlIdentifier } from "../../../src/db/identifier.ts";

export interface RedpandaConnectOptions {
  brokers: string[];
  topic: string;
  table: string;
  /** postgres:// URL; `sslmode=disable` is added unless it names one (lib/pq defaults to `require`). */
  pgUrl: string;
  /** Rows the run will send: a batch is never larger. */
  rows: number;
  log: (l: string) => void;
  /** Where the binary and the Go caches live (GOCACHE and GOMODCACHE under `<cacheDir>/go`). */
  cacheDir: string;
}

export type RedpandaConnectPeer = { pid: number; stop(): Promise<void> } | { notBuilt: string };

const HERE = import.meta.dir;
const SOURCES = ["go.mod", "go.sum", "main.go"] as const;
/** Rows per `INSERT`: 8,000 measured best in the prototype. 5 bind parameters a row must stay below 65,535. */
export const BATCH = 8_000;
const COLUMNS = ["device_id", "published_at", "metric_name", "value", "tags"] as const;
const MAX_IN_FLIGHT = 4;
const PG_MAX_BIND_PARAMETERS = 65_535;

/** Hash of the sources the binary is built from: a new version or import gives a new binary. */
export function sourceHash(dir = HERE): string {
  const h = createHash("sha256");
  for (const f of SOURCES) h.update(`${f}\0`).update(readFileSync(join(dir, f))).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** Environment of every `go` command: caches under cacheDir, the proxy only (the checksum database 404s for connect). */
function goEnv(cacheDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOCACHE: join(cacheDir, "go", "cache"),
    GOMODCACHE: join(cacheDir, "go", "mod"),
    // sum.golang.org answers 404 for github.com/redpanda-data/connect; go.sum pins its hash anyway.
    GONOSUMDB: "github.com/redpanda-data/connect",
    GOFLAGS: "-mod=mod",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (l: string) => void }): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn("nice", ["-n", "10", cmd, ...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let partial = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.stderr.on("data", (d: Buffer) => {
      const s = d.toString();
      err += s;
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
      const lines = (partial + s).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) opts.onLine?.(l);
    });
    c.once("error", reject);
    c.once("exit", (code) => resolve({ code, out, err }));
  });
}

/**
 * Path of the built binary, building it first if needed (10–15 minutes on 2 cores the first time, seconds once the
 * Go build cache is warm). Returns `{ notBuilt }` with the reason when Go is missing or the build fails.
 */
export async function ensureBinary(cacheDir: string, log: (l: string) => void): Promise<{ bin: string } | { notBuilt: string }> {
  const hash = sourceHash();
  const dir = join(cacheDir, "redpanda-connect", hash);
  const bin = join(dir, "redpanda-connect");
  if (existsSync(bin)) return { bin };
  const env = goEnv(cacheDir);
  try {
    const v = await run("go", ["version"], { cwd: HERE, env });
    if (v.code !== 0) return { notBuilt: `\`go version\` failed: ${v.err.trim()}` };
    log(`redpanda-connect: building with ${v.out.trim()} into ${bin} (first build takes 10–15 min on 2 cores)…`);
  } catch (e) {
    return { notBuilt: `the Go toolchain is not installed (${(e as Error).message})` };
  }
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  // The package count is only for the progress line; a failure here shows again in the build.
  const list = await run("go", ["list", "-deps", "."], { cwd: HERE, env });
  const total = list.code === 0 ? list.out.split("\n").filter(Boolean).length : 0;
  let done = 0;
  let lastLog = 0;
  const tmp = `${bin}.tmp-${process.pid}`;
  const b = await run("go", ["build", "-v", "-trimpath", "-ldflags=-s -w", "-o", tmp, "."], {
    cwd: HERE,
    env,
    onLine: (l) => {
      // `-v` prints each package it compiles (not those found in GOCACHE); error lines are indented or start with '#'.
      if (!/^[\w.\-/]+$/.test(l)) return;
      done++;
      if (Date.now() - lastLog > 20_000) {
        lastLog = Date.now();
        log(`redpanda-connect: build: ${done} packages compiled${total ? ` (${total} in all, cached ones not counted)` : ""}, ${Math.round((Date.now() - t0) / 1000)} s`);
      }
    },
  });
  if (b.code !== 0 || !existsSync(tmp)) {
    rmSync(tmp, { force: true });
    return { notBuilt: `go build failed (exit ${b.code}): ${b.err.trim().split("\n").slice(-15).join("\n")}` };
  }
  renameSync(tmp, bin);
  log(`redpanda-connect: built in ${Math.round((Date.now() - t0) / 1000)} s, ${(statSync(bin).size / 2 ** 20).toFixed(1)} MiB`);
  return { bin };
}

/**
 * Bloblang from one value to the five column arguments. `published_at` (epoch ms) becomes ISO text from whole
 * seconds plus the milliseconds (Bloblang reads a number as float seconds, which could be a nanosecond off);
 * `tags` a PostgreSQL array literal with `\` and `"` escaped (lib/pq cannot bind a Go []any).
 */
export const ARGS_MAPPING = String.raw`let ms = this.published_at
root = [
  this.device_id,
  (($ms - $ms % 1000) / 1000).ts_format("2006-01-02T15:04:05", "UTC") + "." + ($ms % 1000 + 1000).string().slice(1) + "Z",
  this.metric_name,
  this.value,
  "{" + this.tags.map_each(t -> "\"" + t.replace_all("\\", "\\\\").replace_all("\"", "\\\"") + "\"").join(",") + "}",
]`;

/** The DSN for lib/pq: the URL with `sslmode=disable` unless it sets one. */
export function pqDsn(pgUrl: string): string {
  const u = new URL(pgUrl);
  if (!u.searchParams.has("sslmode")) u.searchParams.set("sslmode", "disable");
  return u.toString();
}

/**
 * The Redpanda Connect config. Batches are formed per partition by the input, with a checkpoint limit that lets
 * `max_in_flight` of them be written at once: batching in the output instead, with the input's default
 * checkpoint_limit (1,024 messages per partition), never fills a batch of 8,000 and writes whatever the 500 ms period
 * collected: 1M rows back to back, 54k rows/s with this config, 15k with batching in the output (likely why the
 * prototype measured 13k), 37k with this config but checkpoint_limit 1,024. Two records with one key in one batch make the statement fail
 * ("ON CONFLICT DO UPDATE command cannot affect row a second time") and the batch is retried forever: fine for
 * the benchmark's unique keys, not for a topic with duplicates.
 * The value is `{"device_id","published_at" (epoch ms),"metric_name","value","tags"}`
 * (src/producer/encode.ts). Benthos parses JSON numbers as json.Number, so value and metric_name reach PostgreSQL as
 * their exact JSON text; see ARGS_MAPPING for the rest.
 */
export function renderConfig(o: { brokers: string[]; topic: string; table: string; pgUrl: string; group: string; batch: number }): string {
  sqlIdentifier(o.table);
  if (o.batch * COLUMNS.length >= PG_MAX_BIND_PARAMETERS) {
    throw new Error(`batch ${o.batch} × ${COLUMNS.length} columns exceeds PostgreSQL's ${PG_MAX_BIND_PARAMETERS} bind parameters`);
  }
  const q = JSON.stringify; // YAML accepts JSON strings and lists
  return `# Written by bench/peers/redpanda-connect/run.ts
http:
  enabled: false
logger:
  level: WARN
  format: logfmt
shutdown_timeout: 10s
input:
  kafka_franz:
    seed_brokers: ${q(o.brokers)}
    topics: [${q(o.topic)}]
    consumer_group: ${q(o.group)}
    start_from_oldest: true
    fetch_max_partition_bytes: 8MiB
    # Messages of a partition in flight before fetching pauses: room for max_in_flight whole batches.
    checkpoint_limit: ${o.batch * MAX_IN_FLIGHT}
    batching:
      count: ${o.batch}
      period: 500ms
output:
  sql_insert:
    driver: postgres
    dsn: ${q(pqDsn(o.pgUrl))}
    table: ${o.table}
    columns: ${q(COLUMNS)}
    args_mapping: |
${ARGS_MAPPING.replace(/^/gm, "      ")}
    suffix: ON CONFLICT (device_id, published_at, metric_name) DO UPDATE SET value = EXCLUDED.value, tags = EXCLUDED.tags
    max_in_flight: ${MAX_IN_FLIGHT}
    conn_max_open: ${MAX_IN_FLIGHT}
    conn_max_idle: ${MAX_IN_FLIGHT}
`;
}

/**
 * Builds the binary if needed, writes the config and starts Redpanda Connect as a child process reading `topic`
 * from the oldest offset with a fresh consumer group. The caller waits for the rows and calls `stop()`.
 */
export async function runRedpandaConnect(opts: RedpandaConnectOptions): Promise<RedpandaConnectPeer> {
  const built = await ensureBinary(opts.cacheDir, opts.log);
  if ("notBuilt" in built) return built;
  const work = mkdtempSync(join(tmpdir(), "sluice-rpc-"));
  const config = join(work, "config.yaml");
  const batch = Math.max(1, Math.min(BATCH, opts.rows));
  const group = `sluice-bench-rpc-${opts.table}-${Date.now().toString(36)}`;
  // The DSN holds a password: the file is readable by this user only, and removed on stop.
  writeFileSync(config, renderConfig({ ...opts, group, batch }), { mode: 0o600 });
  chmodSync(config, 0o600);
  const child: ChildProcess = spawn(built.bin, ["run", config], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  const pid = child.pid;
  if (!pid) {
    rmSync(work, { recursive: true, force: true });
    return { notBuilt: `could not start ${built.bin}` };
  }
  let exited = false;
  // An orphaned peer keeps consuming and holds locks on the table (a sandbox's DROP TABLE then waits): end it with us.
  const killOnExit = () => !exited && child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exited = true;
      process.off("exit", killOnExit);
      resolve(code);
    }),
  );
  const forward = (d: Buffer) => {
    for (const l of d.toString().split("\n")) if (l.trim()) opts.log(`redpanda-connect: ${l}`);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  void exit.then((code) => {
    if (code !== 0 && code !== null) opts.log(`redpanda-connect: exited with code ${code}`);
  });
  opts.log(`redpanda-connect: pid ${pid}, group ${group}, batch ${batch}, ${MAX_IN_FLIGHT} in flight`);
  return {
    pid,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 15_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}
