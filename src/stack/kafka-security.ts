import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
  return secretFile(kafkaPasswordFile(ctx, user));
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

/** Connect's REST API on a secured local stack: HTTPS with the stack's CA, basic auth as the `sluice` REST user. */
export function securedConnectDefaults(ctx: Pick<StackContext, "paths">): Record<string, string> {
  return {
    CONNECT_USERNAME: "sluice",
    CONNECT_PASSWORD_FILE: join(restDir(ctx), "sluice.password"),
    CONNECT_CA_FILE: join(localTlsDir(ctx), "ca.crt"),
  };
}

const restDir = (ctx: Pick<StackContext, "paths">) => join(ctx.paths.secrets, "connect-rest");

/** A generated secret in `file` (24 random bytes, base64url, 0600), made once. */
function secretFile(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

/** What the worker's REST server needs: PKCS12 stores (Jetty loads no PEM), their password, the JAAS login file. */
export interface RestSecurity {
  readonly keystore: string;
  readonly truststore: string;
  readonly storePassword: string;
  readonly jaas: string;
}

/**
 * Makes (once) the worker's REST material: PKCS12 keystore and truststore converted from the stack's PEM files by
 * services/connect/PemToPkcs12.java (the JDK's source launcher; the password on stdin, never in argv), a property
 * file of REST users (`sluice`, with its generated password) and the JAAS file that points the basic-auth extension
 * at it.
 */
export async function connectRestSecurity(ctx: StackContext): Promise<RestSecurity> {
  const tls = await ensureLocalTls(localTlsDir(ctx), [ctx.env.SLUICE_HOST, "localhost"]);
  const dir = restDir(ctx);
  const storePassword = secretFile(join(dir, "stores.password"));
  const keystore = join(dir, "rest-keystore.p12");
  const truststore = join(dir, "truststore.p12");
  if (!existsSync(keystore) || !existsSync(truststore)) {
    const tool = join(ctx.paths.root, "services", "connect", "PemToPkcs12.java");
    const r = spawnSync("java", [tool, tls.serverKey, tls.serverCert, tls.caCert, keystore, truststore], {
      input: storePassword,
      encoding: "utf8",
    });
    if (r.status !== 0)
      throw new SluiceError(
        "START_FAILED",
        `connect: could not make the REST keystore:\n${(r.stderr || r.stdout).slice(-800)}`,
      );
    chmodSync(keystore, 0o600);
    chmodSync(truststore, 0o600);
  }
  const users = join(dir, "users.properties");
  writeFileSync(users, `sluice=${secretFile(join(dir, "sluice.password"))}\n`, { mode: 0o600 });
  const jaas = join(dir, "jaas.conf");
  writeFileSync(
    jaas,
    `KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="${users}";\n};\n`,
    { mode: 0o600 },
  );
  return { keystore, truststore, storePassword, jaas };
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

/**
 * The worker in sasl_ssl mode: its own and its connectors' Kafka clients (producer., consumer., admin.) on SASL_SSL as
 * `connect`; its REST API on HTTPS with basic auth (the JAAS file is given to the JVM). PKCS12 truststore: the REST
 * client that forwards requests to the group's leader loads it through Jetty too.
 */
export function workerSecurityLines(ctx: StackContext, node: { port: number }, rest: RestSecurity): string[] {
  const trust = [
    "ssl.truststore.type=PKCS12",
    `ssl.truststore.location=${rest.truststore}`,
    `ssl.truststore.password=${rest.storePassword}`,
  ];
  const common = [
    "security.protocol=SASL_SSL",
    "sasl.mechanism=SCRAM-SHA-512",
    `sasl.jaas.config=${jaas("connect", kafkaPassword(ctx, "connect"))}`,
    ...trust,
  ];
  const host = ctx.env.SLUICE_HOST;
  return [
    "# sasl_ssl (SLUICE_SECURITY): written by the supervisor, readable by its owner only.",
    ...common,
    ...["producer.", "consumer.", "admin."].flatMap((prefix) => common.map((line) => prefix + line)),
    `listeners=https://${host}:${node.port}`,
    "rest.advertised.listener=https",
    "listeners.https.ssl.keystore.type=PKCS12",
    `listeners.https.ssl.keystore.location=${rest.keystore}`,
    `listeners.https.ssl.keystore.password=${rest.storePassword}`,
    `listeners.https.ssl.key.password=${rest.storePassword}`,
    ...trust.map((l) => `listeners.https.${l}`),
    "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
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
