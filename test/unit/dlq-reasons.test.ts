// Dead letters by reason for the dashboard: the kind of each reason, and a reader that counts only arrivals.
import { describe, expect, test } from "bun:test";
import { reasonKind, startDlqReasons, UNREAD } from "../../src/server/dlq-reasons.ts";
import type { KafkaGateway, PartitionOffsets, PeekedRecord } from "../../src/server/kafka.ts";

describe("reason kinds", () => {
  test.each([
    ['contract violation at device_id: expected a uuid, got "x"', "contract: device_id"],
    ["contract violation at key.metric_name: required field is missing", "contract: key.metric_name"],
    ["not JSON: Unexpected character ('x' (code 120))", "not JSON"],
    ["empty record (tombstone): the metric contract has no deletes", "tombstone"],
    ["PostgreSQL refused the row (SQLSTATE 22003): value out of range", "PostgreSQL refused (SQLSTATE 22003)"],
    ["", "no reason header"],
    ["x".repeat(80), `${"x".repeat(47)}…`],
  ])("%s → %s", (reason, kind) => expect(reasonKind(reason)).toBe(kind));
});

/** A DLQ topic in memory behind the gateway's two calls the reader uses. */
function dlq() {
  const records: PeekedRecord[] = [];
  const add = (reason: string, partition = 0) =>
    records.push({
      partition,
      offset: records.filter((r) => r.partition === partition).length,
      timestamp: 0,
      key: null,
      value: "x",
      headers: { "__connect.errors.exception.message": reason },
    });
  const kafka = {
    async topicOffsets(): Promise<PartitionOffsets[]> {
      return [0, 1].map((partition) => ({
        partition,
        low: 0,
        high: records.filter((r) => r.partition === partition).length,
      }));
    },
    async peek(_topic: string, n: number): Promise<PeekedRecord[]> {
      return [0, 1].flatMap((p) => records.filter((r) => r.partition === p).slice(-n));
    },
  } as unknown as KafkaGateway;
  return { kafka, add };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await Bun.sleep(2);
  expect(check()).toBe(true);
}

describe("the DLQ reason reader", () => {
  test("counts arrivals by kind across partitions, not what was there before it started", async () => {
    const { kafka, add } = dlq();
    add("not JSON: old");
    const reader = startDlqReasons({ kafka, topic: "d", everyMs: 2 });
    try {
      await until(() => reader.current() !== undefined);
      add("not JSON: a");
      add("contract violation at value.value: expected a number", 1);
      add("not JSON: b", 1);
      await until(() => (reader.current()?.counts["not JSON"] ?? 0) === 2);
      expect(reader.current()!.counts).toEqual({ "not JSON": 2, "contract: value.value": 1 });
    } finally {
      reader.stop();
    }
  });

  test("more arrivals than one look reads are counted as not read, not lost from the total", async () => {
    const { kafka, add } = dlq();
    const reader = startDlqReasons({ kafka, topic: "d", everyMs: 2 });
    try {
      await until(() => reader.current() !== undefined);
      for (let i = 0; i < 600; i++) add("not JSON: x");
      await until(() => Object.values(reader.current()?.counts ?? {}).reduce((a, b) => a + b, 0) === 600);
      expect(reader.current()!.counts).toEqual({ "not JSON": 500, [UNREAD]: 100 });
    } finally {
      reader.stop();
    }
  });
});
