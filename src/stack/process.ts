import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { SluiceError } from "../errors.ts";

/** Starts a long-running process detached from this one, its output appended to `log`; returns its pid. */
export function spawnDetached(opts: {
  cmd: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  log: string;
}): number {
  const fd = openSync(opts.log, "a");
  try {
    const child = spawn(opts.cmd, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    if (child.pid === undefined)
      throw new SluiceError("SPAWN", `could not start ${opts.cmd}: is it installed and on PATH?`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Variables of the parent's environment a child of the stack may inherit: what finds and runs the program (PATH,
 * HOME, TMPDIR), locale and zone, and the JVM's own settings. Everything else (the user's shell, tokens, the
 * passwords Bun loads from `.env`) stays out, so a connector config, a plugin or a crash dump cannot read it.
 */
const CHILD_ENV_KEYS: ReadonlySet<string> = new Set([
  "PATH",
  "HOME",
  "TMPDIR",
  "LANG",
  "TZ",
  "JAVA_HOME",
  "JAVA_TOOL_OPTIONS",
  "JDK_JAVA_OPTIONS",
]);

/** True when a child of the stack may inherit the variable `key` (see {@link baseChildEnv}). */
export function childEnvAllowed(key: string): boolean {
  return CHILD_ENV_KEYS.has(key) || /^LC_[A-Z]+$/.test(key);
}

/**
 * The environment every child process of the stack starts from: only the allowed variables of `parent` (the entry
 * point's environment, kept as `ctx.baseEnv`). Components add their own variables on top, never the whole parent.
 */
export function baseChildEnv(parent: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && childEnvAllowed(k)) env[k] = v;
  return env;
}

/**
 * Who a pid file's process is: on Linux a pid is unique only together with the process's start time (field 22 of
 * /proc/<pid>/stat, clock ticks since boot) and the boot it belongs to. `exe` is recorded for messages only: a process
 * may exec another program (setpriv → postgres) and stay the same process.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly bootId: string;
  readonly startTime: string;
  readonly exe?: string;
}

const BOOT_ID = "/proc/sys/kernel/random/boot_id";

/** State (field 3) and start time (field 22) of /proc/<pid>/stat; undefined when there is no such process. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, startTime] = [fields[0], fields[19]];
  return state && startTime ? { state, startTime } : undefined;
}

function readOr(path: string, read: (p: string) => string): string | undefined {
  try {
    return read(path).trim();
  } catch {
    return undefined;
  }
}

/** The identity of a running process, or undefined when it does not exist (or is a zombie). */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = procStat(pid);
  const bootId = readOr(BOOT_ID, (p) => readFileSync(p, "utf8"));
  if (!stat || stat.state === "Z" || !bootId) return undefined;
  const exe = readOr(`/proc/${pid}/exe`, readlinkSync);
  return { pid, bootId, startTime: stat.startTime, ...(exe ? { exe } : {}) };
}

/** True when the process `id` describes still runs: same pid, same boot, same start time, not a zombie. */
export function isSameProcess(id: ProcessIdentity): boolean {
  const now = identify(id.pid);
  return !!now && now.bootId === id.bootId && now.startTime === id.startTime;
}

/** True when a process with this pid exists and is not a zombie (whoever it is: see {@link isSameProcess}). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = procStat(pid);
  return !!stat && stat.state !== "Z";
}

export const pidFile = (runDir: string, name: string) => join(runDir, `${name}.pid`);

/**
 * What a pid file says: `identity` (written by this version: pid, boot, start time), `legacy` (a bare pid from an
 * older version, which cannot tell whether the pid still belongs to our process), or undefined (no or unreadable file).
 */
export type PidRecord =
  | { readonly kind: "identity"; readonly id: ProcessIdentity }
  | { readonly kind: "legacy"; readonly pid: number };

const positivePid = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

