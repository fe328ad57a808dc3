import type { Sql } from "postgres";
import { sqlIdentifier } from "../db/identifier.ts";
import { SluiceError } from "../errors.ts";
import { deviceIds, metricAt, type Run } from "../producer/workload.ts";

/** Rows of `table` that belong to the run (its devices, inside its time window). */
export async function countLanded(sql: Sql, table: string, run: Run): Promise<number> {
  const last = metricAt(run, run.count - 1).published_at;
  const [r] = await sql.unsafe(
    `select count(*)::bigint as n from ${sqlIdentifier(table)} where device_id = any($1::uuid[]) and published_at between $2 and $3`,
    [deviceIds(run) as string[], new Date(run.startMs), new Date(last)],
  );
  return Number(r!.n);
}

/**
 * Waits until every row of the run is in `table`. Gives up when the count has not moved for `stallMs` (the sink is
 * stuck or rows are lost), never hangs.
 */
export async function waitLanded(
  sql: Sql,
  table: string,
  run: Run,
  opts: { stallMs?: number; intervalMs?: number; onProgress?: (landed: number) => void; signal?: AbortSignal } = {},
): Promise<{ landed: number; atMs: number }> {
  const stallMs = opts.stallMs ?? 120_000;
  let landed = -1;
  let movedAt = Date.now();
  for (;;) {
    opts.signal?.throwIfAborted();
    const n = await countLanded(sql, table, run);
    if (n !== landed) {
      landed = n;
      movedAt = Date.now();
      opts.onProgress?.(n);
    }
    if (n >= run.count) return { landed: n, atMs: Date.now() };
    if (Date.now() - movedAt > stallMs) {
      throw new SluiceError(
        "ROWS_MISSING",
        `${run.count - n} of ${run.count} rows did not land in ${table} (no progress for ${stallMs / 1000} s). ` +
          "Check the connector (sluice status, sluice logs connect) and the DLQ topic.",
      );
    }
    await Bun.sleep(opts.intervalMs ?? 250);
  }
}

export interface Mismatch {
  readonly k: number;
  readonly field: string;
  readonly expected: unknown;
  readonly got: unknown;
}

/**
 * Compares `sample` rows of the run (spread evenly, first and last included) with what the generator says they
 * must be: value bit for bit, tags, and the instant to the millisecond.
 */
export async function spotCheck(sql: Sql, table: string, run: Run, sample = 1000): Promise<Mismatch[]> {
  const n = Math.min(sample, run.count);
  const ks = [...new Set(Array.from({ length: n }, (_, i) => Math.floor((i * (run.count - 1)) / Math.max(1, n - 1))))];
  const expected = ks.map((k) => metricAt(run, k));
  const rows = await sql.unsafe(
    `select k.i, t.value, t.tags, (extract(epoch from t.published_at) * 1000)::bigint as ms
       from unnest($1::uuid[], $2::timestamptz[], $3::smallint[]) with ordinality as k(device_id, published_at, metric_name, i)
       left join ${sqlIdentifier(table)} t using (device_id, published_at, metric_name)`,
    [
      expected.map((m) => m.device_id),
      expected.map((m) => new Date(m.published_at).toISOString()),
      expected.map((m) => m.metric_name),
    ],
  );
  const out: Mismatch[] = [];
  for (const r of rows) {
    const i = Number(r.i) - 1;
    const m = expected[i]!;
    const k = ks[i]!;
    if (r.value === null) {
      out.push({ k, field: "row", expected: "present", got: "missing" });
      continue;
    }
    if (r.value !== m.value) out.push({ k, field: "value", expected: m.value, got: r.value });
    if (JSON.stringify(r.tags) !== JSON.stringify(m.tags))
      out.push({ k, field: "tags", expected: m.tags, got: r.tags });
    if (Number(r.ms) !== m.published_at)
      out.push({ k, field: "published_at", expected: m.published_at, got: Number(r.ms) });
  }
  return out;
}

/** Sink rate from PostgreSQL's own clock: rows / span of `created_at` (each batch's transaction start). */
export async function sinkSpan(sql: Sql, table: string, run: Run): Promise<{ firstMs: number; lastMs: number }> {
  const last = metricAt(run, run.count - 1).published_at;
  const [r] = await sql.unsafe(
    `select (extract(epoch from min(created_at)) * 1000)::float8 as first, (extract(epoch from max(created_at)) * 1000)::float8 as last
       from ${sqlIdentifier(table)} where device_id = any($1::uuid[]) and published_at between $2 and $3`,
    [deviceIds(run) as string[], new Date(run.startMs), new Date(last)],
  );
  return { firstMs: Number(r!.first), lastMs: Number(r!.last) };
}
