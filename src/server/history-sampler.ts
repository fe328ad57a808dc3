import type { WatchdogFile } from "../stack/watch-state.ts";
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
  everyMs: number;
  windowMs?: number;
}): HistorySampler {
  const history = new History(o.windowMs);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      const s = await o.snapshot();
      if (!stopped) history.add(observe(s, o.watchdog?.()));
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
