// Test tooling beyond npm, fetched without apt and without root, so `npm install && npm test` passes for anyone:
// - Chromium: the headless shell shipped inside npm's @sparticuz/chromium, unpacked once into the tools cache;
// - promtool: built with `go build` from the Go module proxy into the tools cache (minutes; test/run.ts starts it in
//   the background);
// - schemathesis: from PyPI into a venv under the data dir.
// The tools cache, `${XDG_CACHE_HOME:-$HOME/.cache}/sluice/tools/`, is per user and shared by every clone.
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import sparticuz from "@sparticuz/chromium";

/** The Chromium build inside @sparticuz/chromium (package.json pins the same version). */
export const CHROMIUM_VERSION = "143.0.4";
/** promtool's Go module version (= Prometheus 3.16), served by the Go module proxy. */
export const PROMTOOL_VERSION = "v0.316.0";
/** How long a first promtool build may take on a slow 2-core machine (a test hook's timeout). */
export const PROMTOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
/** schemathesis from PyPI, pinned. */
export const SCHEMATHESIS_VERSION = "4.32.5";

type Env = Readonly<Record<string, string | undefined>>;

/** Per-user cache of built or unpacked test tools, shared by every clone on the machine. */
export function toolsCacheDir(env: Env = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "sluice", "tools");
}

/** Where the cached promtool binary lives (it may not be built yet: see ensurePromtool). */
export const promtoolBin = (env: Env = process.env) =>
  join(toolsCacheDir(env), `promtool-${PROMTOOL_VERSION}`, "promtool");

/** The venv holding schemathesis, under the (git-ignored) data dir. */
export const schemathesisBin = (dataDir: string) => join(dataDir, "venv-schemathesis", "bin", "schemathesis");

/** `go` from PATH, else the official tarball's place (not on a normal user's PATH by default). */
export function findGo(): string | undefined {
  if (spawnSync("go", ["version"]).status === 0) return "go";
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined;
}

// The child writes to a file, not a pipe: the test runner blocks its event loop in spawnSync for minutes, and a
// child writing into a full pipe would stall.
function run(cmd: string, args: string[], env: Env, logFile: string, log: (l: string) => void): Promise<void> {
  log(`$ ${cmd} ${args.join(" ")}`);
  const out = openSync(logFile, "w");
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", out, out], env: { ...process.env, ...env } });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) return resolve();
      reject(new Error(`${cmd} exited ${code}: ${readFileSync(logFile, "utf8").slice(-4000).trim()}`));
    });
  }).finally(() => closeSync(out));
}

/**
 * Builds promtool into the tools cache unless it is there; resolves to its path. Asynchronous (a child process) so
 * the build overlaps other tests. `remove_all_sd` leaves out the cloud service discoveries (static, file and http
 * stay): half the size and build time, and `check config`, `check rules` and `test rules` work the same for our
 * files. Two clones building at once both succeed: each builds into its own folder and renames the binary in place.
 */
export function ensurePromtool(log: (l: string) => void, env: Env = process.env): Promise<string> {
  const bin = promtoolBin(env);
  // One build per process, whoever asks (the build folder is named after the pid).
  let build = builds.get(bin);
  if (!build) {
    build = existsSync(bin) ? Promise.resolve(bin) : buildPromtool(bin, log);
    builds.set(bin, build);
    build.catch(() => builds.delete(bin));
  }
  return build;
}

const builds = new Map<string, Promise<string>>();

async function buildPromtool(bin: string, log: (l: string) => void): Promise<string> {
  const go = findGo();
  if (!go) throw new Error("promtool needs Go (https://go.dev/dl) on PATH or in /usr/local/go to build it once");
  const tmp = `${dirname(bin)}.build-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const pkg = `github.com/prometheus/prometheus/cmd/promtool@${PROMTOOL_VERSION}`;
    const flags = ["install", "-tags", "remove_all_sd", "-trimpath", "-ldflags=-s -w", pkg];
    // GOTOOLCHAIN=local: build with the Go that is here rather than fetch another; GOFLAGS cleared so a user's
    // -mod=vendor or similar cannot break a build outside any module.
    const goEnv = { GOBIN: tmp, GOTOOLCHAIN: "local", GOFLAGS: "", CGO_ENABLED: "0" };
    await run(go, flags, goEnv, join(tmp, "build.log"), log);
    mkdirSync(dirname(bin), { recursive: true });
    renameSync(join(tmp, "promtool"), bin);
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function unbrotli(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    await pipeline(createReadStream(src), createBrotliDecompress(), createWriteStream(tmp, { mode: 0o755 }));
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The package's own folder above `file` (its entry point sits at different depths by version). */
function packageRoot(file: string, name = "@sparticuz/chromium"): string {
  const own = (dir: string) => {
    const pkg = join(dir, "package.json");
    return existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === name;
  };
  let dir = dirname(file);
  while (!own(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** What playwright-core's `chromium.launch` needs to run the cached Chromium. */
export interface LaunchOptions {
  readonly executablePath: string;
  readonly args: string[];
}

/**
 * Launch options for playwright-core's chromium: the headless shell of @sparticuz/chromium, unpacked once into the
 * tools cache (the package itself unpacks to a shared /tmp/chromium, which another user's copy makes unusable).
 * The SwiftShader libraries go beside it: the shell renders through them even with WebGL off.
 */
export async function chromiumLaunchOptions(env: Env = process.env): Promise<LaunchOptions> {
  const exe = join(toolsCacheDir(env), `chromium-${CHROMIUM_VERSION}`, "chromium");
  if (!existsSync(exe)) {
    mkdirSync(dirname(exe), { recursive: true });
    const pkgBin = join(packageRoot(fileURLToPath(import.meta.resolve("@sparticuz/chromium"))), "bin");
    const tar = `${exe}.swiftshader-${process.pid}.tar`;
    await unbrotli(join(pkgBin, "swiftshader.tar.br"), tar);
    const r = spawnSync("tar", ["-xf", tar, "-C", dirname(exe)], { encoding: "utf8" });
    rmSync(tar, { force: true });
    if (r.status !== 0) throw new Error(`could not unpack Chromium's SwiftShader libraries: ${r.stderr || r.error}`);
    // The executable last: its presence marks a complete unpack.
    await unbrotli(join(pkgBin, "chromium.br"), exe);
  }
  sparticuz.setGraphicsMode = false;
  return { executablePath: exe, args: sparticuz.args };
}

function sh(log: (l: string) => void, cmd: string, args: string[]): boolean {
  log(`$ ${cmd} ${args.join(" ")}`);
  return spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] }).status === 0;
}

/** Installs schemathesis from PyPI into a venv under `dataDir` unless it is there; false when that failed. */
export function ensureSchemathesis(dataDir: string, log: (l: string) => void): boolean {
  const bin = schemathesisBin(dataDir);
  if (existsSync(bin)) return true;
  const venv = join(dataDir, "venv-schemathesis");
  const pip = join(venv, "bin", "pip");
  const ok =
    sh(log, "python3", ["-m", "venv", "--clear", venv]) &&
    sh(log, pip, ["install", "-q", "--disable-pip-version-check", `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (!ok) log("could not install schemathesis from PyPI into a venv (needs python3 with its venv module)");
  return ok && existsSync(bin);
}
