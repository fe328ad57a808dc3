import type { Sql } from "postgres";
import { CONTRACT, type Contract } from "../contract/contract.ts";
import { sqlIdentifier } from "./identifier.ts";

/** One row of `metric_codes`. */
export interface MetricCodeRow {
  readonly code: number;
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

/** The rows a contract implies, by code. Pure. */
export function contractCodeRows(contract: Contract = CONTRACT): MetricCodeRow[] {
  return Object.entries(contract.codes)
    .map(([name, c]) => ({ code: c.code, name, unit: c.unit, description: c.description }))
    .sort((a, b) => a.code - b.code);
}

/** The rows of a codes table (default `metric_codes`), by code. */
export async function liveCodeRows(sql: Sql, table = "metric_codes"): Promise<MetricCodeRow[]> {
  const rows = await sql.unsafe(`select code, name, unit, description from ${sqlIdentifier(table)} order by code`);
  return rows.map((r) => ({ code: r.code, name: r.name, unit: r.unit, description: r.description }));
}

/**
 * Makes `metric_codes` equal to the contract: inserts new codes, updates changed names, units and descriptions, and
 * deletes codes the contract no longer has (rows in `metrics` keep their numbers; the code stays reserved in the
 * contract's history). Idempotent; returns how many rows it changed.
 */
export async function syncMetricCodes(sql: Sql, rows = contractCodeRows(), table = "metric_codes"): Promise<number> {
  const t = sqlIdentifier(table);
  return sql.begin(async (tx) => {
    const codes = rows.map((r) => r.code);
    const removed = await tx.unsafe(`delete from ${t} where code <> all($1::smallint[])`, [codes]);
    let changed = removed.count;
    for (const r of rows) {
      const res = await tx.unsafe(
        `insert into ${t} as c (code, name, unit, description) values ($1, $2, $3, $4)
         on conflict (code) do update set name = excluded.name, unit = excluded.unit, description = excluded.description
         where (c.name, c.unit, c.description) is distinct from (excluded.name, excluded.unit, excluded.description)`,
        [r.code, r.name, r.unit, r.description],
      );
      changed += res.count;
    }
    return changed;
  });
}
