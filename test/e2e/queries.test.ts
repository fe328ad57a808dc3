// The analyst pack's fast answers (rollups + the rows since their watermark) against its exact, raw-table answers,
// on a table of its own: counts equal, percentiles within 1 %, with rows updated and created after the last rollup.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rollupOnce } from "../../src/db/maintain.ts";
import { loadPack, type PackQuery, type QueryParams, retargetPack, runPackQuery } from "../../src/db/queries.ts";
import { sql } from "./harness.ts";

const t = `t_q_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const HOUR = 3_600_000;
const start = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;

const pack: PackQuery[] = retargetPack(loadPack(), t);

/**
 * Inserts `devices` devices (numbered from `first`) × 6 codes × one sample per 10 s over [from, from + hours), values
 * of both signs and zeros.
 */
function fill(first: number, devices: number, from: number, hours: number, salt: number) {
  return sql.unsafe(
    `insert into ${t} (device_id, published_at, metric_name, value, tags)
     select ('00000000-0000-4000-8000-' || lpad(d::text, 12, '0'))::uuid, to_timestamp(($1::bigint + s * 10000) / 1000.0), c,
            case when s % 97 = 0 then 0 else (sin(d * 7 + s * 0.37 + c + $3) * 1000 + c * 10) * (1 + (s % 5)) end, '{}'
       from generate_series($5::int, $5::int + $2::int - 1) d, generate_series(0, $4::int - 1) s,
            unnest('{0,10,20,30,40,50}'::int[]) c`,
    [from, devices, salt, hours * 360, first],
  );
}

/** Both answers of a query, read in one snapshot so concurrent rollups cannot come between them. */
async function both(name: string, params: QueryParams = {}) {
  return sql.begin("isolation level repeatable read", async (tx) => ({
    fast: [...(await runPackQuery(tx as never, name, params, pack))],
    exact: [...(await runPackQuery(tx as never, name, params, pack, true))],
  }));
}

beforeAll(async () => {
  await sql.unsafe(`create table ${t} (like metrics including all)`);
  await sql.unsafe(`select sluice_track_updates('${t}')`);
  for (const r of ["1m", "1h"]) await sql.unsafe(`create table ${t}_${r} (like metrics_rollup_${r} including all)`);
  await fill(1, 8, start, 3, 0);
  await rollupOnce(sql, t, `${t}_1m`, `${t}_1h`);
  // After the rollup: updated rows (their values move) and a new device: the tail the fast answers must add.
  await sql.unsafe(`update ${t} set value = value * 3 + 1 where extract(second from published_at)::int % 7 = 0`);
  await fill(100, 1, start + HOUR, 1, 5);
});

afterAll(async () => {
  await sql.unsafe(`drop table if exists ${t}, ${t}_1m, ${t}_1h`);
  await sql`delete from sluice_rollup_state where source = ${t}`;
  await sql`delete from metrics_landed_1m where source = ${t}`;
  await sql`delete from metrics_hist_1h where source = ${t}`;
});

describe("fast answers equal the exact ones", () => {
  test("total_rows: rows, devices and the time range, overall, for a device and since a minute", async () => {
    for (const params of [
      {},
      { device: "00000000-0000-4000-8000-000000000003" },
      { since: new Date(start + HOUR + 17 * 60_000) },
    ]) {
      const { fast, exact } = await both("total_rows", params);
      expect(fast).toEqual(exact);
      expect(Number(fast[0]!.rows)).toBeGreaterThan(0);
    }
  });

  test("ingest_rate: rows landed per minute", async () => {
    const { fast, exact } = await both("ingest_rate", { since: new Date(Date.now() - HOUR) });
    expect(fast).toEqual(exact);
    expect(fast.reduce((s, r) => s + Number(r.rows), 0)).toBe(8 * 6 * 360 * 3 + 6 * 360);
  });

  test("p95_hourly: rows per metric and hour equal, the 95th percentile within 1 % of the exact nearest rank", async () => {
    await rollupOnce(sql, t, `${t}_1m`, `${t}_1h`); // the updated values reach the histograms
    await fill(200, 2, start + 2 * HOUR, 1, 9); // and a tail again
    const { fast, exact } = await both("p95_hourly");
    expect(fast.map((r) => [r.metric, String(r.hour), Number(r.rows)])).toEqual(
      exact.map((r) => [r.metric, String(r.hour), Number(r.rows)]),
    );
    for (const [i, f] of fast.entries()) {
      const e = exact[i]!.p95 as number;
      expect(Math.abs((f.p95 as number) - e)).toBeLessThanOrEqual(0.01 * Math.abs(e) + 1e-9);
    }
    expect(fast.length).toBe(6 * 3);
    // One device's percentiles come from its own hourly histograms, not the fleet's.
    const one = await both("p95_hourly", { device: "00000000-0000-4000-8000-000000000003" });
    expect(one.fast.map((r) => Number(r.rows))).toEqual(one.exact.map((r) => Number(r.rows)));
    for (const [i, f] of one.fast.entries()) {
      const e = one.exact[i]!.p95 as number;
      expect(Math.abs((f.p95 as number) - e)).toBeLessThanOrEqual(0.01 * Math.abs(e) + 1e-9);
    }
    expect(one.fast.length).toBe(6 * 3);
  });

  test("top_noisy: rows and active minutes per device, overall, for a device and since a minute", async () => {
    // Devices active every third minute (one rolled up, one in the tail only), so active minutes are not every minute.
    const sparse = (d: number) =>
      sql.unsafe(
        `insert into ${t} (device_id, published_at, metric_name, value, tags)
         select ('00000000-0000-4000-8000-' || lpad($1::text, 12, '0'))::uuid, to_timestamp(($2::bigint + s * 20000) / 1000.0), 10, s, '{}'
           from generate_series(0, 3 * 180 - 1) s where (s / 3) % 3 = 0`,
        [d, start],
      );
    await sparse(300);
    await rollupOnce(sql, t, `${t}_1m`, `${t}_1h`);
    await sparse(301);
    for (const params of [
      {},
      { device: "00000000-0000-4000-8000-000000000300" },
      { device: "00000000-0000-4000-8000-000000000301" },
      { since: new Date(start + HOUR + 17 * 60_000 + 30_000) },
    ]) {
      const { fast, exact } = await both("top_noisy", { ...params, limit: 1000 });
      expect(fast).toEqual(exact);
      expect(fast.length).toBeGreaterThan(0);
    }
  });

  test("--exact is refused for a query that reads the rollups only, naming those that have it", async () => {
    const e = await runPackQuery(sql, "latest_value", {}, pack, true).catch((x: Error) => x);
    expect((e as Error).message).toContain("--exact works with: total_rows, ingest_rate, p95_hourly, top_noisy");
  });
});
