// What connector configs may reach through the worker (config providers, client overrides) and how the tool keeps
// credentials out of everything it prints: the pure checks, the worker template they mirror, and the CLI's refusal.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectorsCommand } from "../../src/cli/connectors.ts";
import { parseEnv } from "../../src/config/env.ts";
import { parseConnectorFile, readConnectorDir } from "../../src/connect/desired.ts";
import { formatConnectorPlan, planConnectors } from "../../src/connect/plan.ts";
import { isInside, redact, referenceProblems, shown } from "../../src/connect/secrets.ts";
import { SluiceError } from "../../src/errors.ts";
import type { StackContext } from "../../src/stack/component.ts";
import { connectSecretsDir, providerPolicy, SINK_ENV_PATTERN, workerSecretsEnv } from "../../src/stack/connect.ts";
import { createStackContext } from "../../src/stack/context.ts";
import { PROJECT_ROOT } from "../../src/stack/paths.ts";
import { parseProperties } from "../sed.ts";

const root = PROJECT_ROOT;
const ctx: StackContext = createStackContext(
  { SLUICE_DATA_DIR: "/data/sluice", CONNECT_URL: "http://127.0.0.1:9" },
  { root },
);
const _env = ctx.env;
const policy = providerPolicy(ctx);
const SECRETS = "/data/sluice/secrets/connect";
const sink = (extra: Record<string, string> = {}) => ({
  "connector.class": "dev.sluice.connect.sink.PgUpsertSinkConnector",
  topics: "m",
  ...extra,
});

function fails(f: () => unknown): SluiceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error("expected a SluiceError");
}

/** Every connector file shipped: connectors/*.json and connectors/alternatives/**. */
function shippedFiles(dir = join(root, "connectors")): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? shippedFiles(p) : f.endsWith(".json") ? [p] : [];
  });
}

const template = parseProperties(readFileSync(join(root, "services", "connect", "worker.properties"), "utf8"));

