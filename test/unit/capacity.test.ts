import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capacityDoc, referenceFrom, type SinkJson } from "../../bench/capacity.ts";
import { type CapacityReference, DEFAULT_INPUT, estimate, formatEstimate } from "../../src/capacity/model.ts";
import { capacityCommand } from "../../src/cli/capacity.ts";
import { SluiceError } from "../../src/errors.ts";
import { createStackContext } from "../../src/stack/context.ts";

const ref: CapacityReference = {
  source: { files: ["bench/reference/x.json"], at: "2026-12-04T12:00:00Z", commit: "abc123", cores: 2 },
  cpuPer1M: { producer: 10, kafka: 2, connect: 6, postgres: 12 },
  memoryMb: { kafka: 600, connect: 1100, postgres: 900, registry: 240 },
  bytesPerRow: { table: 200, rollups: 8, wal: 300, kafka: 40 },
  perTaskRowsPerSec: 50_000,
  tasks: 2,
  kafkaRetentionMs: 7 * 86_400_000,
};
const input = { ...DEFAULT_INPUT, rate: 100_000, retentionDays: 30 };

describe("capacity model", () => {
  test("cores = CPU s per 1M rows × rate ÷ utilisation; machines, memory and disk follow", () => {
    const e = estimate(ref, input);
    const need = (c: string) => e.needs.find((n) => n.component === c)!;
    expect(need("PostgreSQL").cores).toBeCloseTo((12 * 0.1) / 0.6, 6); // 2 cores
    expect(need("Connect workers").cores).toBeCloseTo(1, 6);
    expect(need("PostgreSQL").nodes).toBe(1);
    // 30 days of raw rows at 200 B + a year of rollups at 8 B per row, 8.64e9 rows per day.
    expect(need("PostgreSQL").diskGb).toBeCloseTo((200 * 8.64e9 * 30 + 8 * 8.64e9 * 365) / 1e9, 3);
    // The topic: 7 days × RF 3 at 40 B per replica; at least RF brokers.
    expect(need("Kafka brokers").diskGb).toBeCloseTo((40 * 8.64e9 * 7 * 3) / 1e9, 3);
    expect(need("Kafka brokers").nodes).toBe(3);
    expect(need("Kafka brokers").cores).toBeCloseTo(((2 * 0.1) / 0.6) * 2, 6); // followers at half a leader each
  });

  test("tasks cover the rate at the measured per-task rate with headroom, partitions twice the tasks", () => {
    expect(estimate(ref, input)).toMatchObject({ tasks: 4, partitions: 8 }); // 100k / (50k × 0.6) → 4
    expect(estimate(ref, { ...input, rate: 1000 })).toMatchObject({ tasks: 2, partitions: 4 }); // never below shipped
  });

  test("limits ascending: the first is what saturates first, each with the way past it", () => {
    const e = estimate(ref, input);
    const rates = e.limits.map((l) => l.rate);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    // WAL: 500 MB/s ÷ 300 B per row ≈ 1.67M rows/s; PostgreSQL CPU on 16 cores: 16 × 0.6 × 1e6 / 12 = 800k rows/s.
    expect(e.limits[0]!.what).toContain("PostgreSQL CPU");
    expect(e.limits[0]!.rate).toBeCloseTo(800_000, 3);
    expect(e.limits.find((l) => l.what.includes("WAL"))!.rate).toBeCloseTo(5e8 / 300, 3);
    for (const l of e.limits) expect(l.wayPast.length).toBeGreaterThan(10);
  });

  test("the printed estimate names its assumptions and the reference it is derived from", () => {
    const text = formatEstimate(ref, estimate(ref, input)).join("\n");
    for (const s of [
      "100,000 rows/s",
      "RF 3",
      "16-core",
      "60 %",
      "bench/reference/x.json",
      "abc123",
      "Plan 4 sink tasks",
    ])
      expect(text).toContain(s);
    expect(capacityDoc(ref)).toContain("1,000,000 rows/s");
  });
});

