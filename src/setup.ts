import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { applyConnector } from "./connect/apply.ts";
import { ConnectClient } from "./connect/client.ts";
import { readConnectorFile, renderConnector } from "./connect/desired.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "./contract/index.ts";
import { migrateDb } from "./db/migrate.ts";
import { ensureTopics } from "./kafka/topics.ts";
import { registerContract } from "./registry/register.ts";
import type { StackContext } from "./stack/component.ts";
import { connectUrl } from "./stack/connect.ts";
import { bootstrap } from "./stack/kafka.ts";
import { postgresUrl } from "./stack/postgres.ts";
import { registryUrl } from "./stack/registry.ts";

export interface SetupResult {
  readonly topicsCreated: string[];
  readonly schemaId: number;
  readonly connector: "created" | "updated" | "unchanged";
}

/** A kafkajs client for the local stack, quiet unless something is wrong. */
export function kafkaClient(ctx: StackContext, clientId = "sluice"): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap(ctx)], logLevel: logLevel.ERROR });
}

/**
 * The setup job: migrations → topics → schema registration → connector. Idempotent: with everything in place it
 * changes nothing.
 */
export async function setup(ctx: StackContext): Promise<SetupResult> {
  ctx.log("setup: migrating the database…");
  await migrateDb(postgresUrl(ctx));
  const admin = kafkaClient(ctx, "sluice-setup").admin();
  await admin.connect();
  let topicsCreated: string[];
  try {
    topicsCreated = await ensureTopics(admin, [
      { topic: ctx.env.METRICS_TOPIC, numPartitions: ctx.env.TOPIC_PARTITIONS_METRICS },
      { topic: ctx.env.DLQ_TOPIC, numPartitions: 1 },
    ]);
  } finally {
    await admin.disconnect();
  }
  if (topicsCreated.length) ctx.log(`setup: created topics ${topicsCreated.join(", ")}`);
  const schemaId = await registerContract(registryUrl(ctx), VALUE_SUBJECT, valueJsonSchema());
  ctx.log(`setup: contract registered as ${VALUE_SUBJECT} id ${schemaId}`);
  const spec = renderConnector(readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json")), {
    topics: ctx.env.METRICS_TOPIC,
    "errors.deadletterqueue.topic.name": ctx.env.DLQ_TOPIC,
  });
  const connector = await applyConnector(new ConnectClient(connectUrl(ctx)), spec);
  ctx.log(`setup: connector ${spec.name} ${connector}, RUNNING`);
  return { topicsCreated, schemaId, connector };
}
