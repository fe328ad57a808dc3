// The dashboard's history: rates from counter deltas over the real interval, lag per partition, markers for what
// changed, and a ring bounded by time and by count.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishE2e, readE2e } from "../../src/producer/e2e-publish.ts";
import { History, markersBetween, type Observation, observe, pointOf } from "../../src/server/history.ts";
import { startHistory } from "../../src/server/history-sampler.ts";
import type { PipelineSnapshot } from "../../src/server/snapshot.ts";

const obs = (at: number, o: Partial<Observation> = {}): Observation => ({
  at,
  produced: 0,
  rowsWritten: 0,
  dlqTotal: 0,
  lagByPartition: [],
  positionLag: null,
  connector: "RUNNING",
  tasks: { "0": "RUNNING" },
  restarts: null,
  down: [],
  e2e: null,
  dlqReasons: null,
  ...o,
});

describe("history points", () => {
  test("rates are deltas over the real time between samples; the first point has none", () => {
    const a = obs(10_000, { produced: 1000, rowsWritten: 500, dlqTotal: 2 });
    const b = obs(12_500, { produced: 6000, rowsWritten: 3000, dlqTotal: 7 });
    expect(pointOf(undefined, a)).toMatchObject({ produceRate: null, landedRate: null, dlqRate: null });
    expect(pointOf(a, b)).toMatchObject({ produceRate: 2000, landedRate: 1000, dlqRate: 2 });
  });

  test("a counter that is unknown or went back (topic re-created) gives no rate, not a negative one", () => {
    const a = obs(0, { produced: 1000, rowsWritten: null });
    const b = obs(1000, { produced: 10, rowsWritten: 5 });
    expect(pointOf(a, b)).toMatchObject({ produceRate: null, landedRate: null });
  });

  test("end-to-end latency: what the load tester published, or null", () => {
    expect(pointOf(undefined, obs(0, { e2e: { p50: 90, p99: 250 } }))).toMatchObject({ e2eP50: 90, e2eP99: 250 });
    expect(pointOf(undefined, obs(0))).toMatchObject({ e2eP50: null, e2eP99: null });
  });

  test("DLQ by reason: rates per kind between two looks of the reader, only where it looked again", () => {
    const a = obs(0, { dlqReasons: { at: 0, counts: { "not JSON": 2 } } });
    const b = obs(1000, { dlqReasons: { at: 0, counts: { "not JSON": 2 } } });
    const c = obs(10_000, { dlqReasons: { at: 10_000, counts: { "not JSON": 12, "contract: value.device_id": 5 } } });
    expect(pointOf(undefined, a).dlqByReason).toBeNull();
    expect(pointOf(a, b).dlqByReason).toBeNull();
    expect(pointOf(b, c).dlqByReason).toEqual({ "not JSON": 1, "contract: value.device_id": 0.5 });
  });

  test("lag: the total and each partition, as read (committed offsets)", () => {
    const lagByPartition = [
      { partition: 0, lag: 5 },
      { partition: 1, lag: 7 },
    ];
    expect(pointOf(undefined, obs(0, { lagByPartition }))).toMatchObject({ lag: 12, lagByPartition });
    expect(pointOf(undefined, obs(0, { lagByPartition: null })).lag).toBeNull();
  });

  test("markers: connector and task state changes, watchdog restarts, sources lost and back", () => {
    const a = obs(0, { restarts: { connect: 1, postgres: 0 } });
    const b = obs(1000, {
      connector: "PAUSED",
      tasks: { "0": "PAUSED", "1": "RUNNING" },
      restarts: { connect: 3, postgres: 0, kafka: 0 },
      down: ["postgres"],
    });
    expect(markersBetween(a, b)).toEqual([
      "connector RUNNING → PAUSED",
      "task 0 RUNNING → PAUSED",
      "task 1 none → RUNNING",
      "connect restarted by the watchdog (2×)",
      "postgres not answering",
    ]);
    expect(markersBetween(b, obs(2000, { ...b, at: 2000, down: [] }))).toEqual(["postgres answering again"]);
  });

  test("Connect away is a marker of its own, not every task vanishing", () => {
    const away = obs(1000, { connector: null, tasks: {}, down: ["connect"] });
    expect(markersBetween(obs(0), away)).toEqual(["connect not answering"]);
  });

  test("observe: from a snapshot and the watchdog's file", () => {
    const s: PipelineSnapshot = {
      at: 5,
      topic: "t",
      offsets: [
        { partition: 0, high: 10, low: 0 },
        { partition: 1, high: 5, low: 2 },
      ],
      lag: [{ partition: 0, lag: 1 }],
      position: [
        { partition: 0, lag: 0 },
        { partition: 1, lag: 2 },
      ],
      connector: {
        name: "c",
        status: {
          name: "c",
          type: "sink",
          connector: { state: "RUNNING", worker_id: "w" },
          tasks: [{ id: 0, state: "FAILED", worker_id: "w" }],
        },
      },
      dlq: { topic: "d", depth: 1, total: 3 },
      table: "m",
      rowsWritten: 9,
      errors: { postgres: "down", kafka: "slow" },
    };
    const w = { at: 0, components: { kafka: { state: "running", restarts: 2, crashes: [] } } };
    expect(observe(s, { watchdog: w as never })).toEqual({
      at: 5,
      produced: 15,
      rowsWritten: 9,
      dlqTotal: 3,
      lagByPartition: [{ partition: 0, lag: 1 }],
      positionLag: null,
      connector: "RUNNING",
      tasks: { "0": "FAILED" },
      // A failed task's consumer does not fetch: its position lag is unknown, not its last value.
      restarts: { kafka: 2 },
      down: ["kafka", "postgres"],
      e2e: null,
      dlqReasons: null,
    });
    expect(observe(s, { e2e: { p50: 80, p99: 200 } }).e2e).toEqual({ p50: 80, p99: 200 });
    expect(observe({ ...s, connector: { name: "c", status: null } }).connector).toBe("MISSING");
    const running = { ...s.connector!.status!, tasks: [{ id: 0, state: "RUNNING", worker_id: "w" }] };
    expect(observe({ ...s, connector: { name: "c", status: running } }).positionLag).toBe(2);
  });
});

