import { Counter, Gauge, type Registry } from "prom-client";
import { WATCH_STATES, type WatchdogFile } from "../stack/watch-state.ts";

/**
 * The local stack's watchdog as series, read from its state file at scrape time: restarts per component (an alert
 * on increase() catches a flapping component) and the watchdog's view of each as 0/1 per state. No samples when no
 * watchdog runs beside this service (docker compose restarts containers itself).
 */
export function registerWatchdogMetrics(registry: Registry, state?: () => WatchdogFile | undefined): void {
  const opts = { registers: [registry] };
  new Counter({
    name: "sluice_component_restarts_total",
    help: "Restarts of a crashed component of the local stack by its watchdog (since the watchdog started).",
    labelNames: ["component"] as const,
    ...opts,
    collect() {
      this.reset();
      for (const [component, c] of Object.entries(state?.()?.components ?? {})) this.inc({ component }, c.restarts);
    },
  });
  new Gauge({
    name: "sluice_component_watch_state",
    help: "The watchdog's view of a component: 1 for its current state (running, waiting, restarting, gave-up, held, stopped).",
    labelNames: ["component", "state"] as const,
    ...opts,
    collect() {
      this.reset();
      for (const [component, c] of Object.entries(state?.()?.components ?? {}))
        for (const s of WATCH_STATES) this.set({ component, state: s }, c.state === s ? 1 : 0);
    },
  });
}
