import { describe, expect, test } from "bun:test";
import type { ProducerRecord } from "kafkajs";
import { CompressionCodecs } from "kafkajs";
import lz4 from "lz4js";
import { z } from "zod";
import { diffBuckets } from "../../src/audit/diff.ts";
import { parseFlags } from "../../src/cli/command.ts";
import {
  PRODUCE_FLAGS,
  produceFlagsHelp,
  produceFlagsSchema,
  produceParseOptions,
} from "../../src/cli/produce-flags.ts";
import { parseEnv } from "../../src/config/env.ts";
import { CODES, Metric } from "../../src/contract/index.ts";
import { SluiceError } from "../../src/errors.ts";
import { COMPRESSION } from "../../src/kafka/codecs.ts";
import { lz4Frame } from "../../src/kafka/lz4-frame.ts";
import {
  FaultInjector,
  INVALID_KINDS,
  invalidRecord,
  MALFORMED_KINDS,
  malformedRecord,
  NO_FAULTS,
  type Outgoing,
} from "../../src/producer/faults.ts";
import { type WorkloadSpec, workload } from "../../src/producer/generator.ts";
import { runLoad } from "../../src/producer/loadtest.ts";
import { type Bucket, checksumHex, ManifestBuilder, rowChecksum } from "../../src/producer/manifest.ts";
import { summaryLines, thresholdValues, windowLine } from "../../src/producer/report.ts";
import { rng } from "../../src/producer/rng.ts";
import { evaluate, parseThresholds } from "../../src/producer/thresholds.ts";

const env = parseEnv({});
const parse = (argv: string[], e = env) =>
  parseFlags("produce", argv, produceParseOptions, produceFlagsSchema(e)).flags;
