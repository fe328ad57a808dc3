import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchFlags } from "../../bench/lib/flags.ts";
import { runBench } from "../../bench/sink.ts";
import { ctx } from "./harness.ts";

// The bench harness end to end on the shared stack, small: it proves the scenarios run and every row lands; the
// figures themselves come from `npm run bench` on a quiet machine (no timing assertions here).
const out = mkdtempSync(join(tmpdir(), "sluice-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run bench", () => {
  test("20,000 rows through both COPY baselines, the Sluice sink, the Debezium alternative and the Bun consumer peer, warmed up and in two rotated rounds: JSON and SVG written, every row landed", async () => {
    const flags = parseBenchFlags([
      "--rows",
      "20000",
      "--rounds",
      "2",
      "--warmup",
      "5000",
      "--scenario",
      "copy-parallel,copy,drain,drain-debezium,bun-consumer",
      "--out",
      out,
      "--label",
      "test",
    ]);
    const r = await runBench(flags, ctx);
    const names = ["copy-parallel", "copy", "drain", "drain-debezium", "bun-consumer"];
    expect(r.results.map((x) => x.scenario)).toEqual(names);
    const json = JSON.parse(readFileSync(r.json, "utf8"));
    expect(json.flags.rows).toBe(20_000);
    // Two measured rounds, the second starting one scenario later.
    expect(json.rounds.map((rs: { scenario: string }[]) => rs.map((x) => x.scenario))).toEqual([
      names,
      [...names.slice(1), names[0]],
    ]);
    for (const x of json.results) {
      expect(x.rows).toBe(20_000);
      expect(x.rounds).toBe(2);
      expect(x.rowsPerSec).toBeGreaterThan(0);
      expect(x.ratio).toBeGreaterThan(0);
      expect(x.spread.ratio[0]).toBeLessThanOrEqual(x.spread.ratio[1]);
      expect(x.ratioToCopy).toBeGreaterThan(0);
      expect(x.cpu.postgres).toBeGreaterThan(0);
      expect(x.peakTotalMb).toBeGreaterThan(0);
    }
    expect(json.results.find((x: { scenario: string }) => x.scenario === "drain").cpu.connect).toBeGreaterThan(0);
    expect(readFileSync(r.svg, "utf8")).toContain("Bun consumer");
  }, 600_000);
});
