// The secured local stack's pieces: the nodes' and the worker's settings, the clients' defaults, a data dir's mode.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStackContext } from "../../src/stack/context.ts";
import {
  brokerSecurityLines,
  checkSecurityMode,
  kafkaPassword,
  scramFormatArgs,
  workerSecurityLines,
} from "../../src/stack/kafka-security.ts";

const withDir = (f: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-sec-unit-"));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe("the secured local stack", () => {
  test("passwords: generated once per user, 0600, reused", () =>
    withDir((dir) => {
      const ctx = createStackContext({ SLUICE_DATA_DIR: dir, SLUICE_SECURITY: "sasl_ssl" });
      const p = kafkaPassword(ctx, "sluice");
      expect(p).toMatch(/^[\w-]{32}$/);
      expect(kafkaPassword(ctx, "sluice")).toBe(p);
      expect(kafkaPassword(ctx, "connect")).not.toBe(p);
      expect(statSync(join(dir, "secrets", "kafka", "sluice.password")).mode & 0o777).toBe(0o600);
      expect(scramFormatArgs(ctx).filter((a) => a.startsWith("SCRAM-SHA-512=[name="))).toHaveLength(4);
    }));

  test("a node: SASL_SSL for clients and nodes, TLS for the controllers; the worker and its connectors' clients", () =>
    withDir((dir) => {
      const ctx = createStackContext({ SLUICE_DATA_DIR: dir, SLUICE_SECURITY: "sasl_ssl" });
      const node = brokerSecurityLines(ctx, { port: 1, controllerPort: 2 }, { keystore: "/k.pem", truststore: "/ca" });
      expect(node).toContain("listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL");
      expect(node).toContain("super.users=User:admin");
      expect(node).toContain("listeners=SASL_SSL://127.0.0.1:1,CONTROLLER://127.0.0.1:2");
      expect(node.some((l) => l.includes(`username="admin" password="${kafkaPassword(ctx, "admin")}"`))).toBe(true);
      const rest = { keystore: "/ks.p12", truststore: "/ts.p12", storePassword: "pw", jaas: "/jaas.conf" };
      const worker = workerSecurityLines(ctx, { port: 3 }, rest);
      for (const prefix of ["", "producer.", "consumer.", "admin."])
        expect(worker).toContain(`${prefix}security.protocol=SASL_SSL`);
      expect(worker.filter((l) => l.includes('username="connect"'))).toHaveLength(4);
      expect(worker).toContain("listeners=https://127.0.0.1:3");
      expect(worker).toContain(
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
      );
    }));

  test("Sluice's commands default to the stack's `sluice` user; settings the user gave win", () =>
    withDir((dir) => {
      const ctx = createStackContext({ SLUICE_DATA_DIR: dir, SLUICE_SECURITY: "sasl_ssl" });
      expect(ctx.env).toMatchObject({
        KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
        KAFKA_SASL_USERNAME: "sluice",
        KAFKA_SASL_PASSWORD_FILE: join(dir, "secrets", "kafka", "sluice.password"),
        KAFKA_SSL_CA_FILE: join(dir, "secrets", "tls", "ca.crt"),
      });
      const own = createStackContext({
        SLUICE_DATA_DIR: dir,
        SLUICE_SECURITY: "sasl_ssl",
        KAFKA_SECURITY_PROTOCOL: "SSL",
      });
      expect([own.env.KAFKA_SECURITY_PROTOCOL, own.env.KAFKA_SASL_USERNAME]).toEqual(["SSL", undefined]);
      expect(createStackContext({ SLUICE_DATA_DIR: dir }).env.KAFKA_SECURITY_PROTOCOL).toBe("PLAINTEXT");
    }));

  test("a data dir keeps the mode it was formatted with", () =>
    withDir((dir) => {
      const secured = createStackContext({ SLUICE_DATA_DIR: dir, SLUICE_SECURITY: "sasl_ssl" });
      const plain = createStackContext({ SLUICE_DATA_DIR: dir });
      Bun.spawnSync(["mkdir", "-p", join(dir, "kafka")]);
      checkSecurityMode(secured, false);
      expect(readFileSync(join(dir, "kafka", "security"), "utf8")).toBe("sasl_ssl\n");
      expect(() => checkSecurityMode(plain, true)).toThrow("holds a sasl_ssl Kafka, but SLUICE_SECURITY is plaintext");
      // Storage formatted before the mode was kept: plaintext.
      rmSync(join(dir, "kafka", "security"));
      expect(() => checkSecurityMode(secured, true)).toThrow("holds a plaintext Kafka");
    }));
});

describe("the secured local stack's ACLs", () => {
  test("each principal gets no more than it needs; nobody but the nodes is a super user", async () => {
    const { localAcls } = await import("../../src/stack/kafka-acls.ts");
    const acls = localAcls({ METRICS_TOPIC: "metrics", DLQ_TOPIC: "metrics.dlq" });
    const of = (user: string) =>
      acls
        .filter((a) => a.principal === `User:${user}`)
        .map((a) => `${a.resourceType}:${a.resourceName}:${a.operation}`);
    // kafkajs's enums: resource 2 topic, 3 group, 4 cluster; operation 2 all, 3 read, 4 write, 5 create, 8 describe,
    // 10 describe_configs, 12 idempotent_write.
    expect(of("producer").sort()).toEqual(["2:metrics:4", "2:metrics:8", "4:kafka-cluster:12"]);
    expect(of("connect")).toContain("2:metrics:3");
    expect(of("connect")).toContain("2:metrics.dlq:4");
    expect(of("connect")).not.toContain("2:metrics:4");
    expect(acls.some((a) => a.principal === "User:admin")).toBe(false);
  });
});

describe("the stack's TLS files", () => {
  test("made once even when PostgreSQL and Kafka ask side by side: one CA signs the server certificate", async () => {
    const { ensureLocalTls } = await import("../../src/stack/tls.ts");
    const { X509Certificate } = await import("node:crypto");
    const dir = mkdtempSync(join(tmpdir(), "sluice-tls-unit-"));
    try {
      const [a, b] = await Promise.all([ensureLocalTls(dir, ["127.0.0.1"]), ensureLocalTls(dir, ["127.0.0.1"])]);
      expect(a).toEqual(b);
      const ca = new X509Certificate(readFileSync(a.caCert));
      const server = new X509Certificate(readFileSync(a.serverCert));
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
      expect(statSync(a.serverKey).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
