// The live dashboard in a real browser (npm's @sparticuz/chromium headless shell through playwright-core): while a
// producer writes to a sandbox topic, the page's numbers and charts move without a reload; pausing the connector
// shows as a stall (landed rate 0, lag growing, a marker). Screenshots are kept as artifacts in
// <data dir>/test-reports/dashboard*.png. A hostile answer from Connect (markup in a task state) is shown as text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { VALUE_SUBJECT, valueJsonSchema } from "../../src/contract/index.ts";
import { readE2e } from "../../src/producer/e2e-publish.ts";
import { encodeKey } from "../../src/producer/encode.ts";
import { createDevicePartitioner } from "../../src/producer/partitioner.ts";
import { produce } from "../../src/producer/send.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { registerContract } from "../../src/registry/register.ts";
import { createApp } from "../../src/server/app.ts";
import { type DlqReasonReader, startDlqReasons } from "../../src/server/dlq-reasons.ts";
import { type HistorySampler, startHistory } from "../../src/server/history-sampler.ts";
import { serverDeps } from "../../src/server/runtime.ts";
import { sinkGroup, snapshotCache } from "../../src/server/snapshot.ts";
import { taskPositionReader } from "../../src/server/task-position.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { chromiumLaunchOptions } from "../tools.ts";
import { brokers, client, connect, ctx, eventually, registry, type Sandbox, sandbox } from "./harness.ts";

let box: Sandbox;
let real: ReturnType<typeof serverDeps>;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let page: Page;
let history: HistorySampler;
let reasons: DlqReasonReader;
const reports = join(ctx.paths.data, "test-reports");

beforeAll(async () => {
  box = await sandbox("dash");
  await box.applySink();
  real = serverDeps({
    brokers,
    connectUrl: connectUrl(ctx),
    registryUrl: registry,
    postgresUrl: roleUrl(ctx, "monitor"),
    apiKeys: [{ key: "dashboard-test-key", scopes: ["admin"], legacy: false }],
    topic: box.topic,
    dlqTopic: box.dlq,
    connector: box.connector,
    table: box.table,
  });
  // As `sluice serve` does: one snapshot cache for the sampler and the app, sampled every second from the start.
  // The task's real position from the stack's worker (its JMX exporter), read every second here.
  const jmx = `http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_JMX_PORT}/metrics`;
  const positionLag = taskPositionReader([jmx], box.connector, box.topic, 1000);
  const snapshot = snapshotCache({ ...real.deps, positionLag });
  const e2e = () => readE2e(ctx.paths.run, box.topic, Date.now());
  // The DLQ is looked at every 2 s here (10 s in the service), so the test waits less.
  reasons = startDlqReasons({ kafka: real.deps.kafka, topic: box.dlq, everyMs: 2000 });
  history = startHistory({ snapshot, e2e, dlqReasons: reasons.current, everyMs: 1000 });
  const app = createApp({ ...real.deps, snapshot, history, positionLag });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, idleTimeout: 60 });
  mkdirSync(reports, { recursive: true });
  browser = await chromium.launch(await chromiumLaunchOptions());
  // A locale of its own: the headless shell would take "en-US@posix" from a POSIX environment, which Intl (and uPlot) refuse.
  page = await browser.newPage({ viewport: { width: 1100, height: 640 }, locale: "en-US" });
});

afterAll(async () => {
  history?.stop();
  reasons?.stop();
  await browser?.close();
  await server?.stop(true);
  await real?.close();
  await box?.dispose({ topics: true });
  // Best effort: the sink's group may keep its member a few seconds after the connector is deleted.
  const admin = client.admin();
  await admin.connect();
  await admin.deleteGroups([sinkGroup(box.connector)]).catch(() => {});
  await admin.disconnect();
});

/** Page-side helper: the number an element shows ("–" reads as NaN, which is never > 0). */
const N = `const n = (id) => Number((document.getElementById(id)?.textContent ?? "").replaceAll(",", ""));`;
const num = async (id: string) => Number(((await page.textContent(`#${id}`)) ?? "").replaceAll(",", ""));