describe("the history ring", () => {
  test("keeps the window, drops older points, and ignores a sample not newer than the last", () => {
    const h = new History(10_000);
    for (let at = 0; at <= 30_000; at += 1000) h.add(obs(at));
    expect(h.add(obs(30_000))).toBeUndefined();
    const at = h.points().map((p) => p.at);
    expect([at[0], at.at(-1), at.length]).toEqual([20_000, 30_000, 11]);
    expect(h.points(28_000).map((p) => p.at)).toEqual([29_000, 30_000]);
  });

  test("holds at most maxPoints whatever the sampling rate", () => {
    const h = new History(60_000, 50);
    for (let at = 1; at <= 1000; at++) h.add(obs(at));
    expect(h.points()).toHaveLength(50);
    expect(h.points()[0]!.at).toBe(951);
  });
});

describe("the history sampler", () => {
  test("samples on its own from the start, and stops", async () => {
    let n = 0;
    const snapshot = async () => ({
      at: ++n * 1000,
      topic: "t",
      offsets: [{ partition: 0, high: n * 10, low: 0 }],
      lag: [{ partition: 0, lag: 0 }],
      position: null,
      connector: null,
      dlq: null,
      table: "m",
      rowsWritten: n * 10,
      errors: { connect: "down" },
    });
    const h = startHistory({ snapshot, everyMs: 5 });
    await eventually(() => h.points().length >= 3);
    h.stop();
    const seen = h.points().length;
    await Bun.sleep(50);
    expect(h.points()).toHaveLength(seen);
    expect(h.points()[1]).toMatchObject({ produceRate: 10, landedRate: 10, down: ["connect"] });
  });
});

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
}

describe("end-to-end latency published by the load tester", () => {
  test("read back when fresh and for the topic asked; stale, other topic or no file: nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-e2e-"));
    try {
      expect(readE2e(join(dir, "run"), "t", 0)).toBeUndefined();
      publishE2e(join(dir, "run"), { at: 10_000, topic: "t", table: "m", seen: 4, p50: 80, p99: 190 });
      expect(readE2e(join(dir, "run"), "t", 12_000)).toMatchObject({ p50: 80, p99: 190, seen: 4 });
      expect(readE2e(join(dir, "run"), "other", 12_000)).toBeUndefined();
      expect(readE2e(join(dir, "run"), "t", 30_000)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the sampler and published latency", () => {
  test("each published window is charted once; an old one is not repeated", async () => {
    let n = 0;
    const snapshot = async () => ({
      at: ++n * 1000,
      topic: "t",
      offsets: null,
      lag: null,
      position: null,
      connector: null,
      dlq: null,
      table: "m",
      rowsWritten: null,
      errors: {},
    });
    const published = { at: 1, p50: 50, p99: 120 };
    const h = startHistory({ snapshot, e2e: () => published, everyMs: 2 });
    for (let i = 0; i < 200 && h.points().length < 4; i++) await Bun.sleep(2);
    h.stop();
    expect(h.points().filter((p) => p.e2eP50 !== null)).toHaveLength(1);
  });
});
