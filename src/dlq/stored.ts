import type { Sql } from "postgres";
import type { Metric } from "../contract/index.ts";

/** The stored row of a key, as far as replay needs it. */
export interface StoredRow {
  readonly value: number;
  readonly tags: readonly string[];
  /** When the row last changed (set on insert, and by the trigger when value or tags change), epoch ms. */
  readonly updatedMs: number;
}

/** Key text of a metric (device, published_at, code), for maps. */
export const keyText = (m: Pick<Metric, "device_id" | "published_at" | "metric_name">) =>
  `${m.device_id}|${m.published_at}|${m.metric_name}`;

/** Stored rows of `table` for the keys of `metrics`, by keyText. `table` must be a checked SQL identifier. */
export async function storedRows(sql: Sql, table: string, metrics: readonly Metric[]): Promise<Map<string, StoredRow>> {
  if (metrics.length === 0) return new Map();
  // published_at is compared as timestamptz built from exact milliseconds (no float seconds on the way).
  const rows = await sql.unsafe(
    `select s.device_id::text as device_id, (extract(epoch from s.published_at) * 1000)::bigint::text as published_at,
            s.metric_name::int as metric_name, s.value, s.tags,
            (extract(epoch from s.updated_at) * 1000)::float8 as updated_ms
       from ${table} s
       join unnest($1::uuid[], $2::bigint[], $3::int2[]) as k(device_id, ms, metric_name)
         on s.device_id = k.device_id and s.metric_name = k.metric_name
        and s.published_at = timestamptz 'epoch' + k.ms * interval '1 millisecond'`,
    [metrics.map((m) => m.device_id), metrics.map((m) => String(m.published_at)), metrics.map((m) => m.metric_name)],
  );
  return new Map(
    rows.map((r) => [
      keyText({ device_id: r.device_id, published_at: Number(r.published_at), metric_name: r.metric_name }),
      { value: r.value as number, tags: r.tags as string[], updatedMs: r.updated_ms as number },
    ]),
  );
}

export type Freshness = { readonly send: true } | { readonly send: false; readonly reason: string };

/**
 * Whether a dead letter may overwrite what the table holds for its key. Pure. "Newer" is decided from the row's
 * `updated_at` (when the row last changed) against the dead letter's record time (Connect's DLQ keeps the timestamp
 * of the original record): a row that changed at or after that time holds data written after the dead-lettered
 * record was produced, so replaying the old value would overwrite newer data. No row: send. The same value and
 * tags: nothing to do (an earlier replay already landed it).
 */
export function againstStored(m: Metric, row: StoredRow | undefined, recordTimeMs: number): Freshness {
  if (!row) return { send: true };
  if (row.value === m.value && row.tags.length === m.tags.length && row.tags.every((t, i) => t === m.tags[i])) {
    return { send: false, reason: "already stored (same value and tags)" };
  }
  if (row.updatedMs >= recordTimeMs) {
    const iso = (ms: number) => new Date(Math.floor(ms)).toISOString();
    return {
      send: false,
      reason:
        `stored row is newer: updated_at ${iso(row.updatedMs)} is not before ` +
        `the dead letter's record time ${iso(recordTimeMs)}`,
    };
  }
  return { send: true };
}
