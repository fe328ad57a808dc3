// PostgreSQL side of the pipeline: partition maintenance, retention and the default partition, incremental rollups
// under replays and updates, the analyst query pack, and the roles. Partition and rollup tests run on tables made
// for the test (the functions take the table name); the query pack and the roles are checked on the real tables.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { maintain, rollupOnce } from "../../src/db/maintain.ts";
import { contractCodeRows, syncMetricCodes } from "../../src/db/metric-codes.ts";
import { loadPack, runPackQuery } from "../../src/db/queries.ts";
import { parseSpan } from "../../src/db/span.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { ctx, sql } from "./harness.ts";

const id = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const parted = `t_dbpart_${id}`;
const rolled = `t_dbroll_${id}`;
const DAY = 86_400_000;
const dev = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** An upsert like the sink's (its fallback path, and the Debezium JDBC sink's statement), one row per call. */
function upsert(
  db: postgres.Sql,
  table: string,
  device: string,
  at: Date,
  metric: number,
  value: number,
  tags: string[] = [],
) {
  return db.unsafe(
    `insert into ${table} (device_id, published_at, metric_name, value, tags) values ($1, $2, $3, $4, $5)
     on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`,
    [device, at, metric, value, tags],
  );
}

/** A partitioned metrics-shaped table with a default partition, as migration 0001 makes `metrics`. */
async function partitionedTable(name: string) {
  await sql.unsafe(`create table ${name} (like metrics including all) partition by range (published_at)`);
  await sql.unsafe(`create table ${name}_default partition of ${name} default`);
}

const sinkSql = postgres(roleUrl(ctx, "sink"), { max: 1, onnotice: () => {} });
const analystSql = postgres(roleUrl(ctx, "analyst"), { max: 1, onnotice: () => {} });

beforeAll(async () => {
  await partitionedTable(parted);
  await partitionedTable(rolled);
  await sql.unsafe(`select sluice_track_updates('${rolled}')`);
  await sql.unsafe(`create table ${rolled}_1m (like metrics_rollup_1m including all)`);
  await sql.unsafe(`create table ${rolled}_1h (like metrics_rollup_1h including all)`);
});

afterAll(async () => {
  for (const t of [parted, rolled, `${rolled}_1m`, `${rolled}_1h`])
    await sql.unsafe(`drop table if exists ${t} cascade`);
  await sql`delete from sluice_rollup_state where source = ${rolled}`;
  await sinkSql.end({ timeout: 5 });
  await analystSql.end({ timeout: 5 });
});

