import postgres from "postgres";
import { registryAuth } from "./config/http-auth.ts";
import { kafkaSecurity } from "./config/kafka-security.ts";
import { applyConnectors } from "./connect/apply.ts";
import type { ConnectorAction } from "./connect/plan.ts";
import { CONTRACT, VALUE_SUBJECT, valueJsonSchema } from "./contract/index.ts";
import { formatRollout, type RolloutPlan } from "./contract/rollout.ts";
import {
  applyContractConnector,
  checkColumns,
  planLive,
  preflight,
  type RolloutDeps,
  type RolloutTarget,
} from "./contract/rollout-live.ts";
import { syncMetricCodes } from "./db/metric-codes.ts";
import { migrateDb, pendingMigrations } from "./db/migrate.ts";
import { applyRoleLogins } from "./db/roles.ts";
import { pgTls } from "./db/tls.ts";
import { kafka } from "./kafka/client.ts";
import { formatTopicPlan, hasTopicChanges, type TopicAction } from "./kafka/topic-plan.ts";
import {
  applyTopics,
  connectClient,
  desiredConnectors,
  desiredTopics,
  MAIN_CONNECTOR,
  withAdmin,
  workerCapabilities,
} from "./provision.ts";
import { registerContract } from "./registry/register.ts";
import type { StackContext } from "./stack/component.ts";
import { brokerAddresses } from "./stack/kafka.ts";
import { postgresUrl, rolePassword } from "./stack/postgres.ts";
import { registryUrl } from "./stack/registry.ts";

export interface SetupResult {
  readonly topicsCreated: string[];
  readonly schemaId: number;
  /** What happened to the main sink (`metrics-sink`). */
  readonly connector: "created" | "updated" | "unchanged";
  /** The topic plan that was carried out (services/topics.json). */
  readonly topics: TopicAction[];
  /** The connector plan that was carried out (connectors/*.json). */
  readonly connectors: ConnectorAction[];
  /** The contract rollout that was carried out (its steps in order). */
  readonly contract: RolloutPlan;
}

/** The shipped contract's rollout target: subject metrics-value, table metrics, the main sink of connectors/. */
export function shippedTarget(ctx: StackContext): RolloutTarget {
  return {
    contract: CONTRACT,
    subject: VALUE_SUBJECT,
    table: "metrics",
    codesTable: "metric_codes",
    connector: desiredConnectors(ctx).find((s) => s.name === MAIN_CONNECTOR),
  };
}

/** Runs `f` with the stack's live systems as a rollout sees them; PostgreSQL's connection is closed after. */
async function withRolloutDeps<T>(ctx: StackContext, f: (deps: RolloutDeps) => Promise<T>): Promise<T> {
  const sql = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
  try {
    return await f({
      sql,
      registryUrl: registryUrl(ctx),
      registryAuth: registryAuth(ctx.env),
      connect: connectClient(ctx),
      pendingMigrations: () => pendingMigrations(sql),
      migrate: () => migrateDatabase(ctx),
      kafka: kafka(brokerAddresses(ctx), "sluice-setup", kafkaSecurity(ctx.env)),
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** What `sluice setup` would do to the contract's database, registry subject and connector, in order (read only). */
export function planSetup(ctx: StackContext): Promise<RolloutPlan> {
  return withRolloutDeps(ctx, (deps) => planLive(deps, shippedTarget(ctx)));
}

/**
 * Applies the migrations, lets the login roles log in with the stack's passwords for them, and keeps `metric_codes`
 * equal to the contract.
 */
export async function migrateDatabase(ctx: StackContext): Promise<void> {
  await migrateDb(postgresUrl(ctx), pgTls(ctx.env));
  const sql = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
  try {
    await applyRoleLogins(sql, (role) => rolePassword(ctx, role));
    await syncMetricCodes(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The setup job: the contract's preflight (a change the registry refuses, or a field without a fitting column,
 * stops it before anything is touched) → migrations → topics apply (services/topics.json) → schema registration →
 * connectors apply (connectors/*.json). Idempotent: with everything in place it changes nothing (no topic or
 * connector write). Connectors on the worker that no file declares are left alone (pruning is an explicit command).
 */
export function setup(ctx: StackContext): Promise<SetupResult> {
  return withRolloutDeps(ctx, (deps) => setupWith(ctx, deps));
}

async function setupWith(ctx: StackContext, deps: RolloutDeps): Promise<SetupResult> {
  const target = shippedTarget(ctx);
  const contract = await preflight(deps, target);
  if (contract.steps.length > 0) ctx.log(`setup: ${formatRollout(contract)}`);
  ctx.log("setup: migrating the database…");
  await deps.migrate();
  await checkColumns(deps, target);
  const topics = await withAdmin(ctx, (admin) => applyTopics(admin, desiredTopics(ctx)));
  const topicsCreated = topics.flatMap((a) => (a.kind === "create" ? [a.topic.name] : []));
  if (hasTopicChanges(topics)) ctx.log(`setup: topics:\n${formatTopicPlan(topics)}`);
  const schemaId = await registerContract(registryUrl(ctx), VALUE_SUBJECT, valueJsonSchema(), {
    auth: registryAuth(ctx.env),
  });
  ctx.log(`setup: contract registered as ${VALUE_SUBJECT} id ${schemaId}`);
  const desired = desiredConnectors(ctx);
  const client = connectClient(ctx);
  await workerCapabilities(client, desired);
  const apply = () => applyConnectors(client, desired, { log: (line) => ctx.log(`setup: ${line}`) });
  // A contract change reaches producers only once the sink's tasks restarted with it.
  const changesSink = contract.steps.some((s) => s.phase === "connector" && s.action === "update");
  const connectors =
    changesSink && target.connector
      ? await applyContractConnector(deps, target.connector, apply, (line) => ctx.log(`setup: ${line}`))
      : await apply();
  const main = connectors.find((a) => a.name === MAIN_CONNECTOR);
  const connector = main?.kind === "create" ? "created" : main?.kind === "update" ? "updated" : "unchanged";
  ctx.log(
    `setup: connectors ${connectors
      .filter((a) => a.kind !== "unmanaged")
      .map((a) => `${a.name} ${a.kind}`)
      .join(", ")}; RUNNING`,
  );
  const producers = contract.steps.find((s) => s.phase === "producers");
  if (producers)
    ctx.log(
      `setup: producers may now send ${[...producers.codes.map((c) => `code ${c}`), ...producers.fields.map((f) => `field ${f}`)].join(", ")}; records sent with them before this are in the DLQ: \`sluice dlq replay\``,
    );
  return { topicsCreated, schemaId, connector, topics, connectors, contract };
}
