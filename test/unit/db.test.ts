import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CODES } from "../../src/contract/codes.ts";
import { formatReport } from "../../src/db/maintain.ts";
import { contractCodeRows } from "../../src/db/metric-codes.ts";
import { MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { loadPack, parsePack, retargetPack } from "../../src/db/queries.ts";
import { parseSince, parseSpan } from "../../src/db/span.ts";
import { memorySettings, renderMemoryConf } from "../../src/stack/pgtune.ts";

describe("spans", () => {
  test("short and long forms become milliseconds and an interval literal", () => {
    expect(parseSpan("1d")).toEqual({ ms: 86_400_000, pg: "1 days" });
    expect(parseSpan("6h")).toEqual({ ms: 21_600_000, pg: "6 hours" });
    expect(parseSpan("30 minutes")).toEqual({ ms: 1_800_000, pg: "30 minutes" });
    expect(parseSpan("2w")).toEqual({ ms: 14 * 86_400_000, pg: "14 days" });
  });
  test("months, zero and junk are refused with the expected form", () => {
    for (const bad of ["1mon", "0d", "d", "1 year", "-1d"])
      expect(() => parseSpan(bad)).toThrow(/expected a span like/);
  });
  test("--since is a span back from now or an ISO instant", () => {
    expect(parseSince("1h", 10_000_000).getTime()).toBe(10_000_000 - 3_600_000);
    expect(parseSince("2026-11-23T10:00:00Z", 0).toISOString()).toBe("2026-11-23T10:00:00.000Z");
    expect(() => parseSince("yesterday", 0)).toThrow(/--since/);
  });
});

describe("query pack", () => {
  test("blocks, descriptions and positional parameters; casts are left alone", () => {
    const [q] = parsePack(
      "-- header\n\n-- name: one\n-- about: does one\nselect :device::uuid, :since::timestamptz\n limit :limit;\n",
    );
    expect(q).toEqual({ name: "one", about: "does one", sql: "select $1::uuid, $2::timestamptz\n limit $3" });
  });
  test("retargetPack points every table and the rollup source at another table, leaving metric_codes alone", () => {
    const [q] = retargetPack(
      parsePack(
        "-- name: x\n-- about: y\nselect * from metrics m join metrics_rollup_1h r on true join metric_codes c on true where source = 'metrics' and 'metrics_landed_1m' <> '';\n",
      ),
      "t_q",
    );
    expect(q!.sql).toBe(
      "select * from t_q m join t_q_1h r on true join metric_codes c on true where source = 't_q' and 'metrics_landed_1m' <> ''",
    );
  });
  test("a block's `-- exact:` part is its raw-table variant, parsed the same way", () => {
    const [q] = parsePack("-- name: two\n-- about: x\nselect 1 from r where d = :device;\n-- exact:\nselect :limit;\n");
    expect(q).toEqual({ name: "two", about: "x", sql: "select 1 from r where d = $1", exact: "select $3" });
  });
  test("the shipped pack parses, each query has a description and no named parameter left", () => {
    const pack = loadPack();
    expect(pack.map((q) => q.name)).toEqual([
      "total_rows",
      "rows_per_device",
      "ingest_rate",
      "latest_value",
      "gaps",
      "p95_hourly",
      "top_noisy",
      "metric_codes",
      "rollup_freshness",
    ]);
    expect(new Set(pack.map((q) => q.name)).size).toBe(pack.length);
    for (const q of pack) {
      expect(q.about).not.toBe("");
      expect(q.sql).not.toMatch(/(?<!:):[a-z]/);
      expect(q.exact ?? "").not.toMatch(/(?<!:):[a-z]/);
    }
    expect(pack.filter((q) => q.exact).map((q) => q.name)).toEqual([
      "total_rows",
      "ingest_rate",
      "p95_hourly",
      "top_noisy",
    ]);
  });
});

describe("maintenance report", () => {
  test("rows in the default partition are a warning with their time range", () => {
    const lines = formatReport("metrics", {
      created: ["metrics_p20261124"],
      dropped: [],
      partitions: 9,
      defaultRows: 2,
      defaultOldest: new Date(Date.UTC(1971, 0, 1)),
      defaultNewest: new Date(Date.UTC(3000, 0, 1)),
    });
    expect(lines[0]).toBe("metrics: 9 partitions; created metrics_p20261124; dropped none");
    expect(lines[1]).toMatch(
      /^WARNING metrics: 2 rows in the default partition \(published 1971-01-01T00:00:00.000Z … 3000-01-01T00:00:00.000Z\)/,
    );
  });
});

describe("PostgreSQL memory settings from the machine", () => {
  const GiB = 1024 ** 3;
  test("24 GiB: the fixed values of services/postgres/postgresql.conf", () => {
    expect(memorySettings(24 * GiB)).toEqual({
      shared_buffers: "512MB",
      effective_cache_size: "12288MB",
      maintenance_work_mem: "768MB",
      work_mem: "24MB",
      wal_buffers: "64MB",
    });
  });
  test("small and large machines stay within the bounds", () => {
    expect(memorySettings(1 * GiB)).toMatchObject({
      shared_buffers: "256MB",
      maintenance_work_mem: "64MB",
      work_mem: "4MB",
      wal_buffers: "16MB",
    });
    expect(memorySettings(256 * GiB)).toMatchObject({
      shared_buffers: "512MB",
      maintenance_work_mem: "1024MB",
      work_mem: "64MB",
    });
  });
  test("the include file sets each setting once", () => {
    const lines = renderMemoryConf(24 * GiB)
      .split("\n")
      .filter((l) => /^\w+ = /.test(l));
    expect(lines.map((l) => l.split(" ")[0])).toEqual([
      "shared_buffers",
      "effective_cache_size",
      "maintenance_work_mem",
      "work_mem",
      "wal_buffers",
    ]);
  });
});

describe("migrations", () => {
  test("the journal's timestamps increase: drizzle skips a migration not newer than the last one applied", () => {
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as {
      entries: { idx: number; when: number; tag: string }[];
    };
    const late = journal.entries.filter((e, i) => i > 0 && e.when <= journal.entries[i - 1]!.when).map((e) => e.tag);
    expect(late).toEqual([]);
    expect(journal.entries.map((e) => e.idx)).toEqual(journal.entries.map((_, i) => i));
  });

  test("metric_codes rows follow the contract: every code once, with a unit and a description", () => {
    const rows = contractCodeRows();
    expect(rows.map((r) => r.code)).toEqual([...CODES].sort((a, b) => a - b));
    for (const r of rows) expect([r.name, r.unit.length > 0, r.description.length > 0]).toEqual([r.name, true, true]);
  });
});