describe("partitions: created ahead, retention, default partition", () => {
  test("maintain creates partitions ahead, drops whole old ones, keeps newer rows and reports the default partition", async () => {
    const now = Date.now();
    // Ten days back: partitions made by an earlier run (as the schedule would have).
    await sql.unsafe(`select sluice_ensure_partitions('${parted}', '1 day', now() - interval '10 days', now())`);
    const rows = [now - 9 * DAY, now - 3 * DAY, now, now + 2 * DAY, Date.UTC(1971, 0, 1), Date.UTC(3000, 0, 1)];
    for (const [i, t] of rows.entries()) await upsert(sql, parted, dev(i), new Date(t), 0, i);

    const report = await maintain(sql, {
      table: parted,
      interval: parseSpan("1d"),
      ahead: 3,
      retention: parseSpan("5d"),
    });

    // Ahead: every day up to now + 3 days has its partition.
    const parts = await sql.unsafe(
      `select lower_bound, upper_bound from sluice_partitions('${parted}') where not is_default order by lower_bound`,
    );
    const last = parts.at(-1)!.upper_bound as Date;
    expect(last.getTime()).toBeGreaterThanOrEqual(now + 3 * DAY);
    // Days were made from now − 10 d through today: the pass adds tomorrow to today + 4 (it makes one interval more
    // than `ahead`, so "3 ahead" still holds until the next pass), and drops the five days that end before now − 5 d.
    expect(report.created.length).toBe(4);
    // Retention: the partitions of days wholly older than 5 days are gone, with their row.
    expect(report.dropped.length).toBe(5);
    expect((parts[0]!.lower_bound as Date).getTime()).toBeGreaterThan(now - 6 * DAY);
    const left = await sql.unsafe(
      `select (extract(epoch from published_at) * 1000)::bigint as ms from ${parted} order by 1`,
    );
    expect(left.map((r) => Number(r.ms))).toEqual([
      Date.UTC(1971, 0, 1),
      now - 3 * DAY,
      now,
      now + 2 * DAY,
      Date.UTC(3000, 0, 1),
    ]);
    // The far past and far future landed in the default partition (never failing the sink) and are reported.
    expect(report.defaultRows).toBe(2);
    expect(report.defaultOldest!.toISOString()).toBe("1971-01-01T00:00:00.000Z");
    expect(report.defaultNewest!.toISOString()).toBe("3000-01-01T00:00:00.000Z");
    // A second run changes nothing.
    const again = await maintain(sql, {
      table: parted,
      interval: parseSpan("1d"),
      ahead: 3,
      retention: parseSpan("5d"),
    });
    expect([again.created, again.dropped]).toEqual([[], []]);
  });

  test("sluice_retained_from: the oldest kept instant, the default partition's older rows first, then the bounds", async () => {
    // It runs as the owner of `metrics` and its partitions; this test's table is the test's.
    await sql.unsafe(`grant select on ${parted}_default to sluice_owner`);
    const [withDefault] = await sql.unsafe(`select sluice_retained_from('${parted}') as t`);
    expect((withDefault!.t as Date).toISOString()).toBe("1971-01-01T00:00:00.000Z");
    const [oldest] = await sql.unsafe(
      `select min(lower_bound) as t from sluice_partitions('${parted}') where not is_default`,
    );
    await sql.unsafe(`delete from ${parted}_default where published_at < '2000-01-01'`);
    const [bound] = await sql.unsafe(`select sluice_retained_from('${parted}') as t`);
    expect((bound!.t as Date).getTime()).toBe((oldest!.t as Date).getTime());
  });

  test("a partition created for a range that has rows waiting in the default partition takes them over", async () => {
    const at = new Date(Date.now() + 40 * DAY);
    await upsert(sql, parted, dev(100), at, 10, 1.5);
    const [before] = await sql.unsafe(`select count(*)::int as n from ${parted}_default`);
    const made = await sql.unsafe(
      `select * from sluice_ensure_partitions('${parted}', '1 day', $1::timestamptz, $1::timestamptz + interval '1 second')`,
      [at],
    );
    expect(made.length).toBe(1);
    const [after] = await sql.unsafe(`select count(*)::int as n from ${parted}_default`);
    expect(after!.n).toBe(before!.n - 1);
    const [row] = await sql.unsafe(
      `select value, tableoid::regclass::text as part from ${parted} where device_id = $1`,
      [dev(100)],
    );
    expect({ ...row }).toEqual({ value: 1.5, part: made[0]!.sluice_ensure_partitions });
  });
});

