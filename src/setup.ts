import postgres from "postgres";
import { registryAuth } from "./config/http-auth.ts";
import { applyConnectors } from "./connect/apply.ts";
import type { ConnectorAction } from "./connect/plan.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "./contract/index.ts";
import { syncMetricCodes } from "./db/metric-codes.ts";
import { migrateDb } from "./db/migrate.ts";
import { applyRoleLogins } from "./db/roles.ts";
import { pgTls } from "./db/tls.ts";
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
 * The setup job: migrations → topics apply (services/topics.json) → schema registration → connectors apply
 * (connectors/*.json). Idempotent: with everything in place it changes nothing (no topic or connector write).
 * Connectors on the worker that no file declares are left alone (pruning is an explicit command).
 */
export async function setup(ctx: StackContext): Promise<SetupResult> {
  ctx.log("setup: migrating the database…");
  await migrateDatabase(ctx);
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
  const connectors = await applyConnectors(client, desired, { log: (line) => ctx.log(`setup: ${line}`) });
  const main = connectors.find((a) => a.name === MAIN_CONNECTOR);
  const connector = main?.kind === "create" ? "created" : main?.kind === "update" ? "updated" : "unchanged";
  ctx.log(
    `setup: connectors ${connectors
      .filter((a) => a.kind !== "unmanaged")
      .map((a) => `${a.name} ${a.kind}`)
      .join(", ")}; RUNNING`,
  );
  return { topicsCreated, schemaId, connector, topics, connectors };
}