function usage(argv: string[]): string {
  try {
    parse(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return (e as SluiceError).message;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("produce flags", () => {
  test("defaults are the PoC's, taken from the environment", () => {
    const f = parse([]);
    expect([
      f.concurrency,
      f["min-metrics"],
      f["max-metrics"],
      f["min-devices"],
      f["max-devices"],
      f["batch-size"],
      f["max-in-flight"],
      f.interval,
    ]).toEqual([8, 2500, 7500, 3, 10, 250, 5, 250]);
    expect(parse([], parseEnv({ KAFKA_BATCH_SIZE: "1000", PRODUCER_MAX_DEVICES: "50" }))).toMatchObject({
      "batch-size": 1000,
      "max-devices": 50,
    });
    expect(f.codes).toEqual([...CODES]);
    expect(f.compression).toBe("zstd");
  });

  test("idempotence: on by default with three nodes, off on one; needs acks all", () => {
    expect(parse([]).idempotence).toBe("off");
    expect(parse([], parseEnv({ SLUICE_BROKERS: "3" })).idempotence).toBe("on");
    expect(parse(["--idempotence", "off"], parseEnv({ SLUICE_BROKERS: "3" })).idempotence).toBe("off");
    expect(parse([], parseEnv({ PRODUCER_IDEMPOTENCE: "on" })).idempotence).toBe("on");
    expect(usage(["--idempotence", "on", "--acks", "1"])).toContain("needs --acks all");
    expect(usage(["--idempotence", "yes"])).toContain("idempotence");
  });

  test("values: rate, duration, ratios, lists", () => {
    const f = parse([
      "--rate",
      "20k/s",
      "--duration",
      "1m",
      "--update-ratio",
      "0.1",
      "--codes",
      "0,30",
      "--count",
      "1_000",
    ]);
    expect([f.rate, f.duration, f["update-ratio"], f.codes, f.count]).toEqual([20_000, 60_000, 0.1, [0, 30], 1000]);
    expect(parse(["--duration", "500ms"]).duration).toBe(500);
    expect(parse(["--duration", "30"]).duration).toBe(30_000);
  });

  test("errors name the flag and the allowed range", () => {
    // zod prints the path as `at rate` or `at ["batch-size"]`.
    const refused = (argv: string[], ...parts: string[]) => {
      const msg = usage(argv);
      for (const p of parts) {
        if (p.startsWith('"')) expect(msg).toMatch(new RegExp(`at (${p.slice(1, -1)}|\\[${p}\\])`));
        else expect(msg).toContain(p);
      }
    };
    refused(["--batch-size", "0"], '"batch-size"', "from 1 to 100000", 'got "0"');
    refused(["--rate", "fast"], '"rate"', "from 1 to 10000000");
    refused(["--duration", "10 years"], '"duration"', "1ms to 7 days");
    refused(["--update-ratio", "2"], '"update-ratio"', "from 0 to 1");
    refused(["--codes", "0,7"], '"codes"', "0, 10, 20, 30, 40, 50");
    refused(["--compression", "snappy"], '"compression"', "none, gzip, lz4, zstd");
    refused(["--rate", "10", "--max"], '"rate"', "exclude each other");
    refused(["--min-devices", "20", "--max-devices", "10"], '"min-devices"', "must not exceed --max-devices (10)");
    refused(["--duplicate-ratio", "0.6", "--invalid-ratio", "0.6"], "add up to at most 1");
    refused(["--threshold", "p42<1ms"], '"threshold"', 'unknown metric "p42"');
    refused(["--bogus", "1"], "--bogus");
  });

  test("--help documents every flag with its default", () => {
    const help = produceFlagsHelp(env);
    for (const k of Object.keys(PRODUCE_FLAGS)) expect(help).toContain(`--${k}`);
    expect(help).toContain("(default 8, env PRODUCER_QUEUE_CONCURRENCY)");
    expect(help).toContain("(default 7500, env PRODUCER_MAX_METRICS)");
  });
});

const spec: WorkloadSpec = {
  seed: "s1",
  devices: { min: 3, max: 10 },
  metrics: { min: 2500, max: 7500 },
  codes: CODES,
  values: "uniform",
  tags: 2,
};

describe("workload generator", () => {
  test("a seed makes a run reproducible; another seed changes it", () => {
    const take = (s: WorkloadSpec) => {
      const w = workload(s);
      return Array.from({ length: 20_000 }, (_, i) => w.next(1_700_000_000_000 + i));
    };
    expect(take(spec)).toEqual(take({ ...spec }));
    expect(take({ ...spec, seed: "s2" })[0]!.device_id).not.toBe(take(spec)[0]!.device_id);
  });

  test("cycles stay within the device and metric bounds; keys are unique; every metric passes the contract", () => {
    const w = workload(spec);
    const keys = new Set<string>();
    const perCycle = new Map<number, { n: number; devices: Set<string> }>();
    for (let i = 0; i < 60_000; i++) {
      const c = w.cycle;
      const m = w.next(1_700_000_000_000 + Math.floor(i / 20)); // due times advance slower than the metrics: bumps happen
      const e = perCycle.get(c) ?? { n: 0, devices: new Set() };
      e.n++;
      e.devices.add(m.device_id);
      perCycle.set(c, e);
      keys.add(`${m.device_id}|${m.metric_name}|${m.published_at}`);
      if (i % 101 === 0) expect(Metric.parse(m)).toEqual(m);
    }
    expect(keys.size).toBe(60_000);
    const full = [...perCycle.values()].slice(0, -1); // the last cycle is cut short
    for (const e of full) {
      expect(e.n).toBeGreaterThanOrEqual(2500);
      expect(e.n).toBeLessThanOrEqual(7500);
      expect(e.devices.size).toBeGreaterThanOrEqual(3);
      expect(e.devices.size).toBeLessThanOrEqual(10);
    }
    expect(new Set(full.map((e) => e.devices.size)).size).toBeGreaterThan(1);
  });

  test("fixed pool, chosen codes, distributions stay in range", () => {
    for (const values of ["uniform", "normal", "walk"] as const) {
      const w = workload({ ...spec, devices: { fixed: 4 }, codes: [20, 40], values, tags: 5 });
      expect(w.pool.length).toBe(4);
      for (let i = 0; i < 5000; i++) {
        const m = w.next(0);
        expect([20, 40]).toContain(m.metric_name);
        expect(m.tags.length).toBe(5);
        const [lo, hi] = m.metric_name === 20 ? [950, 1050] : [0, 1000];
        expect(m.value).toBeGreaterThanOrEqual(lo);
        expect(m.value).toBeLessThan(hi);
      }
    }
  });
});

const metric = (): Metric => workload({ ...spec, devices: { fixed: 1 } }).next(1_700_000_000_000);

describe("fault injection", () => {
  test("malformed records: not JSON, missing field, wrong type", () => {
    const m = metric();
    expect(() => JSON.parse(malformedRecord(m, "not-json").value)).toThrow();
    expect(JSON.parse(malformedRecord(m, "missing-field").value).value).toBeUndefined();
    expect(JSON.parse(malformedRecord(m, "wrong-type").value).value).toBe("hot");
    for (const k of MALFORMED_KINDS) expect(malformedRecord(m, k).kind).toBe("malformed");
  });

  test("invalid records parse as JSON but fail the contract, key and value alike", () => {
    const m = metric();
    for (const k of INVALID_KINDS) {
      const r = invalidRecord(m, k);
      const v = JSON.parse(r.value);
      expect(Metric.safeParse(v).success).toBe(false);
      expect(JSON.parse(r.key).device_id).toBe(v.device_id);
    }
  });

  test("ratios are respected; re-sends only of acknowledged records, never two in flight for one key", () => {
    const w = workload(spec);
    const f = new FaultInjector(
      { ...NO_FAULTS, duplicate: 0.1, update: 0.1, malformed: 0.05, invalid: 0.05 },
      rng("f"),
    );
    const counts: Record<string, number> = {};
    const inFlight = new Set<string>();
    let batch: Outgoing[] = [];
    for (let i = 0; i < 50_000; i++) {
      const r = f.next(() => w.next(1_700_000_000_000));
      counts[r.kind] = (counts[r.kind] ?? 0) + 1;
      if (r.kind === "duplicate" || r.kind === "update") {
        expect(inFlight.has(r.key)).toBe(false);
        if (r.kind === "update") expect(r.previous).not.toBe(r.metric!.value);
      }
      inFlight.add(r.key);
      batch.push(r);
      if (batch.length === 100) {
        for (const o of batch) inFlight.delete(o.key);
        f.acked(batch);
        batch = [];
      }
    }
    for (const [k, p] of [
      ["duplicate", 0.1],
      ["update", 0.1],
      ["malformed", 0.05],
      ["invalid", 0.05],
    ] as const) {
      expect(Math.abs(counts[k]! / 50_000 - p)).toBeLessThan(0.01);
    }
  });
});

describe("manifest", () => {
  test("buckets count rows per device × code × minute; an update swaps the checksum term", () => {
    const w = workload({ ...spec, devices: { fixed: 2 } });
    const ms = Array.from({ length: 1000 }, () => w.next(1_700_000_000_000));
    const a = new ManifestBuilder();
    for (const m of ms) a.add(m);
    expect(a.size).toBe(1000);
    const built = a.build({ topic: "t", seed: "s", startedAt: new Date(0), finishedAt: new Date(1) });
    expect(built.buckets.reduce((s, b) => s + b.count, 0)).toBe(1000);
    // Updating a value then recording the same rows with the new value gives the same manifest.
    const b = new ManifestBuilder();
    for (const m of ms) b.add(m);
    b.replace({ ...ms[5]!, value: 42 }, ms[5]!.value);
    const c = new ManifestBuilder();
    for (const m of ms) c.add(m === ms[5] ? { ...m, value: 42 } : m);
    const meta = { topic: "t", seed: "s", startedAt: new Date(0), finishedAt: new Date(1) };
    expect(b.build(meta)).toEqual(c.build(meta));
    expect(b.build(meta)).not.toEqual(a.build(meta));
  });

  test("row checksum: md5 of int64 ms ‖ float64 value, big-endian (what PostgreSQL computes)", () => {
    const [hi, lo] = rowChecksum(1_700_000_000_123, 21.5);
    const buf = Buffer.alloc(16);
    buf.writeBigInt64BE(1_700_000_000_123n, 0);
    buf.writeDoubleBE(21.5, 8);
    expect(checksumHex(hi, lo)).toBe(new Bun.CryptoHasher("md5").update(buf).digest("hex").slice(0, 16));
  });
});

describe("audit diff", () => {
  const b = (
    device_id: string,
    count: number,
    checksum = "00000000000000aa",
    minute = 100,
    metric_name = 0,
  ): Bucket => ({ device_id, metric_name, minute, count, checksum });

  test("clean when equal", () => {
    const r = diffBuckets([b("a", 3), b("b", 2)], [b("b", 2), b("a", 3)]);
    expect(r).toMatchObject({
      ok: true,
      expectedRows: 5,
      actualRows: 5,
      missingRows: 0,
      unexpectedRows: 0,
      wrongValueBuckets: 0,
    });
  });

  test("detects a deleted row, a changed value and an extra row, per device and minute, with totals", () => {
    const r = diffBuckets(
      [b("a", 3), b("b", 2), b("c", 4)],
      [b("a", 2), b("b", 2, "00000000000000bb"), b("c", 5), b("d", 1, "0000000000000001", 101)],
    );
    expect(r.ok).toBe(false);
    expect(r.diffs.map((d) => [d.device_id, d.kind, d.expectedRows, d.actualRows])).toEqual([
      ["a", "missing", 3, 2],
      ["b", "wrong-values", 2, 2],
      ["c", "unexpected", 4, 5],
      ["d", "unexpected", 0, 1],
    ]);
    expect(r).toMatchObject({
      expectedRows: 9,
      actualRows: 10,
      missingRows: 1,
      unexpectedRows: 2,
      wrongValueBuckets: 1,
    });
    expect(r.buckets).toEqual({ expected: 3, actual: 4, differing: 4 });
  });

  test("a bucket missing from the table counts all its rows as missing", () => {
    expect(diffBuckets([b("a", 7)], [])).toMatchObject({ missingRows: 7, ok: false });
  });
});

describe("thresholds", () => {
  test("parse units and evaluate", () => {
    const t = parseThresholds("p99<50ms, rate>40k, errors==0, p99.9<=1s, e2e_p99<2000");
    expect(t.map((x) => [x.metric, x.op, x.bound])).toEqual([
      ["p99", "<", 50],
      ["rate", ">", 40_000],
      ["errors", "==", 0],
      ["p99.9", "<=", 1000],
      ["e2e_p99", "<", 2000],
    ]);
    const values = {
      p50: 1,
      p95: 2,
      p99: 49,
      "p99.9": 1000,
      max: 5,
      avg: 1,
      e2e_p50: null,
      e2e_p99: null,
      rate: 40_001,
      errors: 1,
      sent: 5,
      lag: 0,
    };
    expect(evaluate(t, values).map((r) => r.ok)).toEqual([true, true, false, true, false]);
  });

  test("refuses bad expressions with the allowed metrics", () => {
    expect(() => parseThresholds("p99~5")).toThrow(/cannot parse[\s\S]*metrics: p50/);
    expect(() => parseThresholds("errors<5ms")).toThrow("errors takes no time unit");
  });
});

describe("codecs", () => {
  const data = Buffer.from(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ i, v: i % 17 }))));
  test("lz4 frames: independent blocks (Kafka refuses dependent ones), round trip, several blocks", async () => {
    const f = lz4Frame(data);
    expect(f.readUInt32LE(0)).toBe(0x184d2204);
    expect(f[4]! & 0x20).toBe(0x20);
    expect(Buffer.from(lz4.decompress(f)).equals(data)).toBe(true);
    const codec = (
      CompressionCodecs as unknown as Record<
        number,
        () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
      >
    )[COMPRESSION.lz4]!();
    expect((await codec.decompress(await codec.compress({ buffer: data }))).equals(data)).toBe(true);
  });

  test("zstd round trip through the registered codec", async () => {
    const codec = (
      CompressionCodecs as unknown as Record<
        number,
        () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
      >
    )[COMPRESSION.zstd]!();
    const c = await codec.compress({ buffer: data });
    expect(c.length).toBeLessThan(data.length);
    expect((await codec.decompress(c)).equals(data)).toBe(true);
  });
});

