import { describe, expect, test } from "bun:test";
import type { ProducerRecord } from "kafkajs";
import { CODES, Metric } from "../../src/contract/index.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { createDevicePartitioner, murmur2, partitionFor, toPositive } from "../../src/producer/partitioner.ts";
import { manifestOf, produce, runOfManifest, SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { deviceIds, indexOfKey, metricAt, planRun } from "../../src/producer/workload.ts";

const utf8 = new TextEncoder();

describe("murmur2", () => {
  // Kafka's UtilsTest.testMurmur2 vectors, plus ones other Kafka clients check against the Java implementation
  // (librdkafka's "kafka", Akka's "1".."12345") so every tail length 0–3 is covered.
  const vectors: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
    ["1", -1993445489],
    ["12", 126087238],
    ["123", -267702483],
    ["1234", -1614185708],
    ["12345", -1188365604],
    ["kafka", -798503068],
    ["", 275646681],
  ];
  for (const [s, h] of vectors) {
    test(`"${s}" → ${h}`, () => expect(murmur2(utf8.encode(s))).toBe(h));
  }

  test("partitionFor is toPositive(murmur2) % n, and stable", () => {
    const id = "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c";
    const expected = toPositive(murmur2(utf8.encode(id))) % 6;
    expect(partitionFor(id, 6)).toBe(expected);
    expect(partitionFor(id, 6)).toBe(expected); // cached path
    expect(partitionFor("foobar", 7)).toBe(toPositive(-790332482) % 7);
  });

  test("1000 devices spread roughly evenly over 6 partitions", () => {
    const run = planRun({ seed: "spread", count: 1, devices: 1000, startMs: 0 });
    const counts = new Array(6).fill(0);
    for (const id of deviceIds(run)) counts[partitionFor(id, 6)]++;
    // Expected 166.7 each; binomial sd ≈ 11.8, so ±25 % is > 3.5 sd.
    for (const c of counts) {
      expect(c).toBeGreaterThan(125);
      expect(c).toBeLessThan(209);
    }
  });

  test("kafkajs partitioner: explicit partition wins, else device id from the key", () => {
    const partitioner = createDevicePartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({
      partitionId: i,
      leader: 1,
      replicas: [1],
      isr: [1],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    const m = metricAt(planRun({ seed: "p", count: 1, devices: 1, startMs: 0 }), 0);
    const key = encodeKey(m);
    expect(partitioner({ topic: "t", partitionMetadata, message: { key, value: null, partition: 4 } })).toBe(4);
    expect(partitioner({ topic: "t", partitionMetadata, message: { key, value: null } })).toBe(
      partitionFor(m.device_id, 6),
    );
    expect(partitioner({ topic: "t", partitionMetadata, message: { key: Buffer.from(key), value: null } })).toBe(
      partitionFor(m.device_id, 6),
    );
    expect(partitioner({ topic: "t", partitionMetadata, message: { key: "foobar", value: null } })).toBe(
      toPositive(-790332482) % 6,
    );
  });
});

describe("workload", () => {
  test("keys are distinct for count=100,000, devices=1000, and indexOfKey inverts metricAt", () => {
    const run = planRun({ seed: "distinct", count: 100_000, devices: 1000, startMs: 1_700_000_000_000 });
    const seen = new Set<string>();
    for (let k = 0; k < run.count; k++) {
      const m = metricAt(run, k);
      seen.add(`${m.device_id}|${m.metric_name}|${m.published_at}`);
      if (k % 997 === 0) expect(indexOfKey(run, m)).toBe(k);
    }
    expect(seen.size).toBe(100_000);
    expect(new Set(deviceIds(run)).size).toBe(1000);
  });

  test("every generated metric passes the contract and covers every code", () => {
    const run = planRun({ seed: "contract", count: 20_000, devices: 37, startMs: 1_700_000_000_000, stepMs: 1000 });
    const codes = new Set<number>();
    for (let k = 0; k < run.count; k++) {
      const m = metricAt(run, k);
      expect(Metric.parse(m)).toEqual(m);
      codes.add(m.metric_name);
    }
    expect([...codes].sort((a, b) => a - b)).toEqual([...CODES]);
  });

  test("values are full-precision doubles inside each metric's range", () => {
    const run = planRun({ seed: "values", count: 6000, devices: 10, startMs: 0 });
    let fractional = 0;
    for (let k = 0; k < run.count; k++) {
      const { metric_name, value } = metricAt(run, k);
      const [lo, hi] = (
        { 0: [15, 30], 10: [20, 90], 20: [950, 1050], 30: [400, 2000], 40: [0, 1000], 50: [30, 90] } as Record<
          number,
          number[]
        >
      )[metric_name]!;
      expect(value).toBeGreaterThanOrEqual(lo!);
      expect(value).toBeLessThan(hi!);
      if (!Number.isInteger(value) && String(value).length > 10) fractional++;
    }
    expect(fractional).toBeGreaterThan(5900);
  });

  test("metricAt is deterministic across separately planned runs and depends on the seed", () => {
    const spec = { seed: "det", count: 5000, devices: 50, startMs: 1_000 };
    const a = planRun(spec);
    const b = planRun({ ...spec });
    for (const k of [0, 1, 49, 50, 299, 300, 4999]) expect(metricAt(a, k)).toEqual(metricAt(b, k));
    const c = planRun({ ...spec, seed: "other" });
    expect(metricAt(c, 7).device_id).not.toBe(metricAt(a, 7).device_id);
    expect(metricAt(c, 7).value).not.toBe(metricAt(a, 7).value);
    expect(() => metricAt(a, 5000)).toThrow(RangeError);
  });

  test("planRun rejects bad arguments and out-of-contract timestamps", () => {
    expect(() => planRun({ seed: "", count: 1, devices: 1, startMs: 0 })).toThrow(/seed/);
    expect(() => planRun({ seed: "x", count: -1, devices: 1, startMs: 0 })).toThrow(/count/);
    expect(() => planRun({ seed: "x", count: 1, devices: 0, startMs: 0 })).toThrow(/devices/);
    expect(() => planRun({ seed: "x", count: 1e9, devices: 1, startMs: 253_402_300_799_000, stepMs: 1000 })).toThrow(
      /maximum/,
    );
  });

  test("indexOfKey returns -1 for keys outside the run", () => {
    const run = planRun({ seed: "idx", count: 100, devices: 5, startMs: 10, stepMs: 2 });
    const m = metricAt(run, 42);
    expect(indexOfKey(run, { ...m, published_at: m.published_at + 1 })).toBe(-1);
    expect(indexOfKey(run, { ...m, metric_name: 11 })).toBe(-1);
    expect(indexOfKey(run, { ...m, device_id: "00000000-0000-4000-8000-000000000000" })).toBe(-1);
    expect(indexOfKey(run, { ...m, published_at: m.published_at + 1000 })).toBe(-1);
  });
});

describe("encode", () => {
  const run = planRun({ seed: "enc", count: 600, devices: 7, startMs: 1_700_000_000_123 });

  test("key and value round-trip through JSON.parse with the exact field order", () => {
    for (let k = 0; k < run.count; k++) {
      const m = metricAt(run, k);
      const key = JSON.parse(encodeKey(m));
      expect(Object.keys(key)).toEqual(["device_id", "metric_name", "published_at"]);
      expect(key).toEqual({ device_id: m.device_id, metric_name: m.metric_name, published_at: m.published_at });
      const value = JSON.parse(encodeValue(m));
      expect(Object.keys(value)).toEqual(["device_id", "published_at", "metric_name", "value", "tags"]);
      expect(value).toEqual(m);
      expect(Object.is(value.value, m.value)).toBe(true);
    }
  });

  test("strings are escaped and non-finite values refused", () => {
    const m = { device_id: 'a"b\\c', published_at: 0, metric_name: 0 as const, value: -0.5e-300, tags: ['q"\n\u0001'] };
    expect(JSON.parse(encodeValue(m))).toEqual(m);
    expect(JSON.parse(encodeKey(m)).device_id).toBe(m.device_id);
    expect(() => encodeValue({ ...m, value: Number.NaN })).toThrow(RangeError);
    expect(() => encodeValue({ ...m, value: Infinity })).toThrow(RangeError);
  });
});

describe("produce (fake producer)", () => {
  test("sends every metric once, with explicit partition and schema-id header, and reports progress", async () => {
    const run = planRun({ seed: "send", count: 2_345, devices: 13, startMs: 5 });
    const records: ProducerRecord[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const progress: number[] = [];
    const producer = {
      async send(r: ProducerRecord) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await Bun.sleep(1);
        records.push(r);
        inFlight--;
        return [];
      },
    };
    const stats = await produce({
      producer,
      topic: "metrics",
      partitions: 6,
      run,
      schemaId: 7,
      batchSize: 100,
      concurrency: 3,
      onProgress: (n) => progress.push(n),
    });
    expect(stats.sent).toBe(2_345);
    expect(records.length).toBe(24);
    expect(maxInFlight).toBe(3); // the concurrency, used in full
    expect(progress.at(-1)).toBe(2_345);
    const keys = new Set<string>();
    for (const r of records) {
      expect(r.topic).toBe("metrics");
      expect(r.acks).toBe(-1);
      for (const msg of r.messages) {
        const key = JSON.parse(msg.key as string);
        expect(msg.partition).toBe(partitionFor(key.device_id, 6));
        expect(msg.headers).toEqual({ [SCHEMA_ID_HEADER]: "7" });
        keys.add(msg.key as string);
      }
    }
    expect(keys.size).toBe(2_345);
    const manifest = JSON.parse(JSON.stringify(manifestOf(run, "metrics", stats)));
    expect(metricAt(runOfManifest(manifest), 1234)).toEqual(metricAt(run, 1234));
  });

  test("the first send error propagates and stops further batches", async () => {
    const run = planRun({ seed: "fail", count: 100_000, devices: 10, startMs: 0 });
    let calls = 0;
    const producer = {
      async send() {
        const call = ++calls; // captured before the await: other sends increment `calls` meanwhile
        await Bun.sleep(1);
        if (call === 3) throw new Error("broker said no");
        return [];
      },
    };
    await expect(
      produce({ producer, topic: "t", partitions: 6, run, schemaId: 1, batchSize: 100, concurrency: 2 }),
    ).rejects.toThrow("broker said no");
    expect(calls).toBeLessThan(10);
  });
});
