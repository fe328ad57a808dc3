// The watchdog loop against real processes (`sleep` standing in for stack components), real kill -9: it restarts a
// crashed component, leaves a held or stopped one alone, and gives up on a crash loop; its state file says so.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Component } from "../../src/stack/component.ts";
import { createStackContext } from "../../src/stack/context.ts";
import {
  baseChildEnv,
  isAlive,
  ownedProcess,
  readPid,
  removePid,
  spawnDetached,
  writePid,
} from "../../src/stack/process.ts";
import type { RestartPolicy } from "../../src/stack/restart-policy.ts";
import { holdComponent, readWatchState } from "../../src/stack/watch-state.ts";
import { runWatchdog } from "../../src/stack/watchdog.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-watchdog-"));
const ctx = createStackContext({ SLUICE_DATA_DIR: dir });
mkdirSync(ctx.paths.run, { recursive: true });
const started: number[] = [];
const abort = new AbortController();
afterAll(() => {
  abort.abort();
  for (const p of started) if (isAlive(p)) process.kill(p, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in component: `sleep 300`, or (broken) a process that exits at once. */
function fake(name: string, broken = false): Component {
  return {
    name,
    port: 1,
    version: "test",
    startTimeoutMs: 5000,
    prepare: async () => {},
    start() {
      const args = broken ? ["-c", "exit 3"] : ["-c", "exec sleep 300"];
      const pid = spawnDetached({ cmd: "sh", args, cwd: dir, env: baseChildEnv(process.env), log: join(dir, "x.log") });
      started.push(pid);
      return pid;
    },
    healthy: async () => true,
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** What `up` does for one component, short: start, record the identity (fails when it is gone already). */
async function start(c: Component): Promise<void> {
  const pid = c.start();
  if (c.name.startsWith("broken")) await until(`${c.name} exited`, () => !isAlive(pid), 2000);
  writePid(ctx.paths.run, c.name, pid);
}

const fast: RestartPolicy = {
  firstDelayMs: 50,
  maxDelayMs: 400,
  loopCrashes: 3,
  loopWindowMs: 60_000,
  stableAfterMs: 60_000,
};
const comps = [fake("alpha"), fake("beta"), fake("gamma"), fake("broken", true)];
const watch = (name: string) => readWatchState(ctx.paths.run)?.components[name];
const pidOf = (name: string) => readPid(ctx.paths.run, name);

describe("watchdog", async () => {
  for (const c of comps.slice(0, 3)) await start(c);
  const brokenOnce = comps[3]!;
  // Started fine once (a real sleep under the broken one's name), so its later restarts are what fails.
  writePid(ctx.paths.run, brokenOnce.name, fake("seed").start());
  void runWatchdog({ ctx, components: comps, start, signal: abort.signal, intervalMs: 50, policy: fast });
  await until("first state", () => watch("alpha")?.state === "running");

  test("kill -9 of a component: started again with a new pid, one restart counted", async () => {
    const before = pidOf("alpha")!;
    process.kill(before, "SIGKILL");
    await until("alpha restarted", () => pidOf("alpha") !== before && !!ownedProcess(ctx.paths.run, "alpha"));
    await until("state says running", () => watch("alpha")?.state === "running");
    expect(watch("alpha")?.restarts).toBe(1);
  });

  test("a deliberate stop announced with a hold is left alone until released", async () => {
    const release = holdComponent(ctx.paths.run, "beta");
    const before = pidOf("beta")!;
    process.kill(before, "SIGKILL");
    await until("held", () => watch("beta")?.state === "held");
    await Bun.sleep(500);
    expect(pidOf("beta")).toBe(before);
    expect(isAlive(before)).toBe(false);
    release();
    await until("beta restarted after release", () => !!ownedProcess(ctx.paths.run, "beta"));
    expect(watch("beta")?.restarts).toBe(1);
  });

  test("a component whose pid file is gone (sluice down) is not restarted", async () => {
    const before = pidOf("gamma")!;
    removePid(ctx.paths.run, "gamma");
    process.kill(before, "SIGKILL");
    await until("stopped", () => watch("gamma")?.state === "stopped");
    await Bun.sleep(500);
    expect(pidOf("gamma")).toBeUndefined();
    expect(watch("gamma")?.restarts).toBe(0);
  });

  test("a component that cannot start is a crash loop: given up after three crashes, saying why", async () => {
    process.kill(pidOf("broken")!, "SIGKILL");
    await until("gave up", () => watch("broken")?.state === "gave-up");
    const w = watch("broken")!;
    expect(w.detail).toContain("crash loop");
    expect(w.detail).toContain("restart failed");
    expect(w.crashes).toHaveLength(3);
    const count = started.length;
    await Bun.sleep(600);
    expect(started.length).toBe(count);
  });
});
