// The health check's Metadata v1 reader, on a response built field by field as the protocol lays it out.
import { describe, expect, test } from "bun:test";
import { parseMetadataV1 } from "../../src/kafka/node-metadata.ts";

function response(correlationId: number, brokers: [number, string, number, string | null][], controller: number) {
  const parts: Buffer[] = [];
  const i32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const str = (s: string | null) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(s === null ? -1 : Buffer.byteLength(s));
    parts.push(b);
    if (s !== null) parts.push(Buffer.from(s));
  };
  i32(correlationId);
  i32(brokers.length);
  for (const [id, host, port, rack] of brokers) {
    i32(id);
    str(host);
    i32(port);
    str(rack);
  }
  i32(controller);
  i32(1); // topics
  parts.push(Buffer.from([0, 0]));
  str("metrics");
  parts.push(Buffer.from([0]));
  i32(1); // partitions
  parts.push(Buffer.from([0, 0]));
  i32(0); // partition
  i32(3); // leader
  i32(3);
  for (const r of [1, 2, 3]) i32(r);
  i32(2);
  for (const r of [3, 1]) i32(r);
  return Buffer.concat(parts);
}

describe("Metadata v1 for the health check", () => {
  test("brokers with and without a rack, the controller id, a topic's partitions with leader, replicas and ISR", () => {
    const buf = response(
      7,
      [
        [1, "127.0.0.1", 19092, null],
        [3, "broker-three.local", 19292, "rack-b"],
      ],
      3,
    );
    expect(parseMetadataV1(buf, 7)).toEqual({
      brokers: [1, 3],
      controllerId: 3,
      topics: { metrics: [{ partition: 0, leader: 3, replicas: [1, 2, 3], isr: [3, 1] }] },
    });
  });

  test("no controller is -1; an answer to another request is refused", () => {
    expect(parseMetadataV1(response(1, [], -1), 1)).toMatchObject({ brokers: [], controllerId: -1 });
    expect(() => parseMetadataV1(response(2, [], 1), 1)).toThrow("another request");
  });
});
