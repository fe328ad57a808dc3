import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { VALUE_SUBJECT, valueJsonSchema } from "../../src/contract/index.ts";
import { readDeadLetters } from "../../src/dlq/read.ts";
import { executeReplay, planReplay } from "../../src/dlq/replay.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { registerContract } from "../../src/registry/register.ts";
import { client, eventually, registry, rowCount, sandbox, sql, type Sandbox } from "./harness.ts";

let box: Sandbox;
const run = planRun({ seed: `dlq-${Date.now()}`, count: 10, devices: 2, startMs: Date.UTC(2026, 10, 3) });

beforeAll(async () => {
  box = await sandbox("dlq", 1);
  await box.applySink();
});
afterAll(() => box?.dispose());

describe("DLQ tooling", () => {
  test("peek shows each dead letter with its reason and origin; replay with fixes lands corrected records exactly once", async () => {
    const a = metricAt(run, 0);
    const b = metricAt(run, 1);
    const up = a.device_id.toUpperCase();
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: box.topic,
      messages: [
        { key: encodeKey({ ...a, device_id: up }), value: encodeValue({ ...a, device_id: up }) },
        { key: encodeKey(b), value: JSON.stringify({ ...b, unit: "C" }) },
        { key: encodeKey(b), value: "{broken" },
        { key: encodeKey(metricAt(run, 2)), value: encodeValue(metricAt(run, 2)) },
      ],
    });
    await producer.disconnect();
    await eventually("3 dead letters", async () => (await readDeadLetters(client, box.dlq, { timeoutMs: 3000 })).length === 3);
    const letters = await readDeadLetters(client, box.dlq, { last: 10 });
    expect(letters.map((l) => l.origin.topic)).toEqual([box.topic, box.topic, box.topic]);
    expect(letters.map((l) => l.origin.offset)).toEqual(["0", "1", "2"]);
    expect(letters[0]!.reason).toContain("device_id");
    expect(letters[1]!.reason).toContain("unit");
    expect(letters[2]!.reason).toContain("not JSON");
    expect(await rowCount(box.table)).toBe(1);

    const schemaId = await registerContract(registry, VALUE_SUBJECT, valueJsonSchema());
    const dry = planReplay(letters, []);
    expect([dry.replay.length, dry.keep.length]).toEqual([0, 3]);
    const plan = planReplay(letters, ["lowercase-ids", "drop-unknown-fields"]);
    expect([plan.replay.length, plan.keep.map((k) => k.reason)]).toEqual([2, ["not JSON"]]);
    // Twice: the second replay must not add rows (upsert by key).
    expect(await executeReplay(client, box.topic, plan, schemaId)).toBe(2);
    expect(await executeReplay(client, box.topic, plan, schemaId)).toBe(2);
    await eventually("replayed rows", async () => (await rowCount(box.table)) === 3);
    await Bun.sleep(2000);
    expect(await rowCount(box.table)).toBe(3);
    const rows = await sql.unsafe(`select device_id::text as id, value from ${box.table} order by value`);
    expect(rows.map((r) => r.id).sort()).toEqual([a.device_id, b.device_id, metricAt(run, 2).device_id].sort());
    // The replays are valid: nothing new in the DLQ.
    expect((await readDeadLetters(client, box.dlq, { timeoutMs: 3000 })).length).toBe(3);
  });
});
