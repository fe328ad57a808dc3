// Sluice's commands against a secured Kafka, as they would meet a company or managed cluster: a KRaft node of its
// own (the stack's Kafka jars) listening only on SASL_SSL with SCRAM-SHA-512 users and a certificate signed by a CA
// made here with keytool. `sluice topics apply` and `sluice produce` reach it through KAFKA_SECURITY_PROTOCOL and
// friends (the password from a file); a wrong password or a PLAINTEXT client is refused, and no output shows a secret.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logLevel } from "kafkajs";
import { parseEnv } from "../../src/config/env.ts";
import { kafkaSecurity } from "../../src/config/kafka-security.ts";
import { kafka } from "../../src/kafka/client.ts";
import { ensureKafkaJars } from "../../src/stack/fetch.ts";
import { classpath } from "../../src/stack/java.ts";
import { ctx, eventually, freePort } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-sasl-"));
const STOREPASS = "store-pass-for-test";
const USER_PASSWORD = "producer-pass-for-test";
let broker: ChildProcess | undefined;
let port = 0;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed: ${r.stderr || r.stdout}`);
}

/** A CA, and a broker key pair with a certificate for 127.0.0.1 signed by it (PKCS12), with keytool from the JDK. */
function certificates(): void {
  const ks = (file: string) => ["-keystore", file, "-storetype", "PKCS12", "-storepass", STOREPASS];
  run("keytool", [
    "-genkeypair",
    "-alias",
    "ca",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-dname",
    "CN=sluice-test-ca",
    "-ext",
    "bc:c",
    "-validity",
    "2",
    ...ks("ca.p12"),
  ]);
  run("keytool", ["-exportcert", "-rfc", "-alias", "ca", "-file", "ca.pem", ...ks("ca.p12")]);
  run("keytool", [
    "-genkeypair",
    "-alias",
    "broker",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-dname",
    "CN=localhost",
    "-validity",
    "2",
    ...ks("broker.p12"),
  ]);
  run("keytool", ["-certreq", "-alias", "broker", "-file", "broker.csr", ...ks("broker.p12")]);
  run("keytool", [
    "-gencert",
    "-alias",
    "ca",
    "-infile",
    "broker.csr",
    "-outfile",
    "broker.pem",
    "-rfc",
    "-ext",
    "SAN=ip:127.0.0.1,dns:localhost",
    "-validity",
    "2",
    ...ks("ca.p12"),
  ]);
  run("keytool", ["-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", ...ks("broker.p12")]);
  run("keytool", ["-importcert", "-noprompt", "-alias", "broker", "-file", "broker.pem", ...ks("broker.p12")]);
}

/** The environment a user points Sluice at the secured cluster with. */
const secured = (password = join(dir, "password")) => ({
  ...process.env,
  KAFKA_BOOTSTRAP: `127.0.0.1:${port}`,
  KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
  KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
  KAFKA_SASL_USERNAME: "producer",
  KAFKA_SASL_PASSWORD_FILE: password,
  KAFKA_SSL_CA_FILE: join(dir, "ca.pem"),
});

const sluice = (env: Record<string, string | undefined>, ...args: string[]) =>
  spawnSync(join(ctx.paths.root, "bin", "sluice"), args, { env, encoding: "utf8", timeout: 120_000 });

beforeAll(async () => {
  const jars = await ensureKafkaJars(ctx.paths.root, ctx.paths.cache, ctx.versions, () => {});
  port = await freePort();
  const controller = await freePort();
  certificates();
  writeFileSync(join(dir, "password"), `${USER_PASSWORD}\n`);
  writeFileSync(join(dir, "wrong-password"), "not-the-password\n");
  const config = join(dir, "server.properties");
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
      "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=SASL_SSL",
      "controller.listener.names=CONTROLLER",
      "sasl.enabled.mechanisms=SCRAM-SHA-512",
      "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${STOREPASS}";`,
      `ssl.keystore.location=${join(dir, "broker.p12")}`,
      "ssl.keystore.type=PKCS12",
      `ssl.keystore.password=${STOREPASS}`,
      `ssl.key.password=${STOREPASS}`,
      // The node talks to itself over SASL_SSL too: it trusts the CA (a trusted entry in the same store).
      `ssl.truststore.location=${join(dir, "broker.p12")}`,
      "ssl.truststore.type=PKCS12",
      `ssl.truststore.password=${STOREPASS}`,
      `log.dirs=${join(dir, "logs")}`,
      "offsets.topic.replication.factor=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "",
    ].join("\n"),
  );
  const java = (main: string, ...args: string[]) => ["-cp", classpath(jars), "-Xmx256m", main, ...args];
  run(
    "java",
    java(
      "kafka.tools.StorageTool",
      "format",
      "-t",
      "c2x1Y2Utc2FzbC10ZXN0",
      "-c",
      config,
      "--add-scram",
      `SCRAM-SHA-512=[name=admin,password=${STOREPASS}]`,
      "--add-scram",
      `SCRAM-SHA-512=[name=producer,password=${USER_PASSWORD}]`,
    ),
  );
  const log = openSync(join(dir, "broker.log"), "w");
  broker = spawn("java", java("kafka.Kafka", config), { cwd: dir, stdio: ["ignore", log, log] });
  // Quiet while it waits: the broker refuses connections until it has started.
  const quiet = { ...kafkaSecurity(parseEnv(secured())), logLevel: logLevel.NOTHING };
  const admin = kafka([`127.0.0.1:${port}`], "sluice-sasl-test", quiet).admin();
  await eventually(
    "the SASL_SSL broker answers",
    async () => {
      try {
        await admin.connect();
        await admin.listTopics();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    90_000,
  ).catch((e) => {
    console.error(readFileSync(join(dir, "broker.log"), "utf8").slice(-3000));
    throw e;
  });
}, 180_000);

