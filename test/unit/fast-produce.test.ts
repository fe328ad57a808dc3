import { afterAll, describe, expect, spyOn, test } from "bun:test";
import { createRequire } from "node:module";
import { CompressionTypes } from "kafkajs";
import { encodeRecords, FAST_ENCODE, installFastProduce, originalProduceV7 } from "../../src/kafka/fast-produce.ts";
import "../../src/kafka/codecs.ts";

// The load tester's record encoder must write exactly the bytes kafkajs writes.
const require = createRequire(import.meta.url);
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (a: object) => { buffer: Buffer };
const produceIndex = require("kafkajs/src/protocol/requests/produce/index.js") as {
  protocol(a: { version: number }): (a: object) => { request: { encode(): Promise<{ buffer: Buffer }> } };
};

const headers = { "sluice-schema-id": "7" };
const messages = Array.from({ length: 300 }, (_, i) => ({
  key: i % 50 === 0 ? null : `{"device_id":"d${i}","n":${i}}`,
  value: i % 7 === 0 ? Buffer.from(`raw ${i}`) : `{"v":${i * 1.5},"t":"ünïcødé ✓ ${"x".repeat(i)}"}`,
  headers: i % 3 === 0 ? undefined : headers,
  [FAST_ENCODE]: true as const,
}));

const now = spyOn(Date, "now").mockReturnValue(1_763_900_000_000);
afterAll(() => now.mockRestore());

describe("fast produce encoding", () => {
  test("records: byte for byte what kafkajs' Record v0 writes (null key, Buffer value, unicode, 2-byte varints, headers)", () => {
    const expected = Buffer.concat(messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: 0 }).buffer));
    expect(encodeRecords(messages).equals(expected)).toBe(true);
  });

  for (const [name, compression] of [
    ["none", CompressionTypes.None],
    ["gzip", CompressionTypes.GZIP],
    ["zstd", CompressionTypes.ZSTD],
  ] as const) {
    test(`whole Produce v7 request equals kafkajs' (${name})`, async () => {
      installFastProduce();
      const args = {
        acks: -1,
        timeout: 30_000,
        compression,
        topicData: [
          {
            topic: "t1",
            partitions: [
              { partition: 0, messages: messages.slice(0, 120) },
              { partition: 3, messages: messages.slice(120) },
            ],
          },
          { topic: "t2", partitions: [{ partition: 1, messages: messages.slice(10, 20) }] },
        ],
      };
      const fast = await produceIndex.protocol({ version: 7 })(args).request.encode();
      const original = await (originalProduceV7()(args) as { encode(): Promise<{ buffer: Buffer }> }).encode();
      expect(fast.buffer.toString("hex")).not.toBe("");
      expect(fast.buffer.equals(original.buffer)).toBe(true);
    });
  }

  test("unmarked messages keep kafkajs' own encoder", () => {
    installFastProduce();
    const plain = {
      acks: 1,
      timeout: 1000,
      topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [{ key: "k", value: "v" }] }] }],
    };
    const req = produceIndex.protocol({ version: 7 })(plain).request as unknown as { encode: () => unknown };
    expect(req.encode.toString()).not.toContain("encodePartition");
  });
});
