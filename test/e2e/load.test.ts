import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditManifest, auditUntilClean } from "../../src/audit/audit.ts";
import { readManifest } from "../../src/audit/buckets.ts";
import { auditCommand } from "../../src/cli/audit.ts";
import { produceCommand } from "../../src/cli/produce.ts";
import { isRunning } from "../../src/connect/apply.ts";
import { client, connect, ctx, eventually, type Sandbox, sandbox, sql } from "./harness.ts";

// The load tester end to end, through its CLI entry points, on a sandbox (own topic, table, connector, DLQ).
// Faults sent here are only those the sink handles safely today: duplicates, updates, not-JSON, missing field.
let box: Sandbox;
const dir = mkdtempSync(join(tmpdir(), "sluice-load-"));

async function cli(cmd: typeof produceCommand, argv: string[], signal = new AbortController().signal) {
  const lines: string[] = [];
  const code = await cmd.run(argv, { ctx, out: (l) => lines.push(l), signal });
  return { code, text: lines.join("\n") };
}

const produce = (name: string, args: string[], signal?: AbortSignal) =>
  cli(
    produceCommand,
    [
      "--topic",
      box.topic,
      "--seed",
      `${box.id}-${name}`,
      "--manifest",
      join(dir, `${name}.manifest.json`),
      "--json",
      join(dir, `${name}.json`),
      ...args,
    ],
    signal,
  );
const summaryOf = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
const manifestOf = (name: string) => readManifest(join(dir, `${name}.manifest.json`));
const clean = async (name: string) => {
  const r = await auditUntilClean(sql, box.table, manifestOf(name), { waitMs: 60_000, intervalMs: 500 });
  expect(r.diffs).toEqual([]);
  return r;
};

beforeAll(async () => {
  box = await sandbox("load", 3);
  await box.applySink();
});
afterAll(async () => {
  await box?.dispose({ topics: true });
  rmSync(dir, { recursive: true, force: true });
});

