// `down` signals only the processes the stack started: a pid file records the process's identity (boot, start time),
// and a pid whose process no longer matches (a reboot, a reused pid) or that has no identity (an older Sluice's bare
// pid) is never signalled. Real processes (`sleep`), real signals.
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StackContext } from "../../src/stack/component.ts";
import { createStackContext } from "../../src/stack/context.ts";
import {
  baseChildEnv,
  identify,
  isAlive,
  isSameProcess,
  ownedProcess,
  pidFile,
  readPid,
  readPidRecord,
  spawnDetached,
  stopPid,
  writePid,
} from "../../src/stack/process.ts";
import { down, status } from "../../src/stack/supervisor.ts";

const dirs: string[] = [];
const pids: number[] = [];
afterAll(() => {
  for (const p of pids) if (isAlive(p)) process.kill(p, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A stack context on a fresh data dir; `lines` collects what it logs. */
function stack(): { ctx: StackContext; lines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-pid-"));
  dirs.push(dir);
  // Port 1: nothing listens there, so a health check (status of a "running" stand-in) touches no real stack.
  const lines: string[] = [];
  const ctx = createStackContext(
    { SLUICE_DATA_DIR: dir, KAFKA_PORT: "1", CONNECT_PORT: "1" },
    { log: (l) => lines.push(l) },
  );
  mkdirSync(ctx.paths.run, { recursive: true });
  return { ctx, lines };
}

/** A harmless long-running child standing in for a stack process. */
function sleeper(cmd = "sleep"): number {
  const dir = dirs[0] ?? tmpdir();
  const pid = spawnDetached({
    cmd,
    args: ["300"],
    cwd: tmpdir(),
    env: baseChildEnv(process.env),
    log: join(dir, "sleep.log"),
  });
  pids.push(pid);
  return pid;
}

async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe("pid files with the process's identity", () => {
  test("written at start: pid, boot id, start time; read back and matched", () => {
    const { ctx } = stack();
    const pid = sleeper();
    const id = writePid(ctx.paths.run, "kafka", pid);
    expect(id.pid).toBe(pid);
    expect(id.startTime).toMatch(/^\d+$/);
    expect(id.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(readPidRecord(ctx.paths.run, "kafka")).toEqual({ kind: "identity", id });
    expect(readPid(ctx.paths.run, "kafka")).toBe(pid);
    expect(ownedProcess(ctx.paths.run, "kafka")).toEqual(id);
  });

  test("the start time is read after the command name, whatever the name holds", () => {
    const { ctx } = stack();
    const odd = join(ctx.paths.data, "a) b (c");
    copyFileSync("/bin/sleep", odd);
    const pid = sleeper(odd);
    const id = identify(pid)!;
    expect(id).toEqual(identify(pid)!);
    expect(id.startTime).toMatch(/^\d+$/);
    expect(isSameProcess(id)).toBe(true);
    expect(isSameProcess({ ...id, startTime: String(Number(id.startTime) + 1) })).toBe(false);
  });

  test("down never signals a pid whose start time or boot differs: file removed, process alive", async () => {
    for (const wrong of [{ startTime: "1" }, { bootId: "00000000-0000-0000-0000-000000000000" }]) {
      const { ctx, lines } = stack();
      const pid = sleeper();
      writeFileSync(pidFile(ctx.paths.run, "kafka"), JSON.stringify({ ...identify(pid)!, ...wrong }));
      expect(ownedProcess(ctx.paths.run, "kafka")).toBeUndefined();
      expect(await down(ctx)).toEqual([]);
      expect(await gone(pid, 500)).toBe(false);
      expect(existsSync(pidFile(ctx.paths.run, "kafka"))).toBe(false);
      const stale = `kafka: stale pid file (pid ${pid} is gone or now another process); removed, nothing signalled`;
      expect(lines).toEqual([stale]);
    }
  });

  test("a bare pid of an older version is not signalled either; the message says how to stop it by hand", async () => {
    const { ctx, lines } = stack();
    const pid = sleeper();
    writeFileSync(pidFile(ctx.paths.run, "connect"), `${pid}\n`);
    expect(readPidRecord(ctx.paths.run, "connect")).toEqual({ kind: "legacy", pid });
    expect((await status(ctx)).find((s) => s.name === "connect")).toMatchObject({ pid: null, running: false });
    expect(await down(ctx)).toEqual([]);
    expect(await gone(pid, 500)).toBe(false);
    expect(existsSync(pidFile(ctx.paths.run, "connect"))).toBe(false);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(`connect: pid file holds a bare pid (${pid})`);
    expect(lines[0]).toContain(`kill ${pid}`);
  });

  test("with the right identity, down stops the process and reports it", async () => {
    const { ctx, lines } = stack();
    const pid = sleeper();
    writePid(ctx.paths.run, "kafka", pid);
    expect((await status(ctx)).find((s) => s.name === "kafka")).toMatchObject({ pid, running: true });
    expect(await down(ctx)).toEqual(["kafka"]);
    expect(await gone(pid)).toBe(true);
    expect(lines).toEqual([`kafka: stopped (pid ${pid})`]);
    expect(existsSync(pidFile(ctx.paths.run, "kafka"))).toBe(false);
  });

  test("stopPid signals nothing once the process is gone", async () => {
    const pid = sleeper();
    const id = identify(pid)!;
    expect(await stopPid(id, { graceMs: 5000 })).toBe("stopped");
    expect(await stopPid(id)).toBe("absent");
  });
});

describe("the environment of the stack's processes", () => {
  test("only PATH, HOME, TMPDIR, locale, zone and the JVM's own variables are inherited", () => {
    const parent = {
      PATH: "/bin",
      HOME: "/home/u",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      LC_ALL: "C",
      TZ: "UTC",
      JAVA_HOME: "/jdk",
      JAVA_TOOL_OPTIONS: "-Xss1m",
      JDK_JAVA_OPTIONS: "-Xss1m",
      POSTGRES_PASSWORD: "pg-secret",
      SLUICE_API_KEYS: "k",
      AWS_SECRET_ACCESS_KEY: "a",
      SHELL: "/bin/sh",
      UNSET: undefined,
    };
    expect(baseChildEnv(parent)).toEqual({
      PATH: "/bin",
      HOME: "/home/u",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      LC_ALL: "C",
      TZ: "UTC",
      JAVA_HOME: "/jdk",
      JAVA_TOOL_OPTIONS: "-Xss1m",
      JDK_JAVA_OPTIONS: "-Xss1m",
    });
  });
});