describe("rollups under replays and updates", () => {
  /** Rollup rows that differ from a GROUP BY over the raw rows (both ways). */
  async function mismatches(width: "1 minute" | "1 hour", rollup: string) {
    return sql.unsafe(`
      with raw as (
        select device_id, metric_name, date_bin('${width}', published_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
               count(*) as n, min(value) as min_value, max(value) as max_value, sum(value) as sum_value,
               (array_agg(value order by published_at desc))[1] as last_value, max(published_at) as last_at
          from ${rolled} group by 1, 2, 3)
      select raw.*, r.n as r_n from raw full join ${rollup} r using (device_id, metric_name, bucket)
       where r.n is distinct from raw.n or r.min_value is distinct from raw.min_value or r.max_value is distinct from raw.max_value
          or abs(r.sum_value - raw.sum_value) > 1e-6 or abs(r.avg_value - raw.sum_value / raw.n) > 1e-6
          or r.last_value is distinct from raw.last_value or r.last_at is distinct from raw.last_at`);
  }
  const t0 = Date.UTC(2026, 4, 1, 9, 58, 0);
  const at = (k: number) => new Date(t0 + k * 7_001); // spans ~4 hours for 2,000 steps

  test("equal to a GROUP BY over raw rows after duplicates, updates, late rows and an upsert in flight", async () => {
    // First load: 6 devices × 2 metrics × 2,000 instants.
    const values: unknown[] = [];
    for (let k = 0; k < 2000; k++)
      for (let d = 0; d < 6; d++) values.push([dev(d), at(k), (d % 2) * 10, Math.sin(k + d) * 100, [`k${k}`]]);
    await sql.unsafe(`select sluice_ensure_partitions('${rolled}', '1 hour', $1, $2)`, [
      new Date(t0 - 3_600_000),
      at(2100),
    ]);
    for (let i = 0; i < values.length; i += 1000) {
      await sql`insert into ${sql(rolled)} (device_id, published_at, metric_name, value, tags) values ${sql(values.slice(i, i + 1000) as never)}`;
    }
    const first = await rollupOnce(sql, rolled, `${rolled}_1m`, `${rolled}_1h`);
    expect(first.changedRows).toBe(12_000);
    expect([...(await mismatches("1 minute", `${rolled}_1m`))]).toEqual([]);

    // Replays of identical records (touch nothing), updates with new values, and late rows into old buckets.
    for (let k = 0; k < 300; k++)
      await upsert(sql, rolled, dev(k % 6), at(k * 5), ((k % 6) % 2) * 10, Math.sin(k * 5 + (k % 6)) * 100, [
        `k${k * 5}`,
      ]);
    for (let k = 0; k < 300; k++)
      await upsert(sql, rolled, dev(k % 6), at(k * 6 + 1), ((k % 6) % 2) * 10, 1000 + k, ["updated"]);
    for (let k = 0; k < 100; k++)
      await upsert(sql, rolled, dev(k % 6), new Date(at(k * 17).getTime() + 3), 20, -k, ["late"]);
    // An upsert in a transaction still open while the rollup runs must be counted by a later run, not skipped.
    const held = await sql.reserve();
    try {
      await held`begin`;
      await upsert(held, rolled, dev(0), at(1000), 0, 4242, ["in-flight"]);
      const during = await rollupOnce(sql, rolled, `${rolled}_1m`, `${rolled}_1h`);
      expect(during.changedRows).toBeGreaterThan(0);
      await held`commit`;
    } finally {
      held.release();
    }
    const last = await rollupOnce(sql, rolled, `${rolled}_1m`, `${rolled}_1h`);
    expect(last.changedRows).toBeGreaterThanOrEqual(1);
    expect([...(await mismatches("1 minute", `${rolled}_1m`))]).toEqual([]);
    expect([...(await mismatches("1 hour", `${rolled}_1h`))]).toEqual([]);
    const [inflight] = await sql.unsafe(
      `select max_value from ${rolled}_1m where device_id = $1 and metric_name = 0 and bucket = date_bin('1 minute', $2::timestamptz, timestamptz '2000-01-01 00:00:00+00')`,
      [dev(0), at(1000)],
    );
    expect(inflight?.max_value).toBe(4242);
    // Freshness is visible.
    const [state] = await sql`select watermark from sluice_rollup_state where source = ${rolled}`;
    expect((state!.watermark as Date).getTime()).toBe(last.watermark.getTime());
  });
});

