import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SluiceError } from "../errors.ts";
import type { StackContext } from "./component.ts";
import { ensureLocalTls, localTlsDir } from "./tls.ts";

/**
 * The SCRAM users of a secured local stack: the nodes among themselves (the only super user), the Connect worker,
 * Sluice's commands (setup and the tools), and a producer that may only write metrics (load generators, devices).
 */
export const KAFKA_USERS = ["admin", "connect", "sluice", "producer"] as const;
export type KafkaUser = (typeof KAFKA_USERS)[number];

const usersDir = (ctx: Pick<StackContext, "paths">) => join(ctx.paths.secrets, "kafka");

/** The file holding `user`'s password (what KAFKA_SASL_PASSWORD_FILE points at for the `sluice` user). */
export const kafkaPasswordFile = (ctx: Pick<StackContext, "paths">, user: KafkaUser) =>
  join(usersDir(ctx), `${user}.password`);

/** `user`'s password, generated (24 random bytes, base64url) into its 0600 file on first use. */
export function kafkaPassword(ctx: Pick<StackContext, "paths">, user: KafkaUser): string {
  const file = kafkaPasswordFile(ctx, user);
  if (!existsSync(file)) {
    mkdirSync(usersDir(ctx), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

/** The client settings a secured local stack gives Sluice's commands (the `sluice` user), unless the user set them. */
export function securedClientDefaults(ctx: Pick<StackContext, "paths">): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
    KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
    KAFKA_SASL_USERNAME: "sluice",
    KAFKA_SASL_PASSWORD_FILE: kafkaPasswordFile(ctx, "sluice"),
    KAFKA_SSL_CA_FILE: join(localTlsDir(ctx), "ca.crt"),
  };
}

/** The PostgreSQL settings a secured local stack gives Sluice's clients: TLS checked against the stack's CA. */
export function securedPostgresDefaults(ctx: Pick<StackContext, "paths">): Record<string, string> {
  return { POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: join(localTlsDir(ctx), "ca.crt") };
}

/** The nodes' PEM keystore (key, then certificate chain) and truststore (the CA), made beside the stack's TLS files. */
export async function kafkaTlsStores(ctx: StackContext): Promise<{ keystore: string; truststore: string }> {
  const tls = await ensureLocalTls(localTlsDir(ctx), [ctx.env.SLUICE_HOST, "localhost"]);
  const keystore = join(localTlsDir(ctx), "kafka-keystore.pem");
  if (!existsSync(keystore)) {
    const pem = [tls.serverKey, tls.serverCert, tls.caCert].map((f) => readFileSync(f, "utf8")).join("");
    writeFileSync(keystore, pem, { mode: 0o600 });
  }
  return { keystore, truststore: tls.caCert };
}

const jaas = (user: KafkaUser, password: string) =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

/**
 * What a node's server.properties gets in sasl_ssl mode (appended: a later key wins): clients and the nodes among
 * themselves on SASL_SSL with SCRAM-SHA-512, the controller listener on TLS (SCRAM credentials live in the metadata
 * log, which controllers need before they can check any), certificates from the stack's CA.
 */
export function brokerSecurityLines(
  ctx: StackContext,
  node: { port: number; controllerPort: number },
  stores: { keystore: string; truststore: string },
): string[] {
  const host = ctx.env.SLUICE_HOST;
  const admin = kafkaPassword(ctx, "admin");
  return [
    "# sasl_ssl (SLUICE_SECURITY): written by the supervisor, readable by its owner only.",
    `listeners=SASL_SSL://${host}:${node.port},CONTROLLER://${host}:${node.controllerPort}`,
    `advertised.listeners=SASL_SSL://${host}:${node.port}`,
    "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL",
    "inter.broker.listener.name=SASL_SSL",
    "sasl.enabled.mechanisms=SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas("admin", admin)}`,
    // Controllers: PLAIN with the admin user alone (SCRAM credentials live in the metadata log they serve).
    "sasl.mechanism.controller.protocol=PLAIN",
    "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${admin}" user_admin="${admin}";`,
    // Nothing without an ACL; only the nodes' own user is a super user (ACLs: kafka-acls.ts).
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users=User:admin",
    "allow.everyone.if.no.acl.found=false",
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${stores.keystore}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${stores.truststore}`,
  ];
}

/** The StorageTool arguments that create the SCRAM users when a node's storage is formatted. */
export function scramFormatArgs(ctx: StackContext): string[] {
  return KAFKA_USERS.flatMap((u) => ["--add-scram", `SCRAM-SHA-512=[name=${u},password=${kafkaPassword(ctx, u)}]`]);
}

/** The worker's own clients and its connectors' clients (producer., consumer., admin.) on SASL_SSL as `connect`. */
export function workerSecurityLines(ctx: StackContext, truststore: string): string[] {
  const common = [
    "security.protocol=SASL_SSL",
    "sasl.mechanism=SCRAM-SHA-512",
    `sasl.jaas.config=${jaas("connect", kafkaPassword(ctx, "connect"))}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${truststore}`,
  ];
  return [
    "# sasl_ssl (SLUICE_SECURITY): written by the supervisor, readable by its owner only.",
    ...common,
    ...["producer.", "consumer.", "admin."].flatMap((prefix) => common.map((line) => prefix + line)),
  ];
}

/**
 * The security mode a Kafka data dir was formatted with, kept beside the cluster id: the SCRAM users exist only if
 * the storage was formatted secured, so a data dir cannot switch modes.
 */
export function checkSecurityMode(ctx: StackContext, formatted: boolean): void {
  const file = join(ctx.paths.data, "kafka", "security");
  const had = existsSync(file) ? readFileSync(file, "utf8").trim() : formatted ? "plaintext" : undefined;
  const want = ctx.env.SLUICE_SECURITY;
  if (had !== undefined && had !== want)
    throw new SluiceError(
      "CLUSTER_SHAPE",
      `kafka: the data dir ${ctx.paths.data} holds a ${had} Kafka, but SLUICE_SECURITY is ${want}. Set ` +
        `SLUICE_SECURITY=${had}, or use another SLUICE_DATA_DIR for a ${want} stack.`,
    );
  writeFileSync(file, `${want}\n`);
}
