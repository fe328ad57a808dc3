// Tables the benches fill besides the sandboxes' plain ones.
import type { Sql } from "postgres";

/**
 * Creates `table` partitioned as `metrics` is shipped: `like metrics` with its indexes, range partitions of `step`
 * (a PostgreSQL interval) over [from, to) by sluice_ensure_partitions, and a default partition for the rest.
 */
export async function createPartitionedLikeMetrics(
  sql: Sql,
  table: string,
  step: string,
  from: Date,
  to: Date,
): Promise<void> {
  await sql.unsafe(`create table ${table} (like metrics including all) partition by range (published_at)`);
  await sql.unsafe(`create table ${table}_default partition of ${table} default`);
  await sql.unsafe(`select sluice_ensure_partitions('${table}', $1::interval, $2::timestamptz, $3::timestamptz)`, [
    step,
    from,
    to,
  ]);
}