export function readPidRecord(runDir: string, name: string): PidRecord | undefined {
  const f = pidFile(runDir, name);
  if (!existsSync(f)) return undefined;
  const text = readFileSync(f, "utf8").trim();
  if (/^\d+$/.test(text)) return positivePid(Number(text)) ? { kind: "legacy", pid: Number(text) } : undefined;
  try {
    const v = JSON.parse(text) as Partial<ProcessIdentity>;
    if (positivePid(v.pid) && typeof v.bootId === "string" && typeof v.startTime === "string") {
      const exe = typeof v.exe === "string" ? { exe: v.exe } : {};
      return { kind: "identity", id: { pid: v.pid, bootId: v.bootId, startTime: v.startTime, ...exe } };
    }
  } catch {}
  return undefined;
}

/** The pid a pid file names (either format), whoever runs under it now; for display and tests. */
export function readPid(runDir: string, name: string): number | undefined {
  const r = readPidRecord(runDir, name);
  return r?.kind === "identity" ? r.id.pid : r?.pid;
}

/**
 * The identity recorded for `name` when its process still runs; otherwise undefined (no file, a legacy bare pid, or
 * a pid now used by another process after a restart or reboot). Only a pid returned here may be signalled.
 */
export function ownedProcess(runDir: string, name: string): ProcessIdentity | undefined {
  const r = readPidRecord(runDir, name);
  return r?.kind === "identity" && isSameProcess(r.id) ? r.id : undefined;
}

/** Records the identity of the process just started under `pid`; fails when it is already gone. */
export function writePid(runDir: string, name: string, pid: number): ProcessIdentity {
  const id = identify(pid);
  if (!id) {
    throw new SluiceError("START_FAILED", `${name} (pid ${pid}) exited as it started; see its log (sluice logs).`);
  }
  writeFileSync(pidFile(runDir, name), `${JSON.stringify(id)}\n`);
  return id;
}

export function removePid(runDir: string, name: string): void {
  rmSync(pidFile(runDir, name), { force: true });
}

/**
 * The given signal (SIGTERM by default), then SIGKILL after `graceMs`; resolves once the process is gone. Signals
 * only while the process still matches `id`, so a pid reused by another process meanwhile is never touched.
 */
export async function stopPid(
  id: ProcessIdentity,
  opts: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<"stopped" | "killed" | "absent"> {
  const graceMs = opts.graceMs ?? 30_000;
  if (!isSameProcess(id)) return "absent";
  try {
    process.kill(id.pid, opts.signal ?? "SIGTERM");
  } catch {
    return "absent";
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isSameProcess(id)) return "stopped";
    await Bun.sleep(100);
  }
  if (!isSameProcess(id)) return "stopped";
  try {
    process.kill(id.pid, "SIGKILL");
  } catch {}
  while (isSameProcess(id)) await Bun.sleep(50);
  return "killed";
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/**
 * The last `lines` lines of a log (read from its last 8 KB), or "" when it cannot be read: why a component exited is
 * usually there (a port in use, a bad setting), and a CI log keeps the error after the data dir is gone.
 */
export function logTail(path: string, lines = 12): string {
  try {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 8192));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString("utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/**
 * Polls `check` until it returns true; fails with the component's name, the last error and where its log is, so
 * a start that never becomes healthy is an error, never a hang.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; alive?: () => boolean; log?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (opts.alive && !opts.alive()) {
      const tail = opts.log ? logTail(opts.log) : "";
      throw new SluiceError(
        "START_FAILED",
        `${what} exited during start-up; see ${opts.log ?? "its log"} (sluice logs)${tail ? `; its last lines:\n${tail}` : ""}`,
      );
    }
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(opts.intervalMs ?? 250);
  }
  const why = last instanceof Error ? ` (last error: ${last.message})` : "";
  throw new SluiceError(
    "START_TIMEOUT",
    `${what} did not become healthy within ${Math.round(opts.timeoutMs / 1000)} s${why}; see ${opts.log ?? "its log"}`,
  );
}