describe("live dashboard", () => {
  test("produce and landed numbers move while a producer runs; connector and tasks show RUNNING", async () => {
    await page.goto(`http://127.0.0.1:${server.port}/`);
    // Page-side predicates are strings: they run in the browser, where this file's types (no DOM lib) do not apply.
    await page.waitForFunction("Number(document.body.dataset.updates || 0) >= 1", undefined, { timeout: 15_000 });
    expect(await num("produced")).toBe(0);
    expect(await page.textContent("#connector-state")).toBe("RUNNING");

    // A paced producer: 2,000 metrics every 250 ms until the page has shown both rates moving (at most 15 s).
    const schemaId = await registerContract(registry, VALUE_SUBJECT, valueJsonSchema());
    const producer = client.producer({ createPartitioner: createDevicePartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    let sent = 0;
    let stop = false;
    const start = Date.UTC(2026, 5, 1);
    const producing = (async () => {
      for (let i = 0; i < 60 && !stop; i++) {
        const run = planRun({ seed: `dash-${i}`, count: 2000, devices: 50, startMs: start + i * 1_000_000 });
        sent += (await produce({ producer, topic: box.topic, partitions: 3, run, schemaId })).sent;
        await Bun.sleep(250);
      }
    })();
    try {
      await page.waitForFunction(
        `${N} ["produced", "produce-rate", "rows-written", "landed-rate"].every((id) => n(id) > 0)`,
        undefined,
        {
          timeout: 30_000,
          polling: 200,
        },
      );
      // The charts: three plots drawn, the rates chart has both series above 0, and points keep coming.
      await page.waitForFunction(
        `document.querySelectorAll(".plot canvas").length >= 3 && Number(document.body.dataset.points || 0) >= 5 &&
         sluiceHistory.produce.some((v) => v > 0) && sluiceHistory.landed.some((v) => v > 0) &&
         sluiceHistory.position.some((v) => v !== null)`,
        undefined,
        { timeout: 30_000, polling: 250 },
      );
      await page.screenshot({ path: join(reports, "dashboard.png"), fullPage: true });
      const points = Number(await page.evaluate("document.body.dataset.points"));
      await page.waitForFunction(`Number(document.body.dataset.points) > ${points}`, undefined, { timeout: 15_000 });
      const seen = await num("produced");
      await page.waitForFunction(`${N} n("produced") > ${seen}`, undefined, { timeout: 15_000 });
    } finally {
      stop = true;
      await producing;
      await producer.disconnect();
    }
    expect(sent).toBeGreaterThan(0);
    // The task's position lag is read from the worker: a number, not "unknown".
    expect(await page.textContent("#position-lag")).toMatch(/^[\d,]+$/);
    expect(await page.textContent("#tasks")).toContain("RUNNING");
    expect((await page.textContent("#errors"))?.trim()).toBe("");
  });

  test("the load tester's end-to-end latency (sluice produce --e2e) is charted", async () => {
    // 2,000/s for 8 s with a report window every 2 s: each window publishes its p50/p99 for the dashboard.
    const args = ["--topic", box.topic, "--table", box.table, "--e2e", "--rate", "2000/s", "--duration", "8s"];
    const producer = Bun.spawn(
      [join(ctx.paths.root, "bin", "sluice"), "produce", ...args, "--report-every", "2s", "--no-manifest"],
      { env: process.env, stdout: "ignore", stderr: "pipe" },
    );
    try {
      await page.waitForFunction(
        "sluiceHistory.e2e50.some((v) => v > 0) && sluiceHistory.e2e99.some((v) => v > 0)",
        undefined,
        {
          timeout: 30_000,
          polling: 250,
        },
      );
      expect(await page.textContent("#e2e-note")).toContain("published by sluice produce --e2e");
    } finally {
      const code = await producer.exited;
      if (code !== 0) console.error(await new Response(producer.stderr).text());
      expect(code).toBe(0);
    }
  }, 60_000);

  test("dead letters are charted by reason", async () => {
    const producer = client.producer({ createPartitioner: createDevicePartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const run = planRun({ seed: "dash-dlq", count: 4, devices: 2, startMs: Date.UTC(2026, 7, 1) });
      const [a, b] = [metricAt(run, 0), metricAt(run, 1)];
      await producer.send({
        topic: box.topic,
        messages: [
          { key: encodeKey(a), value: "{broken" },
          { key: encodeKey(a), value: "also broken" },
          { key: encodeKey(b), value: JSON.stringify({ ...b, device_id: "not-a-uuid" }) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await page.waitForFunction(
      `["not JSON", "contract: device_id"].every((k) => (sluiceHistory.reasons[k] || []).some((v) => v > 0))`,
      undefined,
      { timeout: 45_000, polling: 250 },
    );
    expect(await page.$$eval("#chart-dlq .u-legend th", (els) => els.map((e) => e.textContent))).toEqual(
      expect.arrayContaining(["all", "not JSON", "contract: device_id"]),
    );
  }, 60_000);

  test("a paused connector shows as a stall: landed rate 0 while lag grows, and a marker", async () => {
    const schemaId = await registerContract(registry, VALUE_SUBJECT, valueJsonSchema());
    const producer = client.producer({ createPartitioner: createDevicePartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    await connect.pause(box.connector);
    try {
      await eventually(
        "the connector paused",
        async () => (await connect.status(box.connector))?.connector.state === "PAUSED",
      );
      const start = Date.UTC(2026, 6, 1);
      for (let i = 0; i < 3; i++) {
        const run = planRun({ seed: `dash-stall-${i}`, count: 1000, devices: 20, startMs: start + i * 1_000_000 });
        await produce({ producer, topic: box.topic, partitions: 3, run, schemaId });
      }
      await page.waitForFunction(`document.body.dataset.stalled === "true"`, undefined, {
        timeout: 30_000,
        polling: 250,
      });
      expect(await page.textContent("#stall")).toContain("The sink lands nothing while");
      expect(await page.textContent("#markers")).toContain("connector RUNNING → PAUSED");
      const tail = (await page.evaluate(
        "({ landed: sluiceHistory.landed.slice(-5), lag: Object.values(sluiceHistory.lag).map((a) => a[a.length - 1]) })",
      )) as { landed: number[]; lag: number[] };
      expect(tail.landed).toEqual([0, 0, 0, 0, 0]);
      // A paused consumer does not fetch, so its position is unknown, not the 0 it last saw.
      expect(await page.textContent("#position-lag")).toBe("unknown");
      expect(tail.lag.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3000);
      await page.screenshot({ path: join(reports, "dashboard-stall.png"), fullPage: true });
    } finally {
      await connect.resume(box.connector);
      await producer.disconnect();
    }
    // Resumed: the backlog lands, the stall banner goes.
    await page.waitForFunction(`document.body.dataset.stalled === "false"`, undefined, {
      timeout: 60_000,
      polling: 250,
    });
    expect(await page.textContent("#markers")).toContain("connector PAUSED → RUNNING");
  }, 120_000);

  test("markup in a task state from Connect is shown as text, never parsed or run", async () => {
    // Everything real but Connect's status answer, whose task state carries markup with a script in an event handler.
    const hostile = `<img src="x" onerror="document.body.dataset.pwned = 'yes'">RUNNING`;
    const connect = real.deps.connect;
    const evil = createApp({
      ...real.deps,
      connect: {
        info: () => connect.info(),
        restartConnector: (n, o) => connect.restartConnector(n, o),
        restartTask: (n, t) => connect.restartTask(n, t),
        status: async (name) => ({
          name,
          type: "sink",
          connector: { state: "RUNNING", worker_id: "w" },
          tasks: [{ id: 0, state: hostile, worker_id: "w" }],
        }),
      },
    });
    const evilServer = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: evil.fetch, idleTimeout: 60 });
    const p = await browser.newPage({ locale: "en-US" });
    try {
      await p.goto(`http://127.0.0.1:${evilServer.port}/`);
      await p.waitForFunction("Number(document.body.dataset.updates || 0) >= 1", undefined, { timeout: 15_000 });
      expect(await p.$$eval("#tasks img", (els) => els.length)).toBe(0);
      expect(await p.$$eval("#tasks td", (els) => els.map((e) => e.textContent))).toEqual(["0", hostile]);
      expect(await p.evaluate("document.body.dataset.pwned ?? null")).toBeNull();
    } finally {
      await p.close();
      await evilServer.stop(true);
    }
  });
});
