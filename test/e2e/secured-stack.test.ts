// `SLUICE_SECURITY=sasl_ssl sluice up`: the local stack's Kafka on SASL_SSL only (SCRAM-SHA-512 users with generated
// passwords, certificates from the stack's own CA), the Connect worker and Sluice's commands connecting as their own
// users, the whole pipeline working through it; a PLAINTEXT client refused; no password in a log. Own data dir and
// ports, started and stopped through the CLI a user runs.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { logLevel } from "kafkajs";
import postgres from "postgres";
import { parseEnv } from "../../src/config/env.ts";
import { kafkaSecurity } from "../../src/config/kafka-security.ts";
import { kafka } from "../../src/kafka/client.ts";
import { ctx, ownStack } from "./harness.ts";

const { dir, env, sluice, remove } = ownStack("secured", 32, { SLUICE_SECURITY: "sasl_ssl" });
const { KAFKA_PORT, POSTGRES_PORT, CONNECT_PORT } = parseEnv(env);

afterAll(remove, 120_000);

describe("a secured local stack (SLUICE_SECURITY=sasl_ssl)", () => {
  test("sluice up starts it healthy, and sluice demo lands every record exactly once through SASL_SSL", () => {
    expect(sluice("up").status).toBe(0);
    const demo = sluice("demo", "--count", "20000");
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/rows landed \(exactly once\)\s+20,000/);
    const doctor = JSON.parse(sluice("doctor", "--json").stdout) as { component: string; verdict: string }[];
    expect(doctor.map((r) => r.verdict)).toEqual(["ok", "ok", "ok", "ok"]);
  }, 600_000);

  test("ACLs: the producer user may write metrics and nothing else; the nodes' user is the only super user", async () => {
    const asProducer = {
      KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
      KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      KAFKA_SASL_USERNAME: "producer",
      KAFKA_SASL_PASSWORD_FILE: join(dir, "secrets", "kafka", "producer.password"),
      KAFKA_SSL_CA_FILE: join(dir, "secrets", "tls", "ca.crt"),
    };
    const run = (...args: string[]) =>
      spawnSync(join(ctx.paths.root, "bin", "sluice"), args, { env: { ...env, ...asProducer }, encoding: "utf8" });
    expect(run("produce", "--count", "1000", "--no-manifest").status).toBe(0);
    const peek = run("dlq", "peek");
    expect(peek.status).toBe(1);
    expect(peek.stderr).toContain("(KAFKA_ACL)");
    const doctor = JSON.parse(run("doctor", "--json").stdout) as { component: string; verdict: string }[];
    expect(doctor.find((r) => r.component === "kafka")?.verdict).toBe("ACL");
    // Nor write Connect's internal topics, nor create a topic.
    const client = kafka([`127.0.0.1:${KAFKA_PORT}`], "producer-probe", {
      ...kafkaSecurity(parseEnv(asProducer)),
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const producer = client.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    const admin = client.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      const internal = await producer.send({ topic: "_sluice-connect-configs", messages: [{ value: "x" }] }).then(
        () => "sent",
        (e: Error) => e.message,
      );
      expect(internal).toMatch(/[Aa]uthoriz/);
      const create = await admin.createTopics({ topics: [{ topic: "producer-made" }] }).then(
        () => "created",
        (e: Error & { errors?: { type?: string }[] }) => e.errors?.map((x) => x.type).join(",") ?? e.message,
      );
      expect(create).toMatch(/AUTHORIZATION_FAILED/);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
    const props = readFileSync(join(dir, "kafka", "server.properties"), "utf8");
    expect(props).toContain("super.users=User:admin\n");
    expect(props).toContain("allow.everyone.if.no.acl.found=false");
  }, 120_000);

  test("poison-flood through the secured stack: invalid records to the DLQ with reasons, valid ones exactly once", () => {
    const out = join(dir, "poison.json");
    expect(sluice("chaos", "poison-flood", "--rate", "1000", "--seconds", "6", "--json", out).status).toBe(0);
    const [r] = JSON.parse(readFileSync(out, "utf8")) as Record<string, number | boolean>[];
    expect(r).toMatchObject({ missing: 0, unexpected: 0, wrong: 0, ok: true });
    expect(r!.dlq).toBeGreaterThan(0);
  }, 300_000);

  test("PostgreSQL takes TLS logins only: a plaintext connection is refused", async () => {
    const password = readFileSync(join(dir, "secrets", "postgres-password"), "utf8").trim();
    const url = `postgres://sluice:${encodeURIComponent(password)}@127.0.0.1:${POSTGRES_PORT}/sluice`;
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    const refused = await sql`select 1`.then(
      () => "",
      (e: Error) => e.message,
    );
    await sql.end({ timeout: 1 });
    expect(refused).toContain("no encryption");
  });

  test("Connect's REST API: HTTPS with the stack's CA, and 401 without the right credentials", async () => {
    const ca = readFileSync(join(dir, "secrets", "tls", "ca.crt"), "utf8");
    const url = `https://127.0.0.1:${CONNECT_PORT}/connectors`;
    const none = await fetch(url, { tls: { ca } });
    expect(none.status).toBe(401);
    const wrong = await fetch(url, { tls: { ca }, headers: { authorization: `Basic ${btoa("sluice:wrong")}` } });
    expect(wrong.status).toBe(401);
    const password = readFileSync(join(dir, "secrets", "connect-rest", "sluice.password"), "utf8").trim();
    const ok = await fetch(url, { tls: { ca }, headers: { authorization: `Basic ${btoa(`sluice:${password}`)}` } });
    expect(await ok.json()).toEqual(["metrics-sink"]);
    const plain = await fetch(`http://127.0.0.1:${CONNECT_PORT}/connectors`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(plain).not.toBe(200);
  });

  test("Kafka speaks only SASL_SSL: a PLAINTEXT client gets nothing", async () => {
    const admin = kafka([`127.0.0.1:${KAFKA_PORT}`], "plaintext-probe", {
      connectionTimeout: 2000,
      requestTimeout: 3000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    const refused = await admin
      .connect()
      .then(() => admin.listTopics())
      .then(
        () => false,
        () => true,
      );
    await admin.disconnect().catch(() => {});
    expect(refused).toBe(true);
  });

  test("the passwords are generated 0600 files, the configs holding them 0600, and no log shows any secret", () => {
    const users = join(dir, "secrets", "kafka");
    for (const f of readdirSync(users)) expect(statSync(join(users, f)).mode & 0o777).toBe(0o600);
    expect(readdirSync(users)).toHaveLength(4);
    for (const f of [join(dir, "kafka", "server.properties"), join(dir, "connect", "worker.properties")])
      expect(statSync(f).mode & 0o777).toBe(0o600);
    // Every secret the stack made (passwords, API keys, private keys' lines; certificates are public), in no log.
    const secrets = readdirSync(join(dir, "secrets"), { recursive: true, encoding: "utf8" })
      .map((f) => join(dir, "secrets", f))
      .filter((f) => statSync(f).isFile() && !f.endsWith(".crt"))
      .flatMap((f) => readFileSync(f, "utf8").split("\n"))
      .map((l) => l.trim())
      .filter((l) => l.length >= 16 && !l.startsWith("-----"));
    expect(secrets.length).toBeGreaterThan(8);
    const logs = join(dir, "logs");
    for (const log of readdirSync(logs)) {
      const text = readFileSync(join(logs, log), "utf8");
      expect([log, secrets.filter((x) => text.includes(x)).length]).toEqual([log, 0]);
    }
  });

  test("a data dir keeps its security mode: the same dir as plaintext is refused with the way out", () => {
    expect(sluice("down").status).toBe(0);
    const r = spawnSync(join(ctx.paths.root, "bin", "sluice"), ["up"], {
      env: { ...env, SLUICE_SECURITY: "plaintext" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("holds a sasl_ssl Kafka, but SLUICE_SECURITY is plaintext");
  }, 120_000);
});
