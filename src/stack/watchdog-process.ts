// Starting, stopping and checking the watchdog process (watchdog.ts runs inside it, as `sluice watchdog`).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../config/env.ts";
import { logFile, type StackContext } from "./component.ts";
import { ownedProcess, readPidRecord, removePid, spawnDetached, stopPid, waitUntil, writePid } from "./process.ts";
import { readWatchState, watchStateFile } from "./watch-state.ts";

/** Name of the watchdog's pid file, log and status row. */
export const WATCHDOG = "watchdog";

/** The watchdog writes its state every second; older than this means it is stuck. */
const STALE_AFTER_MS = 10_000;

/**
 * The watchdog's environment: what `up` itself was given (every setting, as parsed, and the passwords it may need to
 * start a component again), the data dir made absolute, and the inheritable base. Nothing else of the shell.
 */
export function watchdogEnv(ctx: StackContext): Record<string, string> {
  const env: Record<string, string> = { ...ctx.baseEnv };
  for (const [k, v] of Object.entries(ctx.env) as [keyof Env, unknown][]) if (v !== undefined) env[k] = String(v);
  for (const [k, v] of Object.entries(ctx.childEnv)) if (v !== undefined) env[k] = v;
  env.SLUICE_DATA_DIR = ctx.paths.data;
  return env;
}

/** True when the watchdog runs and wrote its state lately. */
export function watchdogHealthy(ctx: StackContext, now = Date.now()): boolean {
  const owned = ownedProcess(ctx.paths.run, WATCHDOG);
  const state = readWatchState(ctx.paths.run);
  return !!owned && !!state && state.pid === owned.pid && now - state.updatedAt < STALE_AFTER_MS;
}

/** Starts the watchdog unless it runs; true when this call started it. */
export async function ensureWatchdog(ctx: StackContext): Promise<boolean> {
  if (ownedProcess(ctx.paths.run, WATCHDOG)) return false;
  if (readPidRecord(ctx.paths.run, WATCHDOG)) removePid(ctx.paths.run, WATCHDOG);
  rmSync(watchStateFile(ctx.paths.run), { force: true });
  const pid = spawnDetached({
    // --no-env-file: the settings come from watchdogEnv, not from whatever .env the project folder holds now.
    cmd: process.execPath,
    args: ["--no-env-file", join(ctx.paths.root, "src", "main.ts"), "watchdog"],
    cwd: ctx.paths.root,
    env: watchdogEnv(ctx),
    log: logFile(ctx, WATCHDOG),
  });
  const id = writePid(ctx.paths.run, WATCHDOG, pid);
  await waitUntil(WATCHDOG, async () => watchdogHealthy(ctx), {
    timeoutMs: 15_000,
    alive: () => ownedProcess(ctx.paths.run, WATCHDOG)?.pid === id.pid,
    log: logFile(ctx, WATCHDOG),
  });
  ctx.log(`${WATCHDOG}: watching the stack (pid ${pid})`);
  return true;
}

/** Stops the watchdog when it runs; true when it was running. */
export async function stopWatchdog(ctx: StackContext): Promise<boolean> {
  const owned = ownedProcess(ctx.paths.run, WATCHDOG);
  const how = owned ? await stopPid(owned, { graceMs: 10_000 }) : "absent";
  removePid(ctx.paths.run, WATCHDOG);
  rmSync(watchStateFile(ctx.paths.run), { force: true });
  if (how !== "absent") ctx.log(`${WATCHDOG}: ${how} (pid ${owned!.pid})`);
  return how !== "absent";
}