describe("config provider references", () => {
  test("the policy is the worker's: the sink's variables, the connect secrets folder", () => {
    expect(policy).toEqual({ envPattern: SINK_ENV_PATTERN, secretsDir: SECRETS });
    expect(connectSecretsDir({ ...ctx, env: parseEnv({ CONNECT_SECRETS_DIR: "/run/secrets" }) })).toBe("/run/secrets");
    expect(template["config.providers.env.param.allowlist.pattern"]).toBe(SINK_ENV_PATTERN);
    expect(template["config.providers.file.param.allowed.paths"]).toBe("{{SECRETS_DIR}}");
    // Every variable the supervisor gives the worker for connectors is one the provider resolves.
    const workerEnv = workerSecretsEnv({ ...ctx, env: parseEnv({ POSTGRES_SINK_PASSWORD: "sink-password" }) });
    for (const k of Object.keys(workerEnv)) {
      expect({ k, allowed: new RegExp(`^(?:${SINK_ENV_PATTERN})$`).test(k) }).toEqual({ k, allowed: true });
    }
  });

  test("the Debezium alternative writes JDBC batches as multi-row INSERTs (pgjdbc reWriteBatchedInserts), TLS kept", () => {
    const file = join(root, "connectors", "alternatives", "debezium", "metrics-sink.json");
    const url = parseConnectorFile(JSON.parse(readFileSync(file, "utf8")), file).config["connection.url"]!;
    const name = /^\$\{env:([A-Z0-9_]+)\}$/.exec(url)?.[1];
    for (const env of [
      { POSTGRES_SINK_PASSWORD: "sink-password" },
      { POSTGRES_SINK_PASSWORD: "sink-password", POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: "/ca.crt" },
    ]) {
      const worker = workerSecretsEnv({ ...ctx, env: parseEnv(env) });
      const resolved = new URL(worker[name!]!.replace(/^jdbc:/, ""));
      expect(resolved.searchParams.get("reWriteBatchedInserts")).toBe("true");
      expect(resolved.searchParams.get("sslmode")).toBe(env.POSTGRES_SSLMODE ?? "disable");
    }
  });

  test("a variable outside the allowlist, a file outside the folder, another provider: each named with its key", () => {
    const problems = referenceProblems(
      {
        "connection.url": "${env:SLUICE_SINK_JDBC_URL}",
        "connection.password": "${file:/data/sluice/secrets/connect/db.properties:password}",
        "collection.name.format": "t_${env:HOME}_${env:SLUICE_SINK_DB_USER}",
        "connection.username": "${env:POSTGRES_PASSWORD}",
        "a.file": "${file:/etc/passwd:root}",
        "b.file": "${file:/data/sluice/secrets/connect/../postgres-password:x}",
        "c.file": "${file:/data/sluice/secrets/connect-other/x:y}",
        "d.file": "${file:relative/x:y}",
        "e.dir": "${directory:/data/sluice/secrets/connect:x}",
        "f.env": "${env:SLUICE_SINK_JDBC_URL_EXTRA;rm}",
        topics: "${topic}",
      },
      policy,
    );
    expect(problems.map((p) => [p.key, p.reference])).toEqual([
      ["collection.name.format", "${env:HOME}"],
      ["connection.username", "${env:POSTGRES_PASSWORD}"],
      ["a.file", "${file:/etc/passwd:root}"],
      ["b.file", "${file:/data/sluice/secrets/connect/../postgres-password:x}"],
      ["c.file", "${file:/data/sluice/secrets/connect-other/x:y}"],
      ["d.file", "${file:relative/x:y}"],
      ["e.dir", "${directory:/data/sluice/secrets/connect:x}"],
      ["f.env", "${env:SLUICE_SINK_JDBC_URL_EXTRA;rm}"],
    ]);
    expect(problems[0]!.message).toContain("SLUICE_SINK_");
    expect(problems[2]!.message).toContain(`\${file:${SECRETS}/<file>:<key>}`);
    expect(problems[6]!.message).toContain('"directory"');
    expect(isInside("/a/b/", "/a/b")).toBe(true);
    expect(isInside("/a/bc", "/a/b")).toBe(false);
  });

  test("a connector file with such a reference is refused with file, key and fix; without, it passes", () => {
    const e = fails(() => parseConnectorFile(sink({ "collection.name.format": "t_${env:HOME}" }), "/x/a.json", policy));
    expect(e.code).toBe("CONNECTOR_FILE");
    expect(e.message).toContain("/x/a.json");
    expect(e.message).toContain("config.collection.name.format: ${env:HOME}");
    expect(e.message).toContain("only variables matching SLUICE_SINK_[A-Z0-9_]+ resolve");
    const f = fails(() => parseConnectorFile(sink({ "x.password": "${file:/etc/shadow:root}" }), "/x/a.json", policy));
    expect(f.message).toContain(`outside the only folder the worker's file provider may read (${SECRETS})`);
    const ok = sink({ "connection.password": `\${file:${SECRETS}/db.properties:pw}` });
    expect(parseConnectorFile(ok, "/x/a.json", policy).name).toBe("a");
  });

  test("every shipped connector file passes the worker's policy", () => {
    const files = shippedFiles();
    expect(files.map((f) => f.slice(root.length + 1)).sort()).toEqual([
      "connectors/alternatives/debezium/metrics-sink.json",
      "connectors/metrics-sink.json",
    ]);
    for (const f of files) expect(readConnectorDir(join(f, ".."), "", policy).length).toBe(1);
  });

  test("`sluice connectors validate` and `apply` refuse such a file before they reach the worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-refs-"));
    try {
      const file = sink({ "collection.name.format": "t_${env:POSTGRES_PASSWORD}" });
      writeFileSync(join(dir, "probe.json"), JSON.stringify(file));
      for (const sub of ["validate", "apply", "plan"]) {
        // CONNECT_URL points at a closed port: a refusal that needed the worker would fail with CONNECT_UNREACHABLE.
        const io = { ctx, out: () => {}, signal: new AbortController().signal };
        const e = await connectorsCommand.run([sub, "--dir", dir], io).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(SluiceError);
        expect({ sub, code: (e as SluiceError).code }).toEqual({ sub, code: "CONNECTOR_FILE" });
        expect((e as SluiceError).message).toContain("config.collection.name.format: ${env:POSTGRES_PASSWORD}");
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("client config overrides", () => {
  test("the worker allows exactly the consumer settings the shipped files tune (KIP-1188 Allowlist)", () => {
    expect(template["connector.client.config.override.policy"]).toBe("Allowlist");
    const allowed = template["connector.client.config.override.allowlist"]!.split(",").sort();
    const used = new Set<string>();
    for (const f of shippedFiles()) {
      const config = (JSON.parse(readFileSync(f, "utf8")) as { config: Record<string, string> }).config;
      for (const k of Object.keys(config)) {
        const m = /^(?:consumer|producer|admin)\.override\.(.+)$/.exec(k);
        if (m) used.add(m[1]!);
      }
    }
    expect([...used].sort()).toEqual(allowed);
    expect(allowed).toEqual(["auto.offset.reset", "fetch.max.wait.ms", "fetch.min.bytes", "max.poll.records"]);
  });
});

describe("credentials inside values", () => {
  const cases: [string, string, string][] = [
    ["URL userinfo", "jdbc:postgresql://sink:pw-123@db:5432/x", "jdbc:postgresql://sink:[redacted]@db:5432/x"],
    ["postgres URL", "postgres://sluice:a%40b@127.0.0.1/x", "postgres://sluice:[redacted]@127.0.0.1/x"],
    ["query parameter", "jdbc:postgresql://db/x?password=pw-123&s=1", "jdbc:postgresql://db/x?password=[redacted]&s=1"],
    ["JDBC ; parameter", "jdbc:sqlserver://db;password=pw-123;e=1", "jdbc:sqlserver://db;password=[redacted];e=1"],
    ["query parameter after another", "postgres://db/x?u=u&password=pw-123", "postgres://db/x?u=u&password=[redacted]"],
    [
      "JAAS config",
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p w-123";',
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="[redacted]";',
    ],
    ["single-quoted", "password='pw-123'", "password='[redacted]'"],
    [
      "Connect's map echo",
      "{connection.url=x, connection.password=pw-123, tasks.max=2}",
      "{connection.url=x, connection.password=[redacted], tasks.max=2}",
    ],
    ["JSON", '{"sasl.secret": "pw-123", "a": "b"}', '{"sasl.secret": "[redacted]", "a": "b"}'],
  ];
  for (const [what, value, expected] of cases) {
    test(`${what}: redacted, the rest kept`, () => {
      expect(redact(value)).toBe(expected);
      expect(shown("connection.url", value)).not.toContain("pw-123");
    });
  }

  test("no credential, or only a provider reference: unchanged", () => {
    for (const v of [
      "jdbc:postgresql://db:5432/sluice",
      "${env:SLUICE_SINK_JDBC_URL}",
      "jdbc:postgresql://db/sluice?password=${env:SLUICE_SINK_DB_PASSWORD}",
      "jdbc:postgresql://u:${env:SLUICE_SINK_DB_PASSWORD}@db/sluice",
      'PlainLoginModule required username="u" password="${file:/s/k.properties:pw}";',
      "{connection.password=${env:SLUICE_SINK_DB_PASSWORD}, tasks.max=2}",
      "user@host:5432",
    ])
      expect(redact(v)).toBe(v);
  });

  test("the plan shows no credential inside any value, in text and JSON; a file holding one is refused", () => {
    const url = "jdbc:postgresql://sink:pw-123@db/sluice";
    const jaas = 'PlainLoginModule required username="u" password="jaas-456";';
    const desired = [{ name: "p-new", config: { "connection.url": url, "sasl.jaas.config": jaas } }];
    const actions = planConnectors(desired, new Map([["p-old", {}]]), {});
    const live = new Map([["p-up", { "connection.url": url.replace("db", "old") }]]);
    const update = planConnectors([{ name: "p-up", config: { "connection.url": url } }], live, {});
    const text = formatConnectorPlan([...actions, ...update]);
    expect(text).toContain('"jdbc:postgresql://sink:[redacted]@db/sluice"');
    for (const secret of ["pw-123", "jaas-456"]) expect(text).not.toContain(secret);
    const e = fails(() => parseConnectorFile(sink({ "connection.url": url }), "/x/a.json"));
    expect(e.message).toContain("connection.url");
    expect(e.message).toContain("credential inside its value");
    expect(e.message).not.toContain("pw-123");
  });
});
