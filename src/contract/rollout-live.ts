import type { Kafka } from "kafkajs";
import type { Sql } from "postgres";
import type { HttpAuth } from "../config/http-auth.ts";
import { applyConnector } from "../connect/apply.ts";
import type { ConnectClient } from "../connect/client.ts";
import type { ConnectorSpec } from "../connect/desired.ts";
import { groupMembers, sinkGroup, waitTasksRestarted } from "../connect/task-restart.ts";
import { contractCodeRows, liveCodeRows, syncMetricCodes } from "../db/metric-codes.ts";
import { grantSinkColumns, sinkRoleExists, sinkUnreadable } from "../db/roles.ts";
import { SluiceError } from "../errors.ts";
import { checkCompatibility } from "../registry/compatibility.ts";
import { registerContract } from "../registry/register.ts";
import { valueConnectSchema } from "./connect-schema.ts";
import type { Contract } from "./contract.ts";
import { valueJsonSchema } from "./json-schema.ts";
import {
  columnProblems,
  formatRollout,
  type LiveColumn,
  planRollout,
  type RolloutDesired,
  type RolloutPlan,
  type RolloutState,
} from "./rollout.ts";

/** Where a contract is rolled out: its subject, table, codes table and the connector (rendered with it). */
export interface RolloutTarget {
  readonly contract: Contract;
  readonly subject: string;
  readonly table: string;
  readonly codesTable: string;
  /** Undefined when no connector file reads the contract's topic with the contract converter. */
  readonly connector: ConnectorSpec | undefined;
}

/** The live systems a rollout reads and changes; `migrate` applies the database's pending migrations. */
export interface RolloutDeps {
  readonly sql: Sql;
  readonly registryUrl: string;
  readonly registryAuth?: HttpAuth;
  readonly connect: ConnectClient;
  /** To see the sink's consumer group, whose new members show that the tasks restarted with the new contract. */
  readonly kafka: Kafka;
  pendingMigrations(): Promise<string[]>;
  migrate(): Promise<void>;
}

/** What the target should reach. Pure. */
export function rolloutDesired(t: RolloutTarget): RolloutDesired {
  const config = t.connector?.config ?? {};
  const keys = Object.keys(config).filter((k) => /\.converter\.(contract|schema\.content)$/.test(k));
  return {
    subject: t.subject,
    table: t.table,
    connector: t.connector?.name,
    schema: valueJsonSchema(t.contract),
    connectSchema: valueConnectSchema(t.contract),
    codes: contractCodeRows(t.contract),
    connectorConfig: Object.fromEntries(keys.map((k) => [k, config[k]!])),
  };
}

/** The table's columns by name, or undefined when it does not exist. */
export async function liveColumns(sql: Sql, table: string): Promise<Map<string, LiveColumn> | undefined> {
  const [t] = await sql`select to_regclass(${table}) is not null as ok`;
  if (!t?.ok) return undefined;
  const rows = await sql`
    select a.attname as name, format_type(a.atttypid, null) as type, a.attnotnull as not_null, a.atthasdef as has_default
    from pg_attribute a where a.attrelid = to_regclass(${table}) and a.attnum > 0 and not a.attisdropped`;
  return new Map(rows.map((r) => [r.name, { type: r.type, notNull: r.not_null, hasDefault: r.has_default }]));
}

/** Gathers what is live, changing nothing. */
export async function gatherState(deps: RolloutDeps, t: RolloutTarget): Promise<RolloutState> {
  const verdict = await checkCompatibility(deps.registryUrl, t.subject, valueJsonSchema(t.contract), deps.registryAuth);
  const codesExist = (await deps.sql`select to_regclass(${t.codesTable}) is not null as ok`)[0]?.ok;
  const columns = await liveColumns(deps.sql, t.table);
  const sinkRole = await sinkRoleExists(deps.sql);
  return {
    registry: verdict,
    columns,
    pendingMigrations: await deps.pendingMigrations(),
    sinkRole,
    sinkUnreadable: sinkRole && columns ? await sinkUnreadable(deps.sql, t.table, fieldsOf(t.contract)) : [],
    codes: codesExist ? await liveCodeRows(deps.sql, t.codesTable) : [],
    connector: t.connector ? await deps.connect.getConfig(t.connector.name) : undefined,
  };
}

/** The rollout plan against the live systems (read only). */
export async function planLive(deps: RolloutDeps, t: RolloutTarget): Promise<RolloutPlan> {
  return planRollout(rolloutDesired(t), await gatherState(deps, t));
}

/** The plan, or CONTRACT_REFUSED naming every reason when it may not be applied; nothing is changed either way. */
export async function preflight(deps: RolloutDeps, t: RolloutTarget): Promise<RolloutPlan> {
  const plan = await planLive(deps, t);
  if (plan.refusals.length > 0)
    throw new SluiceError("CONTRACT_REFUSED", `the contract change is refused:\n${formatRollout(plan)}`);
  return plan;
}

const fieldsOf = (c: Contract) => Object.keys(c.value.shape);

/**
 * After the migrations: every field of the contract must now have a column that fits, which the sink's role may
 * read (granted here; idempotent).
 */
export async function checkColumns(deps: RolloutDeps, t: RolloutTarget): Promise<void> {
  const { refusals } = columnProblems(rolloutDesired(t), await liveColumns(deps.sql, t.table), false);
  if (refusals.length > 0)
    throw new SluiceError(
      "CONTRACT_REFUSED",
      `after the migrations the table still does not fit the contract (registry and connector untouched): ${refusals.join("; ")}`,
    );
  if (await sinkRoleExists(deps.sql)) await grantSinkColumns(deps.sql, t.table, fieldsOf(t.contract));
}

/**
 * Rolls a contract out in the safe order: preflight (refuses before touching anything) → migrations → column check →
 * codes → registry → connector (until RUNNING). Returns the plan it carried out; the caller tells producers.
 */
export async function rollout(
  deps: RolloutDeps,
  t: RolloutTarget,
  log: (line: string) => void = () => {},
): Promise<RolloutPlan> {
  const plan = await preflight(deps, t);
  log(formatRollout(plan));
  await deps.migrate();
  await checkColumns(deps, t);
  await syncMetricCodes(deps.sql, contractCodeRows(t.contract), t.codesTable);
  const id = await registerContract(deps.registryUrl, t.subject, valueJsonSchema(t.contract), {
    auth: deps.registryAuth,
  });
  log(`registered ${t.subject} id ${id}`);
  if (t.connector)
    await applyContractConnector(deps, t.connector, () => applyConnector(deps.connect, t.connector!, 90_000), log);
  return plan;
}

/**
 * Applies the connector (by `apply`) and, when that changed a running connector, waits until its tasks restarted:
 * only then may producers send what the new contract adds.
 */
export async function applyContractConnector<T>(
  deps: Pick<RolloutDeps, "kafka">,
  spec: ConnectorSpec,
  apply: () => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  const group = sinkGroup(spec.name, spec.config);
  const before = await groupMembers(deps.kafka, group);
  const result = await apply();
  await waitTasksRestarted(deps.kafka, group, before);
  log(`connector ${spec.name}: its tasks run this contract`);
  return result;
}
