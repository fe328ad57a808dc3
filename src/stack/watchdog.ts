// The watchdog: one small process `sluice up` leaves running (pid file `watchdog`) that restarts a crashed component
// the way `restart: unless-stopped` would, with the backoff and crash-loop stop of restart-policy.ts. `sluice down`
// stops it first, so it never fights a stop; a deliberate kill announces itself with a hold file (watch-state.ts).
import { existsSync } from "node:fs";
import type { Component, StackContext } from "./component.ts";
import { ownedProcess, readPidRecord } from "./process.ts";
import type { RestartPolicy } from "./restart-policy.ts";
import {
  afterRestart,
  type ComponentWatch,
  FRESH,
  holdFile,
  type Observation,
  step,
  writeWatchState,
} from "./watch-state.ts";

/** What the watchdog loop needs; the start function is the stack's own (health-gated, as `up` starts). */
export interface WatchdogDeps {
  readonly ctx: StackContext;
  readonly components: readonly Component[];
  readonly start: (c: Component) => Promise<unknown>;
  readonly signal: AbortSignal;
  readonly intervalMs?: number;
  readonly policy?: RestartPolicy;
  readonly now?: () => number;
}

function observe(runDir: string, name: string): Observation {
  return {
    managed: readPidRecord(runDir, name) !== undefined,
    alive: ownedProcess(runDir, name) !== undefined,
    held: existsSync(holdFile(runDir, name)),
  };
}

/** Runs until `signal` aborts: looks at every component each interval, restarts the crashed ones, writes the state. */
export async function runWatchdog(d: WatchdogDeps): Promise<void> {
  const now = d.now ?? Date.now;
  const run = d.ctx.paths.run;
  const watch = new Map<string, ComponentWatch>(d.components.map((c) => [c.name, FRESH]));
  const save = () =>
    writeWatchState(run, { pid: process.pid, updatedAt: now(), components: Object.fromEntries(watch) });

  const restart = async (c: Component) => {
    d.ctx.log(`${c.name}: restarting (${watch.get(c.name)?.detail ?? "crashed"})`);
    let outcome: { ok: true } | { ok: false; error: string };
    try {
      await d.start(c);
      outcome = { ok: true };
    } catch (e) {
      outcome = { ok: false, error: (e as Error).message };
    }
    const next = afterRestart(watch.get(c.name)!, outcome, now(), d.policy);
    watch.set(c.name, next);
    d.ctx.log(`${c.name}: ${next.state === "running" ? `running again (restart ${next.restarts})` : next.detail}`);
    save();
  };

  while (!d.signal.aborted) {
    for (const c of d.components) {
      const prev = watch.get(c.name)!;
      const { next, restart: due } = step(prev, observe(run, c.name), now(), d.policy);
      if (next.state !== prev.state && next.state !== "restarting") {
        d.ctx.log(`${c.name}: ${next.state}${next.detail && next.state !== "running" ? ` (${next.detail})` : ""}`);
      }
      watch.set(c.name, next);
      // Not awaited: a slow start (Connect takes tens of seconds) must not keep the others unwatched.
      if (due) void restart(c);
    }
    save();
    await Bun.sleep(d.intervalMs ?? 1000);
  }
}
