import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spotCheck } from "../../src/audit/landed.ts";
import { isRunning } from "../../src/connect/apply.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { partitionFor } from "../../src/producer/partitioner.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { client, connect, deliver, eventually, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

const N = 10_000;
const UPDATED = 100;
let box: Sandbox;
const run = planRun({ seed: `replay-${Date.now()}`, count: N, devices: 40, startMs: Date.UTC(2026, 10, 1) });
/** New values for the first UPDATED keys: the same key sent again later with another value. */
const updated = Array.from({ length: UPDATED }, (_, k) => ({ ...metricAt(run, k), value: -1000 - k }));

beforeAll(async () => {
  box = await sandbox("replay");
  await box.applySink();
  await deliver(box, run);
  const producer = client.producer();
  await producer.connect();
  // Same partition as the originals (by device): per-key order is what makes the last value win on a replay.
  await producer.send({
    topic: box.topic,
    messages: updated.map((m) => ({
      key: encodeKey(m),
      value: encodeValue(m),
      partition: partitionFor(m.device_id, 3),
    })),
  });
  await producer.disconnect();
  await eventually("updates applied", async () => {
    const [r] = await sql.unsafe(`select count(*)::int as n from ${box.table} where value <= -1000`);
    return r!.n === UPDATED;
  });
});
afterAll(() => box?.dispose());

describe("replay", () => {
  test("a second connector (new consumer group) re-reads the whole topic: still one row per key, values current", async () => {
    const replayName = `${box.connector}-replay`;
    await box.applySink(replayName);
    // The replay has caught up when its consumer group's committed offsets reach the end of the topic.
    const admin = client.admin();
    await admin.connect();
    try {
      const end = (await admin.fetchTopicOffsets(box.topic)).reduce((s, p) => s + Number(p.high), 0);
      expect(end).toBe(N + UPDATED);
      await eventually(
        "replay connector committed every offset",
        async () => {
          const [g] = await admin.fetchOffsets({ groupId: `connect-${replayName}`, topics: [box.topic] });
          return g!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) === end;
        },
        90_000,
      );
    } finally {
      await admin.disconnect();
    }
    expect(await rowCount(box.table)).toBe(N);
    const rows = await sql.unsafe(`select value from ${box.table} where value <= -1000 order by value desc`);
    expect(rows.map((r) => r.value)).toEqual(updated.map((m) => m.value));
    // Everything not updated still holds the original value.
    const mismatches = await spotCheck(sql, box.table, run, 300);
    expect(mismatches.every((m) => m.k < UPDATED && m.field === "value")).toBe(true);
    expect(isRunning(await connect.status(replayName))).toBe(true);
  });
});
