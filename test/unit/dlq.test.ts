import { describe, expect, test } from "bun:test";
import { judge } from "../../src/dlq/fix.ts";
import { planReplay } from "../../src/dlq/replay.ts";
import type { DeadLetter } from "../../src/dlq/record.ts";

const m = { device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", published_at: 1_795_000_000_123, metric_name: 30, value: 412.5, tags: ["a"] };
const key = JSON.stringify({ device_id: m.device_id, metric_name: 30, published_at: m.published_at });
const letter = (value: string | null, reason = "r", k: string | null = key): DeadLetter => ({
  partition: 0,
  offset: "1",
  timestamp: 0,
  key: k,
  value,
  reason,
  stage: "VALUE_CONVERTER",
  exceptionClass: "DataException",
  origin: { topic: "metrics", partition: "0", offset: "9" },
});

describe("dlq judge", () => {
  test("a valid record passes as it is", () => {
    expect(judge(JSON.stringify(m), key, [])).toEqual({ ok: true, metric: m });
  });

  test("an uppercase id passes only with lowercase-ids, and the key is fixed the same way", () => {
    const up = m.device_id.toUpperCase();
    const k = key.replace(m.device_id, up);
    expect(judge(JSON.stringify({ ...m, device_id: up }), k, []).ok).toBe(false);
    expect(judge(JSON.stringify({ ...m, device_id: up }), k, ["lowercase-ids"])).toEqual({ ok: true, metric: m });
  });

  test("unknown fields pass only with drop-unknown-fields", () => {
    expect(judge(JSON.stringify({ ...m, unit: "ppm" }), key, []).ok).toBe(false);
    expect(judge(JSON.stringify({ ...m, unit: "ppm" }), key, ["drop-unknown-fields"])).toEqual({ ok: true, metric: m });
  });

  test("what no fix can mend stays, with the reason", () => {
    expect(judge("{oops", key, ["lowercase-ids"])).toEqual({ ok: false, reason: "not JSON" });
    expect(judge(null, key, [])).toEqual({ ok: false, reason: "empty record (tombstone)" });
    const v = judge(JSON.stringify({ ...m, metric_name: 40000 }), key, ["drop-unknown-fields"]);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain("metric_name");
    expect(judge(JSON.stringify({ ...m, value: 1 }), key.replace("30", "40"), [])).toEqual({ ok: false, reason: "key and value disagree on metric_name" });
  });

  test("planReplay splits and filters by reason", () => {
    const plan = planReplay([letter(JSON.stringify(m), "x"), letter("{", "y"), letter("{", "x")], [], "x");
    expect(plan.replay.length).toBe(1);
    expect(plan.keep.map((k) => k.reason)).toEqual(["not JSON"]);
    expect(JSON.parse(plan.replay[0]!.key)).toEqual(JSON.parse(key));
  });
});
