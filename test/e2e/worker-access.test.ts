import { afterAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning, validateConnectors } from "../../src/connect/apply.ts";
import { readConnectorFile, renderConnector } from "../../src/connect/desired.ts";
import { SluiceError } from "../../src/errors.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { SERVE_SETTINGS } from "../../src/stack/admin.ts";
import { connectSecretsDir } from "../../src/stack/connect.ts";
import { childEnvAllowed, readPid } from "../../src/stack/process.ts";
import { client, connect, ctx, eventually, rowCount, type Sandbox, sandbox } from "./harness.ts";

// Who can read what through the Connect worker: the stack's processes get only the variables they need, the env config
// provider resolves only the sink's variables, the file provider reads only the worker's secrets folder, and connector
// configs may tune only the consumer settings the shipped files tune. Probed straight through Connect's REST API.
const boxes: Sandbox[] = [];
const files: string[] = [];
const probes: string[] = [];
afterAll(async () => {
  for (const p of probes) await connect.delete(p);
  for (const b of boxes) await b.dispose({ topics: true });
  for (const f of files) rmSync(f, { force: true });
});

/** The environment a running stack process was started with (/proc/<pid>/environ). */
function environOf(component: string): Record<string, string> {
  const pid = readPid(ctx.paths.run, component);
  if (!pid) throw new Error(`${component} is not running; start the stack first`);
  const raw = readFileSync(`/proc/${pid}/environ`, "utf8");
  const pairs = raw
    .split("\0")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]);
  return Object.fromEntries(pairs);
}

async function send(topic: string, n: number, seed: string) {
  const run = planRun({ seed, count: n, devices: 1, startMs: Date.UTC(2026, 10, 5) });
  const producer = client.producer();
  await producer.connect();
  const metrics = Array.from({ length: n }, (_, k) => metricAt(run, k));
  const messages = metrics.map((m) => ({ key: encodeKey(m), value: encodeValue(m) }));
  await producer.send({ topic, messages });
  await producer.disconnect();
}

/** Everything Connect tells about a connector: status (traces), stored config, task configs, the expanded list. */
async function everythingAbout(name: string): Promise<string> {
  const base = `http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_PORT}`;
  const paths = [
    `/connectors/${name}/status`,
    `/connectors/${name}/config`,
    `/connectors/${name}/tasks`,
    "/connectors?expand=status&expand=info",
  ];
  const texts = await Promise.all(paths.map((p) => fetch(`${base}${p}`).then((r) => r.text())));
  return texts.join("\n");
}