describe("the shipped reference", () => {
  test("src/capacity/reference.json is complete, and docs/capacity.md is what it generates", () => {
    const root = join(import.meta.dir, "..", "..");
    const shipped = JSON.parse(
      readFileSync(join(root, "src", "capacity", "reference.json"), "utf8"),
    ) as CapacityReference;
    for (const v of [
      ...Object.values(shipped.cpuPer1M),
      ...Object.values(shipped.bytesPerRow),
      shipped.perTaskRowsPerSec,
    ])
      expect(v).toBeGreaterThan(0);
    for (const f of shipped.source.files) expect(existsSync(join(root, f))).toBe(true);
    expect(readFileSync(join(root, "docs", "capacity.md"), "utf8")).toBe(capacityDoc(shipped));
  });
});

describe("reference figures from the bench's JSON", () => {
  const sink: SinkJson = {
    at: "2026-12-04T12:00:00Z",
    commit: "abc123",
    machine: { cores: 2 },
    flags: { overrides: {} },
    results: [
      {
        scenario: "e2e",
        rowsPerSec: 50_000,
        cpuPer1M: { client: 12, kafka: 3, connect: 8, postgres: 15 },
        peakMb: { kafka: 600.4, connect: 1100, postgres: 900, registry: 240 },
      },
      {
        scenario: "drain",
        rowsPerSec: 90_000,
        cpuPer1M: {},
        peakMb: {},
        walBytesPerRow: 310,
        topicBytesPerRow: 42,
        tableBytesPerRow: 210,
      },
    ],
  };
  const queries = { rows: 1000, bytes: { rollup_1m: "7000", rollup_1h: 500 } };

  test("end-to-end CPU and memory, the drain's bytes per row and per-task rate, the rollups' bytes", () => {
    const r = referenceFrom(sink, queries, ["a.json", "b.json"], 2, 604_800_000);
    expect(r.cpuPer1M).toEqual({ producer: 12, kafka: 3, connect: 8, postgres: 15 });
    expect(r.memoryMb.kafka).toBe(600);
    expect(r.bytesPerRow).toEqual({ table: 210, rollups: 7.5, wal: 310, kafka: 42 });
    expect(r).toMatchObject({ perTaskRowsPerSec: 45_000, tasks: 2, kafkaRetentionMs: 604_800_000 });
  });

  test("a run without the figures is refused, naming what to rerun", () => {
    const old = { ...sink, results: [sink.results[0]!, { ...sink.results[1]!, walBytesPerRow: undefined }] };
    expect(() => referenceFrom(old, queries, ["old.json"], 2, 1)).toThrow(
      /old.json: the drain has no WAL bytes per row/,
    );
    expect(() => referenceFrom({ ...sink, results: [] }, queries, ["x.json"], 2, 1)).toThrow(/no "e2e" result/);
  });
});

describe("sluice capacity", () => {
  const root = mkdtempSync(join(tmpdir(), "sluice-capacity-"));
  const base = createStackContext({ SLUICE_DATA_DIR: join(root, ".sluice") });
  const ctx = { ...base, paths: { ...base.paths, root } };
  const run = async (argv: string[]) => {
    const lines: string[] = [];
    const code = await capacityCommand.run(argv, { ctx, out: (l: string) => lines.push(l) } as never);
    return { code, text: lines.join("\n") };
  };

  test("without reference figures it says how to make them", async () => {
    const e = await run(["--rate", "200k/s"]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SluiceError);
    expect((e as Error).message).toContain("bun bench/main.ts capacity");
  });

  test("prints the estimate for the flags; a bad flag is named", async () => {
    mkdirSync(join(root, "src", "capacity"), { recursive: true });
    writeFileSync(join(root, "src", "capacity", "reference.json"), JSON.stringify(ref));
    const r = await run(["--rate", "200k/s", "--retention", "7d", "--rf", "1"]);
    expect(r.code).toBe(0);
    expect(r.text).toContain("200,000 rows/s, raw rows kept 7 days, RF 1");
    const e = await run(["--rate", "200k/s", "--retention", "soon"]).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/7d, 30d or 12w, got "soon"[\s\S]*at retention/);
    rmSync(root, { recursive: true, force: true });
  });
});
