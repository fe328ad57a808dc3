import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBenchFlags } from "../../bench/lib/flags.ts";
import { runBench } from "../../bench/sink.ts";
import { ctx } from "./harness.ts";

// The Flink SQL peer (bench/peers/flink) through the bench harness on the shared stack: built by Maven into the
// cache on first use (a minute or two on a fresh machine, then reused), one JVM draining the backlog; the bench's
// exact check proves every row landed with its values (uuid, timestamptz, smallint, double, text[]).
const out = mkdtempSync(join(tmpdir(), "sluice-bench-flink-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run bench: Flink SQL peer", () => {
  test("20,000 rows through Flink SQL (Kafka source, JDBC upsert sink, parallelism 2): every row landed exactly, its JVM metered as the client", async () => {
    const flags = parseBenchFlags([
      "--rows",
      "20000",
      "--rounds",
      "1",
      "--warmup",
      "2000",
      "--scenario",
      "flink-sql",
      "--out",
      out,
      "--label",
      "test-flink",
    ]);
    const r = await runBench(flags, ctx);
    expect(r.results.map((x) => x.scenario)).toEqual(["flink-sql"]);
    const json = JSON.parse(readFileSync(r.json, "utf8"));
    const [x] = json.results;
    expect(x.rows).toBe(20_000);
    expect(x.rowsPerSec).toBeGreaterThan(0);
    expect(x.cpu.client).toBeGreaterThan(0);
    expect(x.cpu.postgres).toBeGreaterThan(0);
    expect(x.peakMb.client).toBeGreaterThan(0);
    expect(readFileSync(r.svg, "utf8")).toContain("Flink SQL");
  }, 900_000);
});