afterAll(async () => {
  if (broker && broker.exitCode === null && broker.signalCode === null) {
    const exited = new Promise((r) => broker!.once("exit", r));
    broker.kill("SIGKILL");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("Sluice against a SASL_SSL (SCRAM-SHA-512) cluster", () => {
  test("sluice topics apply and sluice produce reach it; every acknowledged record is there", async () => {
    const apply = sluice(secured(), "topics", "apply");
    expect(apply.status).toBe(0);
    const produce = sluice(secured(), "produce", "--count", "2000", "--no-manifest", "--idempotence", "off");
    if (produce.status !== 0) console.error(produce.stdout, produce.stderr);
    expect(produce.status).toBe(0);
    for (const out of [apply, produce]) {
      expect(out.stdout + out.stderr).not.toContain(USER_PASSWORD);
      expect(out.stdout + out.stderr).not.toContain(STOREPASS);
    }
    const admin = kafka([`127.0.0.1:${port}`], "sluice-sasl-check", kafkaSecurity(parseEnv(secured()))).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(ctx.env.METRICS_TOPIC);
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(2000);
      expect((await admin.listTopics()).sort()).toEqual(
        expect.arrayContaining([ctx.env.METRICS_TOPIC, ctx.env.DLQ_TOPIC]),
      );
    } finally {
      await admin.disconnect();
    }
  }, 180_000);

  test("a wrong password is refused as an authentication failure, and the password is not printed", () => {
    const r = sluice(secured(join(dir, "wrong-password")), "topics", "plan");
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/SASL|authentication/i);
    expect(r.stderr).toContain("sluice: Kafka refused the credentials");
    expect(r.stderr).toContain("(KAFKA_AUTH)");
    expect(r.stdout + r.stderr).not.toContain("not-the-password");
  }, 120_000);

  test("sluice doctor: every connection ok with the right settings; a wrong password is an auth verdict", () => {
    type Row = { component: string; verdict: string; detail: string };
    const rows = (r: ReturnType<typeof sluice>) => JSON.parse(r.stdout) as Row[];
    const ok = sluice(secured(), "doctor", "--json");
    expect(rows(ok).map((r) => [r.component, r.verdict])).toEqual([
      ["kafka", "ok"],
      ["connect", "ok"],
      ["registry", "ok"],
      ["postgres", "ok"],
    ]);
    expect(ok.status).toBe(0);
    const wrong = sluice(secured(join(dir, "wrong-password")), "doctor", "--json");
    expect(wrong.status).toBe(1);
    const kafkaRow = rows(wrong).find((r) => r.component === "kafka")!;
    expect(kafkaRow.verdict).toBe("auth");
    expect(kafkaRow.detail).toContain("check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and the password file");
    expect(wrong.stdout + wrong.stderr).not.toContain("not-the-password");
  }, 120_000);

  test("without the CA file the system's CAs refuse the broker's certificate, and the error names the setting", () => {
    const { KAFKA_SSL_CA_FILE: _ca, ...noCa } = secured();
    const r = sluice(noCa, "topics", "plan");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("the broker's certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN");
    expect(r.stderr).toContain("set KAFKA_SSL_CA_FILE");
    expect(r.stderr).toContain("(KAFKA_TLS)");
  }, 120_000);
});