describe("sluice produce", () => {
  test("a rate run of a few seconds sends rate × duration records; summary and JSON agree; all land (zstd); e2e latency measured", async () => {
    const r = await produce("rate", [
      "--rate",
      "2000/s",
      "--duration",
      "3s",
      "--devices",
      "30",
      "--compression",
      "zstd",
      "--e2e",
      "--table",
      box.table,
      "--e2e-wait",
      "45s",
      "--threshold",
      "errors==0,sent==6000",
    ]);
    expect(r.code).toBe(0);
    const s = summaryOf("rate");
    expect([s.sent, s.valid, s.errors, s.mode, s.targetRate]).toEqual([6000, 6000, 0, "rate", 2000]);
    expect(r.text).toContain(
      `${s.sent.toLocaleString("en-US")} records sent in ${s.seconds.toFixed(2)} s, ${s.rate.toFixed(1)} records/sec`,
    );
    expect(r.text).toContain(
      `p50 ${s.latency.p50.toFixed(2)}, p95 ${s.latency.p95.toFixed(2)}, p99 ${s.latency.p99.toFixed(2)}, p99.9 ${s.latency["p99.9"].toFixed(2)}`,
    );
    expect(s.thresholds.map((t: { ok: boolean }) => t.ok)).toEqual([true, true]);
    expect(s.e2e.seen).toBeGreaterThan(0);
    expect(s.e2e.p99).toBeGreaterThan(0);
    expect(r.text).toContain(`p50 ${s.e2e.p50.toFixed(2)}`);
    const a = await clean("rate");
    expect(a.expectedRows).toBe(6000);
  });

  test("audit detects a deleted row, a changed value and an extra row, per device/minute, and exits 1", async () => {
    const m = manifestOf("rate");
    const [d1, d2, d3] = [...new Set(m.buckets.map((b) => b.device_id))];
    await sql.unsafe(
      `delete from ${box.table} where ctid = (select ctid from ${box.table} where device_id = $1 limit 1)`,
      [d1!],
    );
    await sql.unsafe(
      `update ${box.table} set value = value + 1 where ctid = (select ctid from ${box.table} where device_id = $1 limit 1)`,
      [d2!],
    );
    await sql.unsafe(
      `insert into ${box.table} (device_id, published_at, metric_name, value, tags)
       select device_id, published_at + interval '1 millisecond', metric_name, value, tags from ${box.table}
        where device_id = $1 and (device_id, published_at + interval '1 millisecond', metric_name) not in (select device_id, published_at, metric_name from ${box.table})
        limit 1`,
      [d3!],
    );
    const r = await auditManifest(sql, box.table, m);
    expect(r.ok).toBe(false);
    expect([r.missingRows, r.unexpectedRows, r.wrongValueBuckets]).toEqual([1, 1, 1]);
    expect(r.diffs.map((d) => [d.device_id, d.kind]).sort()).toEqual(
      [
        [d1, "missing"],
        [d2, "wrong-values"],
        [d3, "unexpected"],
      ].sort() as [string, string][],
    );
    const c = await cli(auditCommand, ["--manifest", join(dir, "rate.manifest.json"), "--table", box.table]);
    expect(c.code).toBe(1);
    for (const w of [
      "missing",
      "wrong-values",
      "unexpected",
      "audit: DIFFERENCES",
      "missing 1, unexpected 1, buckets with wrong values 1",
    ])
      expect(c.text).toContain(w);
  });

  test("injected duplicates, updates, not-JSON and missing-field records are counted; valid rows and last updates land (lz4)", async () => {
    const admin = client.admin();
    await admin.connect();
    const dlqBefore = (await admin.fetchTopicOffsets(box.dlq)).reduce((s, p) => s + Number(p.high), 0);
    const r = await produce("faults", [
      "--max",
      "--count",
      "6000",
      "--min-devices",
      "5",
      "--max-devices",
      "20",
      "--min-metrics",
      "200",
      "--max-metrics",
      "600",
      "--batch-size",
      "200",
      "--compression",
      "lz4",
      "--duplicate-ratio",
      "0.05",
      "--update-ratio",
      "0.05",
      "--malformed-ratio",
      "0.03",
      "--malformed-kinds",
      "not-json,missing-field",
    ]);
    expect(r.code).toBe(0);
    const s = summaryOf("faults");
    const inj = s.injected;
    expect(s.sent).toBe(6000);
    expect(s.valid + inj.duplicate + inj.update + inj.malformed + inj.invalid).toBe(6000);
    for (const k of ["duplicate", "update", "malformed"]) expect(inj[k]).toBeGreaterThan(50);
    expect(inj.invalid).toBe(0);
    expect(r.text).toContain(
      `injected: duplicate ${inj.duplicate.toLocaleString("en-US")}, update ${inj.update.toLocaleString("en-US")}, malformed ${inj.malformed.toLocaleString("en-US")}`,
    );
    const a = await clean("faults");
    expect(a.expectedRows).toBe(s.valid);
    // Every malformed record, and nothing else, went to the DLQ.
    await eventually(
      "malformed records in the DLQ",
      async () =>
        (await admin.fetchTopicOffsets(box.dlq)).reduce((n, p) => n + Number(p.high), 0) - dlqBefore === inj.malformed,
    );
    await admin.disconnect();
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  });

  test("Ctrl-C mid-run: the schedule stops, in-flight batches finish, the summary is printed, no acknowledged record is lost", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1500);
    const r = await produce("interrupt", ["--rate", "3000/s", "--devices", "25"], ac.signal);
    expect(r.code).toBe(0);
    const s = summaryOf("interrupt");
    expect(s.interrupted).toBe(true);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.sent).toBeLessThan(3000 * 10);
    expect(r.text).toContain("[interrupted]");
    expect((await clean("interrupt")).expectedRows).toBe(s.valid);
  });
});
