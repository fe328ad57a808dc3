import type { Sql } from "postgres";
import { CONTRACT } from "../contract/contract.ts";
import { sqlIdentifier } from "./identifier.ts";

/**
 * The database roles (created NOLOGIN by migration 0003; roles are cluster-wide):
 * - owner: owns the tables, partitions and rollups; migrations and `sluice db maintain` act for it.
 * - sink: what the Connect worker logs in as; INSERT/UPDATE on `metrics` (plus SELECT of the upserted columns,
 *   which `ON CONFLICT … DO UPDATE SET v = EXCLUDED.v` needs), nothing else.
 * - analyst: read-only on the metrics, the rollups and their freshness; `sluice query` logs in as it.
 * - monitor (migration 0005): what the admin service (`sluice serve`) logs in as for /ready, /metrics and the
 *   dashboard; it reads PostgreSQL's per-table statistics counters and no table's rows.
 * - maintainer (migration 0006): what the admin service's maintenance schedule logs in as; it may only execute the
 *   sluice_maintain_* functions (partitions, retention and rollups of `metrics`, run as the owner).
 */
export const ROLES = {
  owner: "sluice_owner",
  sink: "sluice_sink",
  analyst: "sluice_analyst",
  monitor: "sluice_monitor",
  maintainer: "sluice_maintainer",
} as const;

/** The roles that log in with a password (the owner never logs in). */
export const LOGIN_ROLES = ["sink", "analyst", "monitor", "maintainer"] as const;
export type LoginRole = (typeof LOGIN_ROLES)[number];

/** The setting that gives each login role its password (else the local stack generates one into its secrets). */
export const ROLE_PASSWORD_ENV = {
  sink: "POSTGRES_SINK_PASSWORD",
  analyst: "POSTGRES_ANALYST_PASSWORD",
  monitor: "POSTGRES_MONITOR_PASSWORD",
  maintainer: "POSTGRES_MAINTAINER_PASSWORD",
} as const satisfies Record<LoginRole, string>;

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Lets the login roles log in with the given passwords (idempotent; run after the migrations by setup and
 * `sluice db migrate`). The passwords come from the stack's secrets, never from a migration file.
 */
export async function applyRoleLogins(sql: Sql, passwordOf: (role: LoginRole) => string): Promise<void> {
  for (const role of LOGIN_ROLES) {
    await sql.unsafe(`alter role ${ROLES[role]} login password ${literal(passwordOf(role))}`);
  }
}

/**
 * Lets the sink role upsert into a metrics-shaped table made outside the migrations (test and bench sandboxes,
 * `create table t_x (like metrics including all)`), with the same rights it has on `metrics`. No-op on a database
 * whose migrations have not created the role.
 */
export async function grantSinkOn(sql: Sql, table: string): Promise<void> {
  if (!(await sinkRoleExists(sql))) return;
  await sql.unsafe(`grant insert, update on ${sqlIdentifier(table)} to ${ROLES.sink}`);
  // The shipped contract's fields, which the sink upserts (optional ones included).
  await grantSinkColumns(sql, table, Object.keys(CONTRACT.value.shape));
}

/** Whether the migrations created the sink role on this cluster. */
export async function sinkRoleExists(sql: Sql): Promise<boolean> {
  return (await sql`select 1 as ok from pg_roles where rolname = ${ROLES.sink}`).length > 0;
}

/**
 * Lets the sink read `columns` of `table`: its upsert compares the stored row with the new one (`WHERE (t.v, …) IS
 * DISTINCT FROM (EXCLUDED.v, …)`), so a contract field's new column needs SELECT before the connector writes it.
 * Idempotent.
 */
export async function grantSinkColumns(sql: Sql, table: string, columns: readonly string[]): Promise<void> {
  const cols = columns.map((c) => sqlIdentifier(c, "column name")).join(", ");
  await sql.unsafe(`grant select (${cols}) on ${sqlIdentifier(table)} to ${ROLES.sink}`);
}

/** The `columns` (existing ones) of `table` the sink role may not read. */
export async function sinkUnreadable(sql: Sql, table: string, columns: readonly string[]): Promise<string[]> {
  const rows = await sql`
    select attname from pg_attribute
    where attrelid = to_regclass(${table}) and attname = any(${columns}::text[]) and not attisdropped
      and not has_column_privilege(${ROLES.sink}, attrelid, attnum, 'SELECT')
    order by attnum`;
  return rows.map((r) => r.attname as string);
}
