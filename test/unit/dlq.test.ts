import { describe, expect, test } from "bun:test";
import { judge } from "../../src/dlq/fix.ts";
import { shortReadError } from "../../src/dlq/read.ts";
import type { DeadLetter } from "../../src/dlq/record.ts";
import { planReplay } from "../../src/dlq/replay.ts";
import { againstStored } from "../../src/dlq/stored.ts";

const m = {
  device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c",
  published_at: 1_795_000_000_123,
  metric_name: 30,
  value: 412.5,
  tags: ["a"],
};
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
    expect(judge(JSON.stringify({ ...m, value: 1 }), key.replace("30", "40"), [])).toEqual({
      ok: false,
      reason: "key and value disagree on metric_name",
    });
  });

  test("planReplay splits and filters by reason", () => {
    const plan = planReplay([letter(JSON.stringify(m), "x"), letter("{", "y"), letter("{", "x")], [], "x");
    expect(plan.replay.length).toBe(1);
    expect(plan.filtered).toBe(1);
    expect(plan.keep.map((k) => k.reason)).toEqual(["not JSON"]);
    expect(JSON.parse(plan.replay[0]!.key)).toEqual(JSON.parse(key));
  });
});

describe("dlq replay against the stored row", () => {
  const t = 1_795_000_000_000;
  const row = (value: number, updatedMs: number, tags = m.tags) => ({ value, tags, updatedMs });

  test("no row: send", () => {
    expect(againstStored(m, undefined, t)).toEqual({ send: true });
  });

  test("the same value and tags: already stored, nothing to send", () => {
    expect(againstStored(m, row(m.value, t + 5), t)).toEqual({
      send: false,
      reason: "already stored (same value and tags)",
    });
  });

  test("a row changed at or after the dead letter's record time is newer: skip, saying both instants", () => {
    for (const updated of [t, t + 0.5, t + 60_000]) {
      const f = againstStored(m, row(1, updated), t);
      expect(f.send).toBe(false);
      expect(!f.send && f.reason).toContain("stored row is newer");
    }
    const f = againstStored(m, row(1, t + 1), t);
    expect(!f.send && f.reason).toContain(new Date(t).toISOString());
  });

  test("a row last changed before the dead letter's record time is older: send", () => {
    expect(againstStored(m, row(1, t - 1), t)).toEqual({ send: true });
    expect(againstStored(m, row(m.value, t - 1, ["other"]), t)).toEqual({ send: true });
  });
});

describe("dlq short read", () => {
  test("names each partition that fell short with the offsets read and the end offset", () => {
    const e = shortReadError(
      "metrics.dlq",
      [
        { partition: 0, from: 10n, end: 20n, next: 20n },
        { partition: 1, from: 0n, end: 5n, next: 3n },
        { partition: 2, from: 7n, end: 9n, next: 7n },
      ],
      "no record for 30000 ms",
    );
    expect(e.code).toBe("DLQ_SHORT_READ");
    expect(e.message).toContain("reading metrics.dlq stopped short (no record for 30000 ms)");
    expect(e.message).not.toContain("partition 0");
    expect(e.message).toContain("partition 1: read offsets 0..2 (3 of 5), end offset 5");
    expect(e.message).toContain("partition 2: read no record from offset 7 (0 of 2), end offset 9");
  });
});
