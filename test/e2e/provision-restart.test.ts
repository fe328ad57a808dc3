// A connector whose task fails: `status` shows the FAILED task with its trace, `restart` (onlyFailed) brings it back
// once the cause is fixed. The connector and its tables are this test's own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatReports } from "../../src/cli/connectors.ts";
import { applyConnectors, isRunning } from "../../src/connect/apply.ts";
import { readConnectorFile } from "../../src/connect/desired.ts";
import { restartFailed } from "../../src/connect/restart.ts";
import { connectorReports } from "../../src/connect/status.ts";
import { capabilities } from "../../src/connect/version.ts";
import { grantSinkOn } from "../../src/db/roles.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { desiredConnectors } from "../../src/provision.ts";
import { client, connect, ctx, eventually, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

let box: Sandbox;
let dir: string;
let name: string;
let missing: string;

beforeAll(async () => {
  box = await sandbox("prest", 1);
  name = `r-${box.id}`;
  missing = `${box.table}_later`; // the table the sink writes to; created only after the task has failed
  dir = mkdtempSync(join(tmpdir(), "sluice-restart-"));
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({
      ...readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json")).config,
      topics: box.topic,
      "collection.name.format": missing,
      "errors.deadletterqueue.topic.name": box.dlq,
      "tasks.max": "1",
    }),
  );
});

afterAll(async () => {
  await connect.delete(name);
  await sql.unsafe(`drop table if exists ${missing}`);
  rmSync(dir, { recursive: true, force: true });
  await box?.dispose({ topics: true });
});

describe("a failed task", () => {
  test("is shown with its trace by status, and restart brings it back once the cause is fixed", async () => {
    await applyConnectors(connect, desiredConnectors(ctx, dir, name), { prefix: name });
    const run = planRun({ seed: `restart-${box.id}`, count: 1, devices: 1, startMs: Date.UTC(2026, 10, 3) });
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: box.topic,
      messages: [{ key: encodeKey(metricAt(run, 0)), value: encodeValue(metricAt(run, 0)) }],
    });
    await producer.disconnect();
    await eventually("the task FAILED", async () => (await connect.status(name))?.tasks[0]?.state === "FAILED", 45_000);

    const admin = client.admin();
    await admin.connect();
    const caps = capabilities((await connect.info()).version);
    try {
      const [report] = await connectorReports(connect, admin, [name], caps);
      expect(report!.tasks[0]!.state).toBe("FAILED");
      expect(report!.tasks[0]!.trace).toContain(missing);
      const text = formatReports([report!]);
      expect(text).toContain(`${name}  task 0     FAILED`);
      expect(text).toContain(`${name} task 0 FAILED:`);
      // The record is not committed: the lag shows it waiting.
      expect(report!.lag).toEqual([{ topic: box.topic, partition: 0, committed: null, end: 1, lag: 1 }]);

      await sql.unsafe(`create table ${missing} (like metrics including all)`);
      await grantSinkOn(sql, missing);
      expect(await restartFailed(connect, [name], 60_000, () => {})).toEqual([name]);
      expect(isRunning(await connect.status(name))).toBe(true);
      await eventually("the row landed after the restart", async () => (await rowCount(missing)) === 1, 30_000);
      expect(await restartFailed(connect, [name], 60_000, () => {})).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});
