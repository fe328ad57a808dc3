import type { Sql } from "postgres";
import { sqlIdentifier } from "./identifier.ts";
import type { Span } from "./span.ts";

/** What `maintain` is asked to do on one partitioned metrics-shaped table. */
export interface MaintainPlan {
  readonly table: string;
  /** Width of a partition. */
  readonly interval: Span;
  /** Partitions kept created ahead of now. */
  readonly ahead: number;
  /** Partitions whose whole range is older than now − retention are dropped; undefined keeps everything. */
  readonly retention?: Span;
  /** Rollup tables to bring up to date from `table` (skipped when undefined). */
  readonly rollup?: { readonly m1: string; readonly h1: string };
  /** How long to wait for a lock before giving up (the next scheduled run retries). Default 5 s. */
  readonly lockTimeoutMs?: number;
}

export interface MaintainReport {
  readonly created: string[];
  readonly dropped: string[];
  readonly partitions: number;
  /** Rows waiting in the default partition: their time had no partition when they landed (far past or future). */
  readonly defaultRows: number;
  readonly defaultOldest: Date | null;
  readonly defaultNewest: Date | null;
  readonly rollup?: RollupReport;
}

export interface RollupReport {
  readonly changedRows: number;
  readonly buckets1m: number;
  readonly buckets1h: number;
  /** Every change with updated_at before this instant is in the rollups. */
  readonly watermark: Date;
}

/**
 * One maintenance pass: partitions from one interval back to `ahead` intervals ahead (rows of a new partition's
 * range waiting in the default partition move into it), retention, a report of the default partition, then the
 * rollups. Each step is its own short transaction with a lock timeout, so it is safe to run at any time and from a
 * schedule while the sink writes: a step that cannot get its lock fails fast and the next run does it.
 */
export async function maintain(sql: Sql, plan: MaintainPlan): Promise<MaintainReport> {
  const table = sqlIdentifier(plan.table);
  const lock = `${plan.lockTimeoutMs ?? 5000}ms`;
  const step = async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> =>
    (await sql.begin(async (tx) => {
      await tx.unsafe(`set local lock_timeout = '${lock}'`);
      return fn(tx as unknown as Sql);
    })) as T;
  const created = await step((tx) =>
    tx.unsafe(
      `select name from sluice_ensure_partitions($1::regclass, $2::interval, now() - $2::interval, now() + $2::interval * ($3::int + 1)) as name`,
      [table, plan.interval.pg, plan.ahead],
    ),
  );
  const dropped = plan.retention
    ? await step((tx) =>
        tx.unsafe(`select name from sluice_drop_partitions($1::regclass, now() - $2::interval) as name`, [
          table,
          plan.retention!.pg,
        ]),
      )
    : [];
  const parts = await sql.unsafe(`select part::text as part, is_default from sluice_partitions($1::regclass)`, [table]);
  const def = parts.find((p) => p.is_default)?.part as string | undefined;
  let defaultRows = 0;
  let defaultOldest: Date | null = null;
  let defaultNewest: Date | null = null;
  if (def) {
    const [d] = await sql.unsafe(
      `select count(*)::bigint as n, min(published_at) as oldest, max(published_at) as newest from ${def}`,
    );
    defaultRows = Number(d!.n);
    defaultOldest = d!.oldest;
    defaultNewest = d!.newest;
  }
  const rollup = plan.rollup ? await rollupOnce(sql, table, plan.rollup.m1, plan.rollup.h1) : undefined;
  return {
    created: created.map((r) => r.name as string),
    dropped: dropped.map((r) => r.name as string),
    partitions: parts.filter((p) => !p.is_default).length,
    defaultRows,
    defaultOldest,
    defaultNewest,
    rollup,
  };
}

/**
 * Brings the per-minute and per-hour rollups of `source` up to date (see sluice_rollup in migration 0003: buckets
 * touched since the watermark are recomputed from raw rows, so replays and updates never double-count).
 */
export async function rollupOnce(sql: Sql, source: string, m1: string, h1: string): Promise<RollupReport> {
  const [r] = await sql.unsafe(`select * from sluice_rollup($1::regclass, $2::regclass, $3::regclass)`, [
    sqlIdentifier(source),
    sqlIdentifier(m1),
    sqlIdentifier(h1),
  ]);
  return {
    changedRows: Number(r!.changed_rows),
    buckets1m: Number(r!.buckets_1m),
    buckets1h: Number(r!.buckets_1h),
    watermark: r!.watermark,
  };
}

/** One-paragraph summary of a maintenance pass, for the CLI and the logs. */
export function formatReport(table: string, r: MaintainReport): string[] {
  const lines = [
    `${table}: ${r.partitions} partitions; created ${r.created.length ? r.created.join(", ") : "none"}; dropped ${r.dropped.length ? r.dropped.join(", ") : "none"}`,
  ];
  if (r.defaultRows > 0) {
    lines.push(
      `WARNING ${table}: ${r.defaultRows.toLocaleString("en-US")} rows in the default partition (published ${r.defaultOldest?.toISOString()} … ${r.defaultNewest?.toISOString()}): ` +
        "their time has no partition (clock skew, far past or future). They are kept; check the producers, or widen the window.",
    );
  } else lines.push(`${table}: default partition empty`);
  if (r.rollup) {
    lines.push(
      `rollups: ${r.rollup.changedRows.toLocaleString("en-US")} changed rows → ${r.rollup.buckets1m.toLocaleString("en-US")} minute and ` +
        `${r.rollup.buckets1h.toLocaleString("en-US")} hour buckets recomputed; current to ${r.rollup.watermark.toISOString()}`,
    );
  }
  return lines;
}
