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
  test("20,000 rows through COPY, the Sluice sink, the Debezium alternative and the Bun consumer peer: JSON and SVG written, every row landed", async () => {
    const flags = parseBenchFlags([
      "--rows",
      "20000",
      "--scenario",
      "copy,drain,drain-debezium,bun-consumer",
      "--out",
      out,
      "--label",
      "test",
    ]);
    const r = await runBench(flags, ctx);
    expect(r.results.map((x) => x.scenario)).toEqual(["copy", "drain", "drain-debezium", "bun-consumer"]);
    const json = JSON.parse(readFileSync(r.json, "utf8"));
    expect(json.flags.rows).toBe(20_000);
    for (const x of json.results) {
      expect(x.rows).toBe(20_000);
      expect(x.rowsPerSec).toBeGreaterThan(0);
      expect(x.ratioToCopy).toBeGreaterThan(0);
      expect(x.cpu.postgres).toBeGreaterThan(0);
      expect(x.peakTotalMb).toBeGreaterThan(0);
    }
    expect(json.results.find((x: { scenario: string }) => x.scenario === "drain").cpu.connect).toBeGreaterThan(0);
    expect(readFileSync(r.svg, "utf8")).toContain("Bun consumer");
  }, 300_000);
});
