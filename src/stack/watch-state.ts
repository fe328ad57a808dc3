// What the watchdog (watchdog.ts) knows about each component, kept in <run>/watchdog.json for `sluice status`, the
// admin service's /metrics and /ready; and the hold files by which a deliberate stop (the chaos suite) announces
// itself so the watchdog does not undo it.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { onCrash, type RestartPolicy } from "./restart-policy.ts";

/**
 * `running`: up; `waiting`: crashed, restart due at `nextAttemptAt`; `restarting`: being started; `gave-up`: a crash
 * loop, left stopped until `sluice up`; `held`: stopped on purpose by someone who announced it; `stopped`: not part of
 * the running stack (no pid file).
 */
export const WATCH_STATES = ["running", "waiting", "restarting", "gave-up", "held", "stopped"] as const;
export type WatchState = (typeof WATCH_STATES)[number];

const ComponentWatchSchema = z.object({
  state: z.enum(WATCH_STATES),
  restarts: z.number().int().min(0),
  crashes: z.array(z.number()),
  lastStartAt: z.number().optional(),
  nextAttemptAt: z.number().optional(),
  detail: z.string().optional(),
});
export type ComponentWatch = Readonly<z.infer<typeof ComponentWatchSchema>>;

const WatchdogFileSchema = z.object({
  pid: z.number().int(),
  updatedAt: z.number(),
  components: z.record(z.string(), ComponentWatchSchema),
});
export type WatchdogFile = Readonly<z.infer<typeof WatchdogFileSchema>>;

export const watchStateFile = (runDir: string) => join(runDir, "watchdog.json");
export const holdFile = (runDir: string, name: string) => join(runDir, `${name}.hold`);

/** The watchdog's last written state, or undefined when there is none (no watchdog, or an unreadable file). */
export function readWatchState(runDir: string): WatchdogFile | undefined {
  const f = watchStateFile(runDir);
  if (!existsSync(f)) return undefined;
  try {
    return WatchdogFileSchema.parse(JSON.parse(readFileSync(f, "utf8")));
  } catch {
    return undefined;
  }
}

/** Writes the state whole (rename, so a reader never sees half a file). */
export function writeWatchState(runDir: string, state: WatchdogFile): void {
  const f = watchStateFile(runDir);
  writeFileSync(`${f}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${f}.tmp`, f);
}

/**
 * Announces that `name` is about to be stopped on purpose: the watchdog leaves it alone until the returned function
 * is called (then a component that is still down counts as crashed).
 */
export function holdComponent(runDir: string, name: string): () => void {
  writeFileSync(holdFile(runDir, name), `${process.pid}\n`);
  return () => rmSync(holdFile(runDir, name), { force: true });
}

/** What the watchdog saw of one component in one look. */
export interface Observation {
  /** A pid file exists: the component is part of the running stack. */
  readonly managed: boolean;
  /** The pid file's process runs. */
  readonly alive: boolean;
  /** A deliberate stop is announced. */
  readonly held: boolean;
}

export const FRESH: ComponentWatch = { state: "stopped", restarts: 0, crashes: [] };

/**
 * One step of the watchdog for one component: the next state and whether to start it now. Pure; the restart itself
 * and its outcome ({@link afterRestart}) are the executor's.
 */
export function step(
  prev: ComponentWatch,
  seen: Observation,
  now: number,
  policy?: RestartPolicy,
): { next: ComponentWatch; restart: boolean } {
  const keep = (next: ComponentWatch) => ({ next, restart: false });
  if (prev.state === "restarting") return keep(prev);
  if (seen.alive) {
    if (prev.state === "running") return keep(prev);
    // Up again (after a hold, or someone ran `sluice up` after a give-up): a fresh start as far as backoff goes.
    const crashes = prev.state === "gave-up" ? [] : prev.crashes;
    return keep({ state: "running", restarts: prev.restarts, crashes, lastStartAt: now });
  }
  if (!seen.managed) return keep({ ...FRESH, restarts: prev.restarts });
  if (seen.held) return keep({ ...prev, state: "held", nextAttemptAt: undefined });
  if (prev.state === "gave-up") return keep(prev);
  if (prev.state === "waiting") {
    if (now < (prev.nextAttemptAt ?? 0)) return keep(prev);
    return { next: { ...prev, state: "restarting", nextAttemptAt: undefined }, restart: true };
  }
  return keep(crashed(prev, now, "exited", policy));
}

/** The state after a crash (or a failed restart) at `now`: waiting with a backoff, or given up. */
function crashed(prev: ComponentWatch, now: number, what: string, policy?: RestartPolicy): ComponentWatch {
  const d = onCrash(prev.crashes, prev.lastStartAt, now, policy);
  if (d.kind === "give-up")
    return { ...prev, state: "gave-up", crashes: [...d.crashes], detail: `${what}; ${d.reason}` };
  const detail = `${what}; restarting in ${Math.round(d.delayMs / 100) / 10} s`;
  return { ...prev, state: "waiting", crashes: [...d.crashes], nextAttemptAt: now + d.delayMs, detail };
}

/** The state once a restart finished: running, or (its start failed) another crash. */
export function afterRestart(
  prev: ComponentWatch,
  outcome: { ok: true } | { ok: false; error: string },
  now: number,
  policy?: RestartPolicy,
): ComponentWatch {
  if (outcome.ok) return { state: "running", restarts: prev.restarts + 1, crashes: prev.crashes, lastStartAt: now };
  return crashed({ ...prev, restarts: prev.restarts + 1 }, now, `restart failed: ${outcome.error}`, policy);
}
