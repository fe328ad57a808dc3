// The admin service's maintenance schedule without a database: the pass is a stand-in that records when it runs.
// What runs against PostgreSQL (the lock, the maintainer role) is in test/e2e/maintenance.test.ts.
import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import type { PassResult } from "../../src/db/maintainer.ts";
import { parseEvery } from "../../src/db/span.ts";
import { type MaintenanceState, startMaintenance } from "../../src/server/maintenance.ts";
import { registerMaintenanceMetrics } from "../../src/server/maintenance-metrics.ts";

/** Resolves once `done()` holds; waiting on the event keeps these tests right on a loaded machine. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await Bun.sleep(5);
}

const ran = (watermark: Date): PassResult => ({
  ran: true,
  report: {
    created: [],
    dropped: [],
    partitions: 1,
    defaultRows: 0,
    defaultOldest: null,
    defaultNewest: null,
    rollup: { changedRows: 0, buckets1m: 0, buckets1h: 0, watermark },
  },
});

describe("METRICS_MAINTAIN_EVERY", () => {
  test("seconds, minutes, hours; 0 is off; anything else is refused", () => {
    const parsed = ["60s", "5m", "1h", "0"].map(parseEvery);
    expect(parsed).toEqual([60_000, 300_000, 3_600_000, 0]);
    for (const bad of ["", "60", "1d", "-5s", "0s5", "1.5m"]) expect(() => parseEvery(bad)).toThrow(/60s, 5m, 1h or 0/);
  });
});

describe("maintenance schedule", () => {
  test("runs at once, then every interval; stop ends it and no pass starts afterwards", async () => {
    const starts: number[] = [];
    const pass = async () => {
      starts.push(Date.now());
      return ran(new Date());
    };
    const s = startMaintenance({ everyMs: 40, pass, log: () => {}, firstDelayMs: 0 });
    await until(() => starts.length >= 3);
    await s.stop();
    const n = starts.length;
    for (let i = 1; i < n; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(35);
    await Bun.sleep(100);
    expect(starts.length).toBe(n);
    expect(s.state().runs).toEqual({ ok: n, skipped: 0, failed: 0 });
  });

  test("the first pass waits firstDelayMs (default: the interval, at most 10 s)", async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    const pass = async () => {
      starts.push(Date.now());
      return ran(new Date());
    };
    const s = startMaintenance({ everyMs: 60, pass, log: () => {} });
    await until(() => starts.length >= 1);
    await s.stop();
    expect(starts[0]! - t0).toBeGreaterThanOrEqual(55);
  });

  test("a pass longer than the interval is never overlapped; the next starts when it ends", async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const s = startMaintenance({
      everyMs: 10,
      pass: async () => {
        most = Math.max(most, ++running);
        await Bun.sleep(50);
        running--;
        passes++;
        return ran(new Date());
      },
      log: () => {},
      firstDelayMs: 0,
    });
    await until(() => passes >= 3);
    await s.stop();
    expect(most).toBe(1);
    // stop() waited for the pass in progress: nothing is running after it.
    expect(running).toBe(0);
    expect(s.state().last!.durationMs).toBeGreaterThanOrEqual(45);
  });

  test("a failure is logged and counted, the next tick retries; a lost lock counts as skipped", async () => {
    const results: (() => PassResult)[] = [
      () => {
        throw new Error("lock timeout");
      },
      () => ({ ran: false, watermark: new Date(1000) }),
      () => ran(new Date(5000)),
    ];
    const logs: string[] = [];
    let i = 0;
    const pass = async () => results[Math.min(i++, 2)]!();
    const s = startMaintenance({ everyMs: 15, pass, log: (l) => logs.push(l), firstDelayMs: 0 });
    while (i < 3) await Bun.sleep(5);
    await s.stop();
    const st = s.state();
    expect(st.runs.failed).toBe(1);
    expect(st.runs.skipped).toBe(1);
    expect(st.runs.ok).toBeGreaterThanOrEqual(1);
    expect(logs).toEqual(["maintenance pass failed, retrying in 0.015 s: lock timeout"]);
    expect(st.watermark).toEqual(new Date(5000));
    expect(st.last!.outcome).toBe("ok");
  });
});

describe("maintenance metrics", () => {
  test("last run, duration, outcome, runs by outcome, interval and rollup lag", async () => {
    const registry = new Registry();
    const state: MaintenanceState = {
      everyMs: 60_000,
      last: { at: 1_700_000_000_000, durationMs: 250, outcome: "skipped" },
      runs: { ok: 4, skipped: 2, failed: 1 },
      watermark: new Date(Date.now() - 90_000),
    };
    registerMaintenanceMetrics(registry, () => state);
    const text = await registry.metrics();
    expect(text).toContain('sluice_maintenance_interval_seconds{table="metrics"} 60\n');
    expect(text).toContain('sluice_maintenance_last_run_timestamp_seconds{table="metrics"} 1700000000\n');
    expect(text).toContain('sluice_maintenance_last_duration_seconds{table="metrics"} 0.25\n');
    expect(text).toContain('sluice_maintenance_last_outcome{table="metrics",outcome="skipped"} 1\n');
    expect(text).toContain('sluice_maintenance_last_outcome{table="metrics",outcome="ok"} 0\n');
    expect(text).toContain('sluice_maintenance_runs_total{table="metrics",outcome="failed"} 1\n');
    const lag = Number(/^sluice_rollup_lag_seconds\{table="metrics"\} (\S+)$/m.exec(text)![1]);
    expect(lag).toBeGreaterThanOrEqual(90);
    expect(lag).toBeLessThan(95);
  });

  test("with the schedule off the series exist but have no samples", async () => {
    const registry = new Registry();
    registerMaintenanceMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE sluice_rollup_lag_seconds gauge");
    expect(text).not.toMatch(/^sluice_(rollup|maintenance)_\w+\{/m);
  });
});
