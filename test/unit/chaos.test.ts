import { describe, expect, test } from "bun:test";
import { atLeastOnce, countDeadLetters, exactlyOnce, poisonOf, type ReadRecord } from "../../src/chaos/dead-letters.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";

const letter = (partition: number, offset: number, topic = "t") => ({
  headers: {
    "__connect.errors.topic": topic,
    "__connect.errors.partition": String(partition),
    "__connect.errors.offset": String(offset),
  },
});
const poison = [
  { topic: "t", partition: 0, offset: "4" },
  { topic: "t", partition: 2, offset: "9" },
];

describe("dead letters matched to poison records by origin", () => {
  test("each poison record once: exact", () => {
    const c = countDeadLetters(poison, [letter(2, 9), letter(0, 4)]);
    expect(c).toEqual({ poison: 2, records: 2, once: 2, missing: [], duplicates: [], foreign: [] });
    expect(exactlyOnce(c)).toBe(true);
  });

  test("one poison record twice (a re-read after a restart): named, not exact, but at least once", () => {
    const c = countDeadLetters(poison, [letter(0, 4), letter(2, 9), letter(2, 9)]);
    expect(c.duplicates).toEqual(["t-2@9 ×2"]);
    expect(c.once).toBe(1);
    expect([exactlyOnce(c), atLeastOnce(c)]).toEqual([false, true]);
  });

  test("a missing one and a dead letter of another record (same offset, other partition or topic) are named", () => {
    const c = countDeadLetters(poison, [letter(0, 4), letter(1, 9), letter(2, 9, "other"), { headers: {} }]);
    expect(c.missing).toEqual(["t-2@9"]);
    expect(c.foreign).toEqual(["t-1@9", "other-2@9", "-NaN@"]);
    expect([exactlyOnce(c), atLeastOnce(c)]).toEqual([false, false]);
  });

  test("the same count of letters as poison records is not enough: a duplicate hides a missing one", () => {
    const c = countDeadLetters(poison, [letter(0, 4), letter(0, 4)]);
    expect(c.records).toBe(c.poison);
    expect({ missing: c.missing, duplicates: c.duplicates }).toEqual({ missing: ["t-2@9"], duplicates: ["t-0@4 ×2"] });
    expect(exactlyOnce(c)).toBe(false);
  });
});

describe("poison records of a run's topic", () => {
  const run = planRun({ seed: "dead-letters", count: 10, devices: 2, startMs: Date.UTC(2026, 0, 1) });
  const rec = (offset: number, key: string | null, value: string | null): ReadRecord => ({
    topic: "t",
    partition: 1,
    offset: String(offset),
    key,
    value,
    headers: {},
  });
  const m = metricAt(run, 3);

  test("a record is poison unless its value is exactly the encoding of the metric its key names", () => {
    const records = [
      rec(0, encodeKey(m), encodeValue(m)),
      rec(1, encodeKey(m), "{not json"),
      rec(2, encodeKey(m), JSON.stringify({ ...m, value: "hot" })),
      rec(3, encodeKey(metricAt(run, 4)), encodeValue(m)),
      rec(4, "{not json", encodeValue(m)),
      rec(5, null, encodeValue(m)),
      rec(6, encodeKey(m), null),
      rec(7, encodeKey(metricAt(run, 9)), encodeValue(metricAt(run, 9))),
    ];
    expect(poisonOf(run, records).map((o) => o.offset)).toEqual(["1", "2", "3", "4", "5", "6"]);
  });
});
