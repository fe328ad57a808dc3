import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    if (child.pid === undefined) throw new SluiceError("SPAWN", `could not start ${opts.cmd}: is it installed and on PATH?`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); /proc tells it apart.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export const pidFile = (runDir: string, name: string) => join(runDir, `${name}.pid`);

export function readPid(runDir: string, name: string): number | undefined {
  const f = pidFile(runDir, name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(runDir: string, name: string, pid: number): void {
  writeFileSync(pidFile(runDir, name), `${pid}\n`);
}

export function removePid(runDir: string, name: string): void {
  rmSync(pidFile(runDir, name), { force: true });
}

/** The given signal (SIGTERM by default), then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(
  pid: number,
  opts: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<"stopped" | "killed" | "absent"> {
  const graceMs = opts.graceMs ?? 30_000;
  if (!isAlive(pid)) return "absent";
  try {
    process.kill(pid, opts.signal ?? "SIGTERM");
  } catch {
    return "absent";
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return "stopped";
    await Bun.sleep(100);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  while (isAlive(pid)) await Bun.sleep(50);
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
      throw new SluiceError("START_FAILED", `${what} exited during start-up; see ${opts.log ?? "its log"} (sluice logs)`);
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
    true,
  );
}
