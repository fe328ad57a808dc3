import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { parseBenchFlags, SCENARIOS } from "../../bench/lib/flags.ts";
import { cpuSecondsFromStat, groupMemoryMb, memoryFromStatus, parentFromStat } from "../../bench/lib/proc.ts";
import {
  median,
  renderChart,
  renderMemory,
  renderTable,
  reportJson,
  type ScenarioResult,
  summarize,
  summarizeRounds,
  withSpread,
} from "../../bench/lib/report.ts";
import { topicBytesOnDisk } from "../../bench/lib/scenarios.ts";
import { rotate } from "../../bench/sink.ts";

const result = (
  scenario: string,
  rows: number,
  seconds: number,
  extra: Partial<ScenarioResult> = {},
): ScenarioResult => ({
  scenario,
  label: scenario,
  rows,
  seconds,
  cpu: { connect: 2, postgres: 1, kafka: 0.5, client: 0.25 },
  peakMb: { connect: 900, postgres: 300 },
  peakTotalMb: 1200,
  ...extra,
});

describe("bench flags", () => {
  test("defaults: 1M rows, every scenario but the RF 1 ones in run order, no overrides", () => {
    const f = parseBenchFlags([]);
    expect(f).toMatchObject({
      rows: 1_000_000,
      scenarios: SCENARIOS.filter((s) => s !== "drain-rf1" && s !== "e2e-rf1"),
      keep: false,
      out: "bench/results",
      overrides: {},
      latencySeconds: 20,
      compression: "zstd",
    });
    expect(parseBenchFlags(["--compression", "none"]).compression).toBe("none");
  });

  test("rows with suffixes, a scenario subset kept in run order, repeated overrides split at the first =", () => {
    const f = parseBenchFlags([
      "--rows",
      "2m",
      "--scenario",
      "e2e, copy",
      "--override",
      "batch.size=5000",
      "--override",
      "connection.url=jdbc:x?a=b",
      "--label",
      "exp",
    ]);
    expect(f.rows).toBe(2_000_000);
    expect(f.scenarios).toEqual(["copy", "e2e"]);
    expect(f.overrides).toEqual({ "batch.size": "5000", "connection.url": "jdbc:x?a=b" });
    expect(f.label).toBe("exp");
  });

  test("bad values name the flag and the fix", () => {
    const fail = (argv: string[]) => {
      try {
        parseBenchFlags(argv);
      } catch (e) {
        return e instanceof z.ZodError ? z.prettifyError(e) : (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(fail(["--rows", "ten"])).toContain("rows");
    expect(fail(["--rows", "ten"])).toContain("whole number");
    expect(fail(["--scenario", "copy,warp"])).toContain(
      'unknown scenario "warp"; choose from copy-parallel, copy, drain',
    );
    expect(fail(["--override", "batch.size"])).toContain("key=value");
    expect(fail(["--compression", "snappy"])).toContain("compression");
    expect(fail(["--speed", "9"])).toContain("--speed");
  });
});

describe("/proc parsing", () => {
  test("CPU seconds are utime + stime after the command name, even one with spaces and parentheses", () => {
    const stat = "4242 (java (Connect) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 20 0 50 0 100 0 0";
    expect(cpuSecondsFromStat(stat)).toBeCloseTo(18.0, 5);
    expect(parentFromStat(stat)).toBe(1);
  });

  test("memory: anonymous pages of every process, mapped files and shared memory (PostgreSQL's buffers) once, in MB", () => {
    const backend = memoryFromStatus(
      "Name: postgres\nVmRSS:\t  307200 kB\nRssAnon:\t   10240 kB\nRssFile:\t   10240 kB\nRssShmem:\t  286720 kB\n",
    );
    const postmaster = memoryFromStatus(
      "Name: postgres\nVmRSS:\t 1064960 kB\nRssAnon:\t   20480 kB\nRssFile:\t   20480 kB\nRssShmem:\t 1024000 kB\n",
    );
    expect(backend).toEqual({ privateMb: 10, fileMb: 10, shmemMb: 280 });
    expect(groupMemoryMb([backend, postmaster])).toBe(10 + 20 + 20 + 1000);
    expect(memoryFromStatus("Name: old\nVmRSS:   204800 kB\n")).toEqual({ privateMb: 200, fileMb: 0, shmemMb: 0 });
    expect(groupMemoryMb([])).toBe(0);
  });
});

describe("bench report", () => {
  const results = [
    result("copy", 1_000_000, 8),
    result("drain", 1_000_000, 10, { steadySeconds: 9 }),
    result("latency", 100_000, 10, { latency: { rate: 10_000, p50: 120, p99: 250, max: 400, samples: 500 } }),
  ];

  test("rates, the ratio to the COPY of the same run and CPU per 1M rows", () => {
    const [copy, drain, lat] = summarize(results);
    expect(copy).toMatchObject({ rowsPerSec: 125_000, ratioToCopy: 1 });
    expect(drain).toMatchObject({
      rowsPerSec: 100_000,
      steadyRowsPerSec: 111_111,
      ratioToCopy: 0.8,
      cpuPer1M: { connect: 2, postgres: 1, kafka: 0.5, client: 0.3 },
    });
    expect(lat!.cpuPer1M.connect).toBe(20);
    expect(summarize([result("drain", 10, 1)])[0]!.ratioToCopy).toBeUndefined();
  });

  test("the table has a line per scenario with its ratio and latency", () => {
    const text = renderTable(summarize(results));
    const lines = text.split("\n");
    expect(lines[0]).toContain("× COPY");
    expect(lines.find((l) => l.startsWith("drain"))).toMatch(/100,000\s+0\.80\s+111,111/);
    expect(lines.find((l) => l.startsWith("latency"))).toContain("120 / 250");
    expect(renderMemory(summarize(results))).toContain("1,200");
  });

  test("the JSON holds every figure and parses back", () => {
    const json = reportJson({
      at: "2026-11-24T00:00:00.000Z",
      machine: { cores: 2, memoryGb: 24 },
      versions: { kafka: "4.3.1" },
      flags: { rows: 1 },
      results: summarize(results),
    });
    const back = JSON.parse(json);
    expect(back.results.map((r: { scenario: string }) => r.scenario)).toEqual(["copy", "drain", "latency"]);
    expect(back.results[1]).toMatchObject({ rowsPerSec: 100_000, ratioToCopy: 0.8, peakTotalMb: 1200 });
  });

  test("the chart is an SVG naming every scenario and its ratio", async () => {
    const svg = await renderChart(summarize(results), "test chart");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const s of ["copy", "drain", "latency", "0.80× COPY", "test chart"]) expect(svg).toContain(s);
  });
});

describe("bench rounds", () => {
  test("--rounds and --warmup: 3 and 200,000 by default, named when wrong", () => {
    expect(parseBenchFlags([])).toMatchObject({ rounds: 3, warmup: 200_000 });
    expect(parseBenchFlags(["--rounds", "5", "--warmup", "10k"])).toMatchObject({ rounds: 5, warmup: 10_000 });
    expect(() => parseBenchFlags(["--rounds", "0"])).toThrow(/rounds/);
  });

  test("each round starts one scenario later, so none is always first or last", () => {
    const xs = ["copy-parallel", "copy", "drain"];
    expect([0, 1, 2, 3].map((k) => rotate(xs, k)[0])).toEqual(["copy-parallel", "copy", "drain", "copy-parallel"]);
    expect(rotate(xs, 2)).toEqual(["drain", "copy-parallel", "copy"]);
    expect(rotate([], 1)).toEqual([]);
  });

  test("ratios are taken against the baselines of the same round; medians and spreads over the rounds", () => {
    // Round 2 is a slow round for everything: the drain's ratio holds although its rate drops.
    const rounds = [
      [result("copy-parallel", 1_000_000, 5), result("copy", 1_000_000, 10), result("drain", 1_000_000, 10)],
      [result("drain", 1_000_000, 20), result("copy-parallel", 1_000_000, 10), result("copy", 1_000_000, 20)],
      [
        result("copy", 1_000_000, 10),
        result("drain", 1_000_000, 8, { cpu: { connect: 4 } }),
        result("copy-parallel", 1_000_000, 5),
      ],
    ];
    const [par, copy, drain] = summarizeRounds(rounds);
    expect(par).toMatchObject({ scenario: "copy-parallel", rowsPerSec: 200_000, ratio: 1, ratioToCopy: 2, rounds: 3 });
    expect(copy).toMatchObject({ ratio: 0.5, ratioToCopy: 1 });
    expect(drain).toMatchObject({ rowsPerSec: 100_000, ratio: 0.5, ratioToCopy: 1, rounds: 3 });
    expect(drain!.spread).toEqual({ rowsPerSec: [50_000, 125_000], ratio: [0.5, 0.625], ratioToCopy: [1, 1.25] });
    expect(drain!.cpuPer1M.connect).toBe(2); // median of 2, 2, 4 CPU s over 1M rows
    expect(drain!.walBytesPerRow).toBeUndefined();
    const withBytes = summarizeRounds([
      [result("drain", 1000, 1, { walBytes: 150_000, topicBytes: 40_000, tableBytes: 200_000 })],
    ]);
    expect(withBytes[0]).toMatchObject({ walBytesPerRow: 150, topicBytesPerRow: 40, tableBytesPerRow: 200 });
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(withSpread(0.5, [0.5, 0.625])).toBe("0.50 (0.50–0.63)");
    expect(withSpread(0.5, [0.5, 0.5])).toBe("0.50");
    const text = renderTable(summarizeRounds(rounds));
    expect(text.split("\n")[0]).toContain("× COPY ∥");
    expect(text.split("\n").find((l) => l.startsWith("drain"))).toContain("0.50 (0.50–0.63)");
  });
});

describe("topic bytes on disk", () => {
  test("the segments of the topic's partitions on every local node, not the preallocated indexes or other topics", () => {
    const data = mkdtempSync(join(tmpdir(), "sluice-topic-bytes-"));
    const put = (node: string, dir: string, file: string, bytes: number) => {
      mkdirSync(join(data, node, "logs", dir), { recursive: true });
      writeFileSync(join(data, node, "logs", dir, file), Buffer.alloc(bytes));
    };
    put("kafka", "t-0", "00000000000000000000.log", 1000);
    put("kafka", "t-0", "00000000000000000000.index", 10_000);
    put("kafka-2", "t-1", "00000000000000000000.log", 500);
    put("kafka", "t-other-0", "00000000000000000000.log", 7000);
    put("kafka", "t.dlq-0", "00000000000000000000.log", 9000);
    put("connect", "t-0", "00000000000000000000.log", 9000);
    expect(topicBytesOnDisk(data, "t")).toBe(1500);
    rmSync(data, { recursive: true, force: true });
  });
});

describe("growth bands", () => {
  test("rows/s per band, interpolated between samples, the first band from the first sample with rows", async () => {
    const { bandRates } = await import("../../bench/growth.ts");
    // 0 rows for 1 s (start-up), then 100 rows/s, then 50 rows/s from row 200.
    const samples = [
      { t: 0, n: 0 },
      { t: 1000, n: 100 },
      { t: 2000, n: 200 },
      { t: 4000, n: 300 },
      { t: 6000, n: 400 },
    ];
    expect(bandRates(samples, 200, 400)).toEqual([
      { from: 0, to: 200, rowsPerSec: 100 },
      { from: 200, to: 400, rowsPerSec: 50 },
    ]);
    expect(bandRates([{ t: 0, n: 0 }], 10, 10)).toEqual([]);
  });
});

describe("the Debezium alternative connector file", () => {
  test("parses, keeps the settings the design notes require, and leaves topic, table and DLQ to each sandbox", async () => {
    const { debeziumOverrides } = await import("../../bench/lib/scenarios.ts");
    const o = debeziumOverrides(join(import.meta.dir, "..", ".."));
    expect(o).toMatchObject({
      "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
      "insert.mode": "upsert",
      "primary.key.mode": "record_key",
      "use.reduction.buffer": "true",
    });
    expect(o["batch.size"]).toBe(o["consumer.override.max.poll.records"]);
    expect(o["connection.password"]).toBe("${env:SLUICE_SINK_DB_PASSWORD}");
    for (const k of ["topics", "collection.name.format", "errors.deadletterqueue.topic.name"])
      expect(o[k]).toBeUndefined();
  });
});
