// The live dashboard in a real browser (npm's @sparticuz/chromium headless shell through playwright-core): while a
// producer writes to a sandbox topic, the page's produce and landed numbers move without a reload. A screenshot is
// kept as an artifact in <data dir>/test-reports/dashboard.png. A hostile answer from Connect (markup in a task
// state) is shown as text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { VALUE_SUBJECT, valueJsonSchema } from "../../src/contract/index.ts";
import { createDevicePartitioner } from "../../src/producer/partitioner.ts";
import { produce } from "../../src/producer/send.ts";
import { planRun } from "../../src/producer/workload.ts";
import { registerContract } from "../../src/registry/register.ts";
import { createApp } from "../../src/server/app.ts";
import { serverDeps } from "../../src/server/runtime.ts";
import { sinkGroup } from "../../src/server/snapshot.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { chromiumLaunchOptions } from "../tools.ts";
import { brokers, client, ctx, registry, type Sandbox, sandbox } from "./harness.ts";

let box: Sandbox;
let real: ReturnType<typeof serverDeps>;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let page: Page;

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
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(real.deps).fetch, idleTimeout: 60 });
  browser = await chromium.launch(await chromiumLaunchOptions());
  page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
});

afterAll(async () => {
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
      const dir = join(ctx.paths.data, "test-reports");
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, "dashboard.png"), fullPage: true });
      const seen = await num("produced");
      await page.waitForFunction(`${N} n("produced") > ${seen}`, undefined, { timeout: 15_000 });
    } finally {
      stop = true;
      await producing;
      await producer.disconnect();
    }
    expect(sent).toBeGreaterThan(0);
    expect(await page.textContent("#tasks")).toContain("RUNNING");
    expect((await page.textContent("#errors"))?.trim()).toBe("");
  });

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
    const p = await browser.newPage();
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
