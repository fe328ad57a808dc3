import type { WatchdogFile } from "../stack/watch-state.ts";
import type { DlqReasons } from "./dlq-reasons.ts";
import { History, type HistoryPoint, observe } from "./history.ts";
import type { PipelineSnapshot } from "./snapshot.ts";

/** The running sampler: the charts' points, and a way to stop it. */
export interface HistorySampler {
  readonly everyMs: number;
  readonly windowMs: number;
  /** Points newer than `since`, oldest first. */
  points(since?: number): HistoryPoint[];
  stop(): void;
}

/**
 * Samples the pipeline every `everyMs` whether or not anyone watches, so the dashboard opens on the last 15 minutes.
 * It reads through `snapshot` (the service's shared snapshot cache), so open dashboards and Prometheus scrapes cost
 * the components nothing more. The next sample is scheduled after the previous one ends: a slow source never piles
 * samples up.
 */
export function startHistory(o: {
  snapshot: () => Promise<PipelineSnapshot>;
  watchdog?: () => WatchdogFile | undefined;
  /** The end-to-end latency a load tester publishes (e2e-publish.ts), when there is a fresh one. */
  e2e?: () => { at: number; p50: number | null; p99: number | null } | undefined;
  /** Dead letters by reason kind (dlq-reasons.ts), when a reader runs. */
  dlqReasons?: () => DlqReasons | undefined;
  everyMs: number;
  windowMs?: number;
}): HistorySampler {
  const history = new History(o.windowMs);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Each published window is charted once, at the first sample after it: a load tester that stopped leaves no line.
  let e2eAt = 0;
  const freshE2e = () => {
    const e = o.e2e?.();
    if (!e || e.at <= e2eAt) return undefined;
    e2eAt = e.at;
    return { p50: e.p50, p99: e.p99 };
  };
  const tick = async () => {
    try {
      const s = await o.snapshot();
      if (!stopped)
        history.add(observe(s, { watchdog: o.watchdog?.(), e2e: freshE2e(), dlqReasons: o.dlqReasons?.() }));
    } catch {
      // The snapshot reports unreachable sources itself; anything else skips one point (a gap on the chart).
    }
    if (!stopped) timer = setTimeout(tick, o.everyMs);
  };
  void tick();
  return {
    everyMs: o.everyMs,
    windowMs: history.windowMs,
    points: (since) => history.points(since),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