describe("analyst query pack", () => {
  const pack = loadPack();
  test("the pack has the analyst queries", () => {
    expect(pack.map((q) => q.name)).toEqual(
      expect.arrayContaining([
        "total_rows",
        "rows_per_device",
        "ingest_rate",
        "latest_value",
        "gaps",
        "p95_hourly",
        "top_noisy",
      ]),
    );
  });
  for (const q of pack) {
    test(`${q.name} runs on the real tables as the analyst role, with and without --device/--since`, async () => {
      const all = await runPackQuery(analystSql, q.name, { limit: 5 }, pack);
      expect(all.columns.length).toBeGreaterThan(0);
      expect(all.length).toBeLessThanOrEqual(5);
      const one = await runPackQuery(
        analystSql,
        q.name,
        { device: dev(1), since: new Date(Date.now() - DAY), limit: 5 },
        pack,
      );
      expect(one.columns.map((c) => c.name)).toEqual(all.columns.map((c) => c.name));
    });
  }
  test("metric_codes equals the contract (kept by setup); the pack names each metric with its unit", async () => {
    const codes = await runPackQuery(analystSql, "metric_codes", { limit: 100 }, pack);
    expect(codes.map((r): unknown => ({ ...r }))).toEqual(contractCodeRows());
    const device = dev(424_242);
    await upsert(sql, "metrics", device, new Date(Date.now() - 60_000), 10, 55.5);
    try {
      const rows = await runPackQuery(analystSql, "p95_hourly", { device, limit: 10 }, pack);
      expect(rows.map((r) => [r.metric, r.unit, Number(r.rows)])).toEqual([["humidity", "%", 1]]);
    } finally {
      await sql`delete from metrics where device_id = ${device}`;
    }
  });

  test("syncing metric_codes adds, changes and removes rows to match the contract, and is idempotent", async () => {
    const contract = contractCodeRows();
    const edited = [
      ...contract.filter((r) => r.name !== "sound").map((r) => (r.name === "humidity" ? { ...r, unit: "ratio" } : r)),
      { code: 60, name: "voltage", unit: "V", description: "supply voltage" },
    ];
    try {
      expect(await syncMetricCodes(sql, edited)).toBe(3);
      const now = await sql`select code, name, unit, description from metric_codes order by code`;
      expect(now.map((r): unknown => ({ ...r }))).toEqual([...edited].sort((a, b) => a.code - b.code));
    } finally {
      expect(await syncMetricCodes(sql)).toBe(3);
    }
    expect(await syncMetricCodes(sql)).toBe(0);
  });

  test("total_rows agrees with count(*) on metrics", async () => {
    const since = new Date(Date.UTC(2000, 0, 1));
    const [r] = await runPackQuery(analystSql, "total_rows", { since, device: dev(999_999) }, pack);
    const [c] = await sql`select count(*)::bigint as n from metrics where device_id = ${dev(999_999)}`;
    expect(String(r!.rows)).toBe(String(c!.n));
  });
});

describe("roles", () => {
  const denied = async (db: postgres.Sql, statement: string) => {
    const err = await db
      .begin(async (tx) => tx.unsafe(statement))
      .then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
    return err;
  };
  const metric = `('${dev(7)}', now(), 0, 1, '{}')`;

  test("the sink can upsert into metrics (rolled back)", async () => {
    const err = await sinkSql
      .begin(async (tx) => {
        await tx.unsafe(`insert into metrics (device_id, published_at, metric_name, value, tags) values ${metric}
          on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`);
        await tx.unsafe(`insert into metrics (device_id, published_at, metric_name, value, tags) values ${metric}
          on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`);
        throw Object.assign(new Error("roll back"), { code: "ROLLBACK" });
      })
      .then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
    expect(err).toBe("ROLLBACK");
  });

  test("the sink cannot DELETE, TRUNCATE, read other columns or touch other tables", async () => {
    expect(await denied(sinkSql, `delete from metrics where false`)).toBe("42501");
    expect(await denied(sinkSql, `truncate metrics`)).toBe("42501");
    expect(await denied(sinkSql, `select created_at from metrics limit 1`)).toBe("42501");
    expect(await denied(sinkSql, `select * from metrics_rollup_1m limit 1`)).toBe("42501");
    expect(await denied(sinkSql, `delete from sluice_rollup_state`)).toBe("42501");
    expect(await denied(sinkSql, `select * from drizzle.__drizzle_migrations`)).toBe("42501");
    expect(await denied(sinkSql, `create table t_sink_may_not (x int)`)).toBe("42501");
    expect(await denied(sinkSql, `select sluice_drop_partitions('metrics', now())`)).toBe("42501");
  });

  test("the analyst reads but cannot write", async () => {
    const [r] = await analystSql`select count(*) >= 0 as ok from metrics_rollup_1h`;
    expect(r!.ok).toBe(true);
    expect(
      await denied(
        analystSql,
        `insert into metrics (device_id, published_at, metric_name, value, tags) values ${metric}`,
      ),
    ).toBe("42501");
    expect(await denied(analystSql, `update metrics set value = 0 where false`)).toBe("42501");
    expect(await denied(analystSql, `delete from metrics where false`)).toBe("42501");
    expect(await denied(analystSql, `truncate metrics_rollup_1m`)).toBe("42501");
    expect(await denied(analystSql, `update sluice_rollup_state set watermark = now() where false`)).toBe("42501");
    expect(await denied(analystSql, `create table t_analyst_may_not (x int)`)).toBe("42501");
  });
});
