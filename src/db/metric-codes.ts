import type { Sql } from "postgres";
import { METRIC_CODES, METRIC_INFO, type MetricName } from "../contract/codes.ts";

/** One row of `metric_codes`. */
export interface MetricCodeRow {
  readonly code: number;
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

/** The rows the contract implies, by code. Pure. */
export function contractCodeRows(): MetricCodeRow[] {
  return (Object.entries(METRIC_CODES) as [MetricName, number][])
    .map(([name, code]) => ({ code, name, ...METRIC_INFO[name] }))
    .sort((a, b) => a.code - b.code);
}

/**
 * Makes `metric_codes` equal to the contract: inserts new codes, updates changed names, units and descriptions, and
 * deletes codes the contract no longer has (rows in `metrics` keep their numbers; the code stays reserved in the
 * contract's history). Idempotent; returns how many rows it changed.
 */
export async function syncMetricCodes(sql: Sql, rows = contractCodeRows()): Promise<number> {
  return sql.begin(async (tx) => {
    const codes = rows.map((r) => r.code);
    const removed = await tx`delete from metric_codes where code <> all(${codes}::smallint[])`;
    let changed = removed.count;
    for (const r of rows) {
      const res = await tx`
        insert into metric_codes (code, name, unit, description) values (${r.code}, ${r.name}, ${r.unit}, ${r.description})
        on conflict (code) do update set name = excluded.name, unit = excluded.unit, description = excluded.description
        where (metric_codes.name, metric_codes.unit, metric_codes.description)
          is distinct from (excluded.name, excluded.unit, excluded.description)`;
      changed += res.count;
    }
    return changed;
  });
}
