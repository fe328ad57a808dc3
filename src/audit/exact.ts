import type { Sql } from "postgres";
import { sqlIdentifier } from "../db/identifier.ts";
import { indexOfKey, metricAt, type Run } from "../producer/workload.ts";

export interface ExactAudit {
  /** Rows that must be in the table: every acknowledged metric of the run. */
  readonly expected: number;
  readonly found: number;
  readonly missing: number;
  /** Rows of the run's devices that are not an acknowledged metric (or appear twice). */
  readonly unexpected: number;
  /** Rows whose value or tags differ from what was sent (acknowledged or not: a stored row must be exact). */
  readonly wrong: number;
}

/**
 * Row-by-row audit of a deterministic run: the generator recomputes every expected metric, so each stored row is
 * checked bit for bit, not by checksum. `acked` is how many metrics of the run (a prefix: 0 ≤ k < acked) the broker
 * acknowledged; rows with k ≥ acked may exist (sent but unacknowledged, at least once) and are neither missing nor
 * unexpected, but are still checked for a wrong value.
 */
export function auditRows(
  run: Run,
  acked: number,
  rows: readonly { device_id: string; ms: number; metric_name: number; value: number; tags: string[] }[],
): ExactAudit {
  const seen = new Uint8Array(run.count);
  let unexpected = 0;
  let wrong = 0;
  let found = 0;
  for (const r of rows) {
    const k = indexOfKey(run, { device_id: r.device_id, metric_name: r.metric_name, published_at: r.ms });
    if (k < 0 || seen[k]) {
      unexpected++;
      continue;
    }
    seen[k] = 1;
    if (k < acked) found++;
    const m = metricAt(run, k);
    if (m.value !== r.value || m.tags.length !== r.tags.length || m.tags.some((t, i) => t !== r.tags[i])) wrong++;
  }
  return { expected: acked, found, missing: acked - found, unexpected, wrong };
}

/** Reads every row of `table` (the table holds one run) and audits it. */
export async function auditTable(sql: Sql, table: string, run: Run, acked: number): Promise<ExactAudit> {
  sqlIdentifier(table);
  const rows = await sql.unsafe(
    `select device_id::text, (extract(epoch from published_at) * 1000)::float8 as ms, metric_name, value, tags from ${table}`,
  );
  return auditRows(run, acked, rows as never);
}
