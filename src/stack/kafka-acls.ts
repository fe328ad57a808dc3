import {
  type AclEntry,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  logLevel,
  ResourcePatternTypes,
} from "kafkajs";
import type { Env } from "../config/env.ts";
import { kafka } from "../kafka/client.ts";
import type { StackContext } from "./component.ts";
import { kafkaPassword } from "./kafka-security.ts";
import { localTlsDir } from "./tls.ts";

type Acl = Omit<AclEntry, "host" | "permissionType">;

const allow = (
  principal: string,
  resourceType: AclResourceTypes,
  resourceName: string,
  operations: AclOperationTypes[],
  pattern: ResourcePatternTypes = ResourcePatternTypes.LITERAL,
): Acl[] =>
  operations.map((operation) => ({
    principal: `User:${principal}`,
    resourceType,
    resourceName,
    resourcePatternType: pattern,
    operation,
  }));

const CLUSTER = "kafka-cluster";
const { TOPIC, GROUP, CLUSTER: CLUSTER_TYPE } = AclResourceTypes;
const { ALL, READ, WRITE, DESCRIBE, CREATE, DESCRIBE_CONFIGS, IDEMPOTENT_WRITE } = AclOperationTypes;

/**
 * The secured local stack's ACLs, per principal, each no more than it needs (the nodes' `admin` is the super user):
 * - `connect`: its worker group and internal topics, read metrics (its sink consumer groups `connect-*`), write the
 *   DLQ, and read and write the sandboxes' `t.*` topics;
 * - `sluice`: what setup and the tools need (topics, groups and cluster: create, describe, read, write);
 * - `producer`: write metrics, nothing else.
 */
export function localAcls(env: Pick<Env, "METRICS_TOPIC" | "DLQ_TOPIC">): Acl[] {
  return [
    ...allow("connect", GROUP, "sluice-connect", [ALL]),
    ...allow("connect", GROUP, "connect-", [READ, DESCRIBE], ResourcePatternTypes.PREFIXED),
    ...allow("connect", TOPIC, "_sluice-connect-", [ALL], ResourcePatternTypes.PREFIXED),
    ...allow("connect", TOPIC, env.METRICS_TOPIC, [READ, DESCRIBE]),
    ...allow("connect", TOPIC, env.DLQ_TOPIC, [WRITE, DESCRIBE]),
    // Sandboxes (src/sandbox.ts: topic t.<id>, DLQ t.<id>.dlq) of the tests, the bench and the drills.
    ...allow("connect", TOPIC, "t.", [READ, WRITE, DESCRIBE], ResourcePatternTypes.PREFIXED),
    ...allow("connect", CLUSTER_TYPE, CLUSTER, [DESCRIBE, DESCRIBE_CONFIGS, IDEMPOTENT_WRITE]),
    ...allow("sluice", TOPIC, "*", [ALL]),
    ...allow("sluice", GROUP, "*", [ALL]),
    ...allow("sluice", CLUSTER_TYPE, CLUSTER, [CREATE, DESCRIBE, DESCRIBE_CONFIGS, IDEMPOTENT_WRITE]),
    ...allow("producer", TOPIC, env.METRICS_TOPIC, [WRITE, DESCRIBE]),
    ...allow("producer", CLUSTER_TYPE, CLUSTER, [IDEMPOTENT_WRITE]),
  ];
}

/**
 * Creates the ACLs (idempotent: Kafka keeps one of each) as the nodes' super user. Runs once Kafka is healthy and
 * before the Connect worker starts, which cannot create its internal topics without them.
 */
export async function ensureLocalAcls(ctx: StackContext, brokers: string[]): Promise<void> {
  const ca = await Bun.file(`${localTlsDir(ctx)}/ca.crt`).text();
  const admin = kafka(brokers, "sluice-acls", {
    ssl: { ca: [ca], rejectUnauthorized: true },
    sasl: { mechanism: "scram-sha-512", username: "admin", password: kafkaPassword(ctx, "admin") },
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: localAcls(ctx.env).map((a) => ({ ...a, host: "*", permissionType: AclPermissionTypes.ALLOW })),
    });
  } finally {
    await admin.disconnect();
  }
}