describe("runLoad (in-memory producer)", () => {
  function fakeProducer() {
    const sent: ProducerRecord[] = [];
    return {
      sent,
      producer: {
        send: async (r: ProducerRecord) => {
          sent.push(r);
          return [];
        },
      },
    };
  }

  test("--count with faults: every record accounted for, injected counted apart, manifest holds only valid rows", async () => {
    const { sent, producer } = fakeProducer();
    const manifest = new ManifestBuilder();
    const s = await runLoad({
      producer,
      topic: "t",
      partitions: 6,
      schemaId: 1,
      mode: { kind: "max" },
      workload: workload(spec),
      faults: new FaultInjector(
        { ...NO_FAULTS, duplicate: 0.05, update: 0.05, malformed: 0.02, invalid: 0.02 },
        rng("x"),
      ),
      count: 20_000,
      batchSize: 250,
      concurrency: 4,
      compression: "none",
      acks: -1,
      partitioner: "device",
      manifest,
    });
    const total = sent.reduce((n, r) => n + r.messages.length, 0);
    expect(total).toBe(20_000);
    expect(s.sent).toBe(20_000);
    const inj = s.injected.duplicate + s.injected.update + s.injected.malformed + s.injected.invalid;
    expect(s.valid + inj).toBe(20_000);
    expect(manifest.size).toBe(s.valid);
    for (const k of ["duplicate", "update", "malformed", "invalid"] as const) expect(s.injected[k]).toBeGreaterThan(0);
    expect(s.errors).toBe(0);
    expect(s.latency.count).toBe(20_000);
  });

  test("the summary text and the JSON carry the same numbers; window line format", async () => {
    const { producer } = fakeProducer();
    const s = await runLoad({
      producer,
      topic: "t",
      partitions: 3,
      schemaId: 1,
      mode: { kind: "rate", perSec: 5000 },
      workload: workload(spec),
      faults: new FaultInjector(NO_FAULTS, rng("y")),
      durationMs: 400,
      batchSize: 100,
      concurrency: 2,
      compression: "none",
      acks: -1,
      partitioner: "device",
    });
    expect(s.sent).toBe(2000); // rate × duration, exactly
    const json = JSON.parse(JSON.stringify(s));
    const text = summaryLines(s).join("\n");
    expect(text).toContain(`${json.sent.toLocaleString("en-US")} records sent`);
    expect(text).toContain(`p99 ${json.latency.p99.toFixed(2)}`);
    expect(text).toContain(`${json.rate.toFixed(1)} records/sec`);
    expect(thresholdValues(s).p99).toBe(json.latency.p99);
    expect(windowLine({ records: 5000, bytes: 1048576, seconds: 2, avgMs: 1.5, maxMs: 9 })).toBe(
      "5,000 records sent, 2500.0 records/sec (0.50 MB/sec), 1.50 ms avg latency, 9.00 ms max latency.",
    );
  });

  test("a failing send counts errors and does not stop the run; an abort stops the schedule and awaits in-flight batches", async () => {
    let calls = 0;
    const producer = {
      send: async () => {
        if (++calls % 2 === 0) throw new Error("broker said no");
        await Bun.sleep(5);
        return [];
      },
    };
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const s = await runLoad({
      producer,
      topic: "t",
      partitions: 3,
      schemaId: 1,
      mode: { kind: "rate", perSec: 2000 },
      workload: workload(spec),
      faults: new FaultInjector(NO_FAULTS, rng("z")),
      batchSize: 50,
      concurrency: 2,
      compression: "none",
      acks: -1,
      partitioner: "device",
      signal: ac.signal,
    });
    expect(s.interrupted).toBe(true);
    expect(s.errors).toBeGreaterThan(0);
    expect(s.firstError).toBe("broker said no");
    expect(s.sent + s.errors).toBeGreaterThan(0);
    expect(s.sent + s.errors).toBeLessThan(2000);
  });
});

void z;
