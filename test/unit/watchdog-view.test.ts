// What the admin service shows of the watchdog: restarts and states in /metrics, and in /ready which component is
// being restarted (or was given up on) and why.
import { describe, expect, test } from "bun:test";
import { serverMetrics } from "../../src/server/metrics.ts";
import { watchdogRestarting } from "../../src/server/ready.ts";
import type { PipelineSnapshot } from "../../src/server/snapshot.ts";
import type { WatchdogFile } from "../../src/stack/watch-state.ts";

const empty: PipelineSnapshot = {
  at: 0,
  topic: "t",
  offsets: null,
  lag: null,
  position: null,
  connector: null,
  dlq: null,
  table: "m",
  rowsWritten: null,
  errors: {},
};

const state: WatchdogFile = {
  pid: 1,
  updatedAt: 0,
  components: {
    postgres: { state: "running", restarts: 2, crashes: [] },
    connect: { state: "waiting", restarts: 1, crashes: [1, 2], detail: "exited; restarting in 2 s" },
    kafka: { state: "gave-up", restarts: 4, crashes: [1, 2, 3, 4, 5], detail: "crash loop" },
  },
};

describe("the watchdog in the admin service", () => {
  test("/metrics: restarts per component and a 0/1 series per watchdog state", async () => {
    const text = await serverMetrics(
      async () => empty,
      undefined,
      undefined,
      () => state,
    ).registry.metrics();
    expect(text).toContain('sluice_component_restarts_total{component="postgres"} 2');
    expect(text).toContain('sluice_component_restarts_total{component="kafka"} 4');
    expect(text).toContain('sluice_component_watch_state{component="connect",state="waiting"} 1');
    expect(text).toContain('sluice_component_watch_state{component="connect",state="running"} 0');
    expect(text).toContain('sluice_component_watch_state{component="kafka",state="gave-up"} 1');
  });

  test("/metrics without a watchdog (docker compose): the series exist with no samples", async () => {
    const text = await serverMetrics(
      async () => empty,
      undefined,
      undefined,
      () => undefined,
    ).registry.metrics();
    expect(text).toContain("# TYPE sluice_component_restarts_total counter");
    expect(text).not.toContain("sluice_component_restarts_total{");
  });

  test("/ready names what is being restarted and why; nothing when all run or no watchdog", () => {
    expect(watchdogRestarting(state)).toEqual({
      connect: "waiting: exited; restarting in 2 s",
      kafka: "gave-up: crash loop",
    });
    const allUp = { ...state, components: { postgres: state.components.postgres! } };
    expect(watchdogRestarting(allUp)).toBeUndefined();
    expect(watchdogRestarting(undefined)).toBeUndefined();
  });
});
