import type { PassResult } from "../db/maintainer.ts";

/** How a scheduled pass ended: it ran, another service held the lock, or it failed (retried next tick). */
export const MAINTAIN_OUTCOMES = ["ok", "skipped", "failed"] as const;
export type MaintainOutcome = (typeof MAINTAIN_OUTCOMES)[number];

/** What the schedule knows, read by /metrics at scrape time. */
export interface MaintenanceState {
  /** Interval of the schedule. */
  readonly everyMs: number;
  /** The last pass that ended: its start (epoch ms), duration and outcome. */
  readonly last: { readonly at: number; readonly durationMs: number; readonly outcome: MaintainOutcome } | null;
  readonly runs: Readonly<Record<MaintainOutcome, number>>;
  /** The rollup watermark last seen (from our pass, or read after a skipped one); null before any. */
  readonly watermark: Date | null;
}

export interface MaintenanceSchedule {
  readonly state: () => MaintenanceState;
  /** Stops the schedule: no pass starts after it; resolves when a pass in progress has ended. */
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  readonly everyMs: number;
  /** One pass (under the advisory lock: src/db/maintainer.ts). */
  readonly pass: () => Promise<PassResult>;
  /** Where failures are logged (the message only, scrubbed of secrets by the caller's logger). */
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /**
   * Wait before the first pass. Default min(everyMs, 10 s): `sluice up` starts the admin service before setup has
   * run the migrations and given the maintainer its password, and a first pass then would only fail.
   */
  readonly firstDelayMs?: number;
}

/**
 * Runs `pass` after `firstDelayMs` and then every `everyMs`, measured from the start of each pass. A pass never
 * overlaps the previous one: when one takes longer than the interval, the next starts when it ends. A failure is counted and
 * logged, and the next tick tries again.
 */
export function startMaintenance(opts: ScheduleOptions): MaintenanceSchedule {
  const now = opts.now ?? Date.now;
  const runs: Record<MaintainOutcome, number> = { ok: 0, skipped: 0, failed: 0 };
  let last: MaintenanceState["last"] = null;
  let watermark: Date | null = null;
  const stopper = new AbortController();

  const once = async () => {
    const at = now();
    let outcome: MaintainOutcome;
    try {
      const r = await opts.pass();
      outcome = r.ran ? "ok" : "skipped";
      const wm = r.ran ? (r.report.rollup?.watermark ?? null) : r.watermark;
      if (wm) watermark = wm;
    } catch (e) {
      outcome = "failed";
      opts.log(`maintenance pass failed, retrying in ${opts.everyMs / 1000} s: ${(e as Error).message}`);
    }
    runs[outcome]++;
    last = { at, durationMs: now() - at, outcome };
    return at;
  };

  const loop = (async () => {
    await waitFor(opts.firstDelayMs ?? Math.min(opts.everyMs, 10_000), stopper.signal);
    while (!stopper.signal.aborted) {
      const started = await once();
      const wait = Math.max(0, started + opts.everyMs - now());
      await waitFor(wait, stopper.signal);
    }
  })();

  return {
    state: () => ({ everyMs: opts.everyMs, last, runs: { ...runs }, watermark }),
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
