// The real Docker Compose CLI for the tests (test/unit/compose.test.ts), built from the Go module proxy: our machines
// have no Docker engine, yet `docker-compose config` needs none, so the compose files are checked by Compose itself
// (schema, interpolation, include, profiles, dependencies) instead of a model of it. Built once per user into the
// tools cache, shared by every clone, and reused while present.
import { type StdioOptions, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** The Compose release built; v5.7+ need a newer Go than the machines' 1.26. */
export const COMPOSE_VERSION = "v5.6.0";
const MODULE = "github.com/docker/compose/v5";

type Log = (line: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

/** `${XDG_CACHE_HOME:-$HOME/.cache}/sluice/tools`: test tools shared by every clone of the same user. */
export function toolsCacheDir(env: Env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "sluice", "tools");
}

/** Where the binary lives: `<tools cache>/compose-v5.6.0/docker-compose`. */
export function composeCliPath(env: Env): string {
  return join(toolsCacheDir(env), `compose-${COMPOSE_VERSION}`, "docker-compose");
}

/** `go` on PATH, else the tarball install's /usr/local/go/bin (not on a normal user's PATH by default). */
export function findGo(env: Env): string | undefined {
  const dirs = [...(env.PATH ?? "").split(":").filter(Boolean), "/usr/local/go/bin"];
  return dirs.map((d) => join(d, "go")).find((p) => existsSync(p));
}

function run(cmd: string, args: string[], cwd: string, env: Env, log: Log): Promise<void> {
  log(`$ ${cmd} ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (b: Buffer) => (out = (out + b.toString()).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    const failed = (code: number | null) => new Error(`${cmd} ${args[0]} failed (${code}):\n${out}`);
    child.on("close", (code) => (code === 0 ? resolve() : reject(failed(code))));
  });
}

const TOOLS_GO = `//go:build tools

package tools

import _ "${MODULE}/cmd"
`;

/** Builds Compose in `tmp` (a throw-away module beside the final folder): `go get` the release, `go build` its CLI. */
async function build(tmp: string, env: Env, log: Log): Promise<void> {
  const go = findGo(env);
  if (!go) throw new Error("Go is needed to build the Compose CLI for the tests (Debian: apt-get install golang)");
  // GOTOOLCHAIN=local: build with the installed Go; never fetch another toolchain behind the user's back.
  // CGO off: a static binary, and no C compiler needed.
  const goEnv = { ...env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };
  writeFileSync(join(tmp, "tools.go"), TOOLS_GO);
  await run(go, ["mod", "init", "sluice.local/compose-cli"], tmp, goEnv, log);
  await run(go, ["get", `${MODULE}/cmd@${COMPOSE_VERSION}`], tmp, goEnv, log);
  // The version `docker-compose version` prints, as Compose's own release build sets it.
  const ldflags = `-s -w -X ${MODULE}/internal.Version=${COMPOSE_VERSION}`;
  await run(go, ["build", "-trimpath", "-ldflags", ldflags, "-o", "docker-compose", `${MODULE}/cmd`], tmp, goEnv, log);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The pid in a lock file; undefined when it is gone, 0 while its writer has not written it yet. */
function lockHolder(lock: string): number | undefined {
  try {
    return Number(readFileSync(lock, "utf8").trim()) || 0;
  } catch {
    return undefined;
  }
}

/** Takes `<dir>.lock` (holding our pid); a lock whose process is gone is stale and taken over. */
function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    const holder = lockHolder(lock);
    if (holder === 0 || (holder !== undefined && alive(holder))) return false;
    if (holder !== undefined) rmSync(lock, { force: true });
    return tryLock(lock);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The path of the real `docker-compose` binary, building it first when the cache has none (about 3 minutes and
 * 42 MB on 2 cores; the Go module and build caches make a rebuild quicker). Concurrent callers (test/run.ts and the
 * unit test it starts, two clones) share one build through a lock file; an interrupted build leaves nothing used.
 */
export async function ensureComposeCli(log: Log, env: Env): Promise<string> {
  const bin = composeCliPath(env);
  const dir = join(bin, "..");
  const complete = join(dir, ".complete");
  mkdirSync(join(dir, ".."), { recursive: true });
  const lock = `${dir}.lock`;
  while (!existsSync(complete)) {
    if (!tryLock(lock)) {
      await sleep(2000); // another process builds it
      continue;
    }
    try {
      if (existsSync(complete)) break;
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      log(`building Docker Compose ${COMPOSE_VERSION} from the Go module proxy into ${dir} (once, ~3 minutes)…`);
      try {
        await build(tmp, env, log);
        writeFileSync(join(tmp, ".complete"), new Date().toISOString());
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } finally {
      rmSync(lock, { force: true });
    }
  }
  return bin;
}

let started: Promise<string> | undefined;

/**
 * Starts (or joins) the build in a child process, so test/run.ts can go on with other work meanwhile, even blocking
 * work (spawnSync of the test runners): the build must not depend on this process's event loop, since the unit test
 * it starts waits on the builder's lock. Resolves to the binary's path; rejects when the build failed (logged by the
 * child on stderr).
 */
export function startComposeCliBuild(env: Env): Promise<string> {
  started ??= new Promise((resolve, reject) => {
    const opts = { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "ignore", "inherit"] as StdioOptions };
    const child = spawn(process.execPath, [import.meta.path], opts);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(composeCliPath(env)) : reject(new Error(`the Compose CLI build failed (${code})`)),
    );
  });
  // Handled here so that a run that never awaits it does not die of an unhandled rejection; awaiters still see it.
  started.catch(() => {});
  return started;
}

/** What one `docker-compose` call printed. */
export interface ComposeResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The settings of one `docker-compose` call: the variables a user's .env would hold, and the active profiles. */
export interface ComposeCall {
  readonly vars: Env;
  readonly profiles?: readonly string[];
  /** Where PATH and HOME come from; nothing else of it reaches Compose. */
  readonly env: Env;
}

/**
 * Runs `docker-compose -f <file> <args>` with exactly `vars` for interpolation: no other variable of the caller's
 * environment (a developer's exported KAFKA_PORT) and no .env of the work tree (`--env-file /dev/null`).
 */
export function runCompose(bin: string, file: string, args: readonly string[], call: ComposeCall): ComposeResult {
  const env: Record<string, string> = { PATH: call.env.PATH ?? "/usr/bin:/bin", HOME: call.env.HOME ?? homedir() };
  for (const [k, v] of Object.entries(call.vars)) if (v !== undefined) env[k] = v;
  if (call.profiles?.length) env.COMPOSE_PROFILES = call.profiles.join(",");
  const argv = ["--env-file", "/dev/null", "-f", file, ...args];
  const r = spawnSync(bin, argv, { cwd: dirname(file), env, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// `bun test/compose-cli.ts`: builds (or finds) the CLI and prints its path; what startComposeCliBuild runs.
if (import.meta.main) {
  ensureComposeCli((l) => console.error(`[compose-cli] ${l}`), process.env).then(
    (bin) => console.log(bin),
    (e: Error) => {
      console.error(`[compose-cli] ${e.message}`);
      process.exit(1);
    },
  );
}
