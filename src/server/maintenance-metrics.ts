import { Counter, Gauge, type Registry } from "prom-client";
import { MAINTAIN_OUTCOMES, type MaintenanceState } from "./maintenance.ts";

/** The table the schedule maintains: a label on every series (also so an off schedule exports no sample). */
const TABLE = { table: "metrics" } as const;

/**
 * The maintenance schedule's series, read from `state` at scrape time. Registered even when the schedule is off
 * (then they have no samples), so the alert rules and dashboards always refer to series the server knows.
 */
export function registerMaintenanceMetrics(registry: Registry, state?: () => MaintenanceState): void {
  const opts = { registers: [registry] };
  const gauge = (name: string, help: string, value: (s: MaintenanceState) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ["table"] as const,
      ...opts,
      collect() {
        this.reset();
        const s = state?.();
        const v = s ? value(s) : null;
        if (v !== null) this.set(TABLE, v);
      },
    });
  gauge(
    "sluice_maintenance_interval_seconds",
    "Interval of the admin service's maintenance schedule.",
    (s) => s.everyMs / 1000,
  );
  gauge(
    "sluice_maintenance_last_run_timestamp_seconds",
    "Start of the last maintenance pass that ended (Unix time).",
    (s) => (s.last ? s.last.at / 1000 : null),
  );
  gauge("sluice_maintenance_last_duration_seconds", "How long the last maintenance pass took.", (s) =>
    s.last ? s.last.durationMs / 1000 : null,
  );
  gauge(
    "sluice_rollup_lag_seconds",
    "Now minus the rollup watermark (every change older than the watermark is in the rollups).",
    (s) => (s.watermark ? Math.max(0, (Date.now() - s.watermark.getTime()) / 1000) : null),
  );
  new Gauge({
    name: "sluice_maintenance_last_outcome",
    help: "1 for the outcome of the last maintenance pass (ok, skipped: another service held the lock, failed).",
    labelNames: ["table", "outcome"] as const,
    ...opts,
    collect() {
      this.reset();
      const last = state?.().last;
      if (last) for (const o of MAINTAIN_OUTCOMES) this.set({ ...TABLE, outcome: o }, o === last.outcome ? 1 : 0);
    },
  });
  new Counter({
    name: "sluice_maintenance_runs_total",
    help: "Maintenance passes by outcome (skipped: another admin service held the advisory lock).",
    labelNames: ["table", "outcome"] as const,
    ...opts,
    collect() {
      this.reset();
      const s = state?.();
      if (s) for (const o of MAINTAIN_OUTCOMES) this.inc({ ...TABLE, outcome: o }, s.runs[o]);
    },
  });
}