describe("what a connector config can reach", () => {
  test("every stack process gets only the variables it needs; the worker also its sink's", () => {
    for (const component of ["postgres", "kafka", "registry", "connect"]) {
      const own = (k: string) => component === "connect" && k.startsWith("SLUICE_SINK_");
      const extra = Object.keys(environOf(component)).filter((k) => !childEnvAllowed(k) && !own(k));
      expect({ component, extra }).toEqual({ component, extra: [] });
    }
    expect(
      Object.keys(environOf("connect"))
        .filter((k) => k.startsWith("SLUICE_SINK_"))
        .sort(),
    ).toEqual([
      "SLUICE_SINK_DB_PASSWORD",
      "SLUICE_SINK_DB_USER",
      "SLUICE_SINK_JDBC_URL",
      "SLUICE_SINK_JDBC_URL_BATCHED",
    ]);
    // The admin service: its settings and its own credentials (the monitoring role, the maintenance role while its
    // schedule is on, its API keys), nothing else.
    const adminOwn = new Set<string>([
      ...SERVE_SETTINGS,
      "SLUICE_DATA_DIR",
      "POSTGRES_MONITOR_PASSWORD",
      "POSTGRES_MAINTAINER_PASSWORD",
      "SLUICE_API_KEYS",
      "SLUICE_API_KEY_FILE",
    ]);
    const adminExtra = Object.keys(environOf("admin")).filter((k) => !childEnvAllowed(k) && !adminOwn.has(k));
    expect(adminExtra).toEqual([]);
    expect(environOf("admin").POSTGRES_MONITOR_PASSWORD).toBeDefined();
    expect(environOf("admin").POSTGRES_MAINTAINER_PASSWORD).toBeDefined();
  });

  test("a config PUT straight to Connect resolves no other variable, no file outside the secrets folder", async () => {
    const box = await sandbox("access", 1);
    boxes.push(box);
    const token = (where: string) => `${where}-${randomUUID().slice(0, 8)}`;
    const outside = join(tmpdir(), `sluice-probe-${randomUUID()}.properties`);
    const inside = join(connectSecretsDir(ctx), `probe-${randomUUID()}.properties`);
    const [outsideToken, insideToken] = [token("outside"), token("inside")];
    writeFileSync(outside, `probe=${outsideToken}\n`);
    writeFileSync(inside, `probe=${insideToken}\n`);
    files.push(outside, inside);
    // A value of the worker's environment that no trace would hold otherwise (the start of its PATH).
    const workerPath = environOf("connect").PATH!.slice(0, 40);
    expect(workerPath.length).toBe(40);
    const file = readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json"));
    // The table name is the echo channel: the sink names the table it cannot use in the task's trace (PostgreSQL cuts
    // identifiers at 63 bytes, so one reference per connector).
    const probe = async (suffix: string, reference: string) => {
      const name = `${box.connector}-${suffix}`;
      const overrides = {
        topics: box.topic,
        "tasks.max": "1",
        "errors.deadletterqueue.topic.name": box.dlq,
        "collection.name.format": `p_${reference}`,
      };
      const config = renderConnector(file, overrides, name).config;
      probes.push(name);
      await connect.putConfig(name, config);
      await eventually(`${name}: task FAILED with a trace`, async () => {
        const s = await connect.status(name);
        return !!s && s.tasks.length === 1 && s.tasks[0]!.state === "FAILED" && !!s.tasks[0]!.trace;
      });
      const validated = await connect.validate(config["connector.class"]!, config);
      const trace = (await connect.status(name))!.tasks[0]!.trace!;
      return { trace, told: `${await everythingAbout(name)}\n${JSON.stringify(validated)}` };
    };
    await send(box.topic, 1, `probe-${box.id}`);
    const env = await probe("env", "${env:PATH}");
    const far = await probe("file", `\${file:${outside}:probe}`);
    const near = await probe("secret", `\${file:${inside}:probe}`);
    // The references reach the sink unresolved: the traces name them, never their values.
    expect(env.trace).toContain("p_${env:PATH}");
    const leaked = { path: env.told.includes(workerPath), token: far.told.includes(outsideToken) };
    expect(leaked).toEqual({ path: false, token: false });
    expect(far.trace).toContain(`p_\${file:${outside}`.slice(0, 60));
    // A file in the secrets folder does resolve (the provider works; what it may read is the folder only).
    expect(near.trace).toContain(`p_${insideToken}`);
  }, 180_000);

  test("a connector may tune only the shipped consumer settings; the shipped sink still runs and writes", async () => {
    const box = await sandbox("override", 1);
    boxes.push(box);
    const base = renderConnector(readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json")), {
      topics: box.topic,
      "tasks.max": "1",
      "collection.name.format": box.table,
      "errors.deadletterqueue.topic.name": box.dlq,
    });
    const redirected = { ...base.config, "consumer.override.bootstrap.servers": "127.0.0.1:1" };
    const refused = await connect.putConfig(`${box.connector}-override`, redirected).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (refused === undefined) probes.push(`${box.connector}-override`);
    expect(refused).toBeInstanceOf(SluiceError);
    expect((refused as SluiceError).code).toBe("CONNECT_HTTP_400");
    expect((refused as SluiceError).message).toContain("bootstrap.servers");
    // The shipped file (its consumer tuning included) is accepted and delivers.
    await box.applySink();
    await send(box.topic, 25, `override-${box.id}`);
    await eventually("25 rows", async () => (await rowCount(box.table)) === 25);
    expect(isRunning(await connect.status(box.connector))).toBe(true);
  }, 120_000);

  test("Connect's validation messages quote values; a credential inside one is scrubbed before shown", async () => {
    const file = readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json"));
    const spec = renderConnector(file, { "tasks.max": "jdbc:postgresql://u:pw-1234@h/db" });
    const problems = await validateConnectors(connect, [spec]);
    expect(problems.filter((p) => p.level === "error").map((p) => [p.key, p.message])).toEqual([
      [
        "tasks.max",
        "Invalid value jdbc:postgresql://u:[redacted]@h/db for configuration tasks.max: Not a number of type INT",
      ],
      ["tasks.max", "Invalid value null for configuration tasks.max: Value must be non-null"],
    ]);
  });
});
