// Provisioning as code against the real worker, on connectors of its own: every name starts with a prefix unique to
// this run, and plan/apply/prune are scoped to it, so metrics-sink and other tests' connectors are never touched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyConnectors, isRunning, planAgainstLive } from "../../src/connect/apply.ts";
import { ConnectClient } from "../../src/connect/client.ts";
import { readConnectorFile, renderConnector } from "../../src/connect/desired.ts";
import { SluiceError } from "../../src/errors.ts";
import { desiredConnectors } from "../../src/provision.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { postgresPassword } from "../../src/stack/postgres.ts";
import { connect, ctx, eventually, type Sandbox, sandbox } from "./harness.ts";

let box: Sandbox;
let dir: string;
let prefix: string;
let base: Record<string, string>;
let logStart = 0;
const connectLog = () => join(ctx.paths.logs, "connect.log");
/** What the worker logged since `from` (all of it if the log was restarted meanwhile). */
function connectLogSince(from: number): string {
  const text = readFileSync(connectLog());
  return text.subarray(text.length >= from ? from : 0).toString("utf8");
}
const PUT_CONFIG = "PUT /connectors/{name}/config";
const writes = (c: ConnectClient) => (c.sent[PUT_CONFIG] ?? 0) + (c.sent["DELETE /connectors/{name}"] ?? 0);

/** A fresh client per step, so its request counts are the step's own. */
const freshClient = () => new ConnectClient(connectUrl(ctx));
const desired = () => desiredConnectors(ctx, dir, prefix);
const file = (name: string, body: unknown) => writeFileSync(join(dir, `${name}.json`), JSON.stringify(body, null, 2));

/** The CLI's exit code and output (asserted with `toMatchObject({ code })`, so a failure shows what it printed). */
function sluice(...args: string[]) {
  const r = Bun.spawnSync([join(ctx.paths.root, "bin", "sluice"), ...args], {
    cwd: ctx.paths.root,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

beforeAll(async () => {
  logStart = existsSync(connectLog()) ? statSync(connectLog()).size : 0;
  box = await sandbox("prov", 1);
  prefix = `p-${box.id}-`;
  dir = mkdtempSync(join(tmpdir(), "sluice-prov-"));
  base = {
    ...readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json")).config,
    topics: box.topic,
    "collection.name.format": box.table,
    "errors.deadletterqueue.topic.name": box.dlq,
    "tasks.max": "1",
  };
  file(`${prefix}a`, base); // the config-only form, named by the file
  file(`${prefix}b`, { name: `${prefix}b`, config: base });
});

afterAll(async () => {
  for (const n of (await connect.list()).filter((n) => n.startsWith(prefix))) await connect.delete(n);
  rmSync(dir, { recursive: true, force: true });
  await box?.dispose({ topics: true });
});

describe("connectors plan / apply / prune on the real worker", () => {
  test("apply from scratch creates both, and they run", async () => {
    const c = freshClient();
    const plan = await planAgainstLive(c, desired(), { prefix });
    expect(plan.map((a) => [a.kind, a.name])).toEqual([
      ["create", `${prefix}a`],
      ["create", `${prefix}b`],
    ]);
    const done = await applyConnectors(c, desired(), { prefix, timeoutMs: 60_000 });
    expect(done.map((a) => a.kind)).toEqual(["create", "create"]);
    expect(c.sent[PUT_CONFIG]).toBe(2);
    for (const n of ["a", "b"]) expect(isRunning(await connect.status(`${prefix}${n}`))).toBe(true);
    // The contract's schemas were rendered in.
    expect((await connect.getConfig(`${prefix}a`))!["value.converter.schema.content"]).toContain("published_at");
  }, 120_000);

  test("apply again is a no-op: no validation, no PUT, no DELETE; plan --detailed-exitcode exits 0", async () => {
    const c = freshClient();
    const done = await applyConnectors(c, desired(), { prefix });
    expect(done.map((a) => a.kind)).toEqual(["unchanged", "unchanged"]);
    expect(Object.keys(c.sent).filter((r) => !r.startsWith("GET "))).toEqual([]);
    const cli = sluice("connectors", "plan", "--dir", dir, "--prefix", prefix, "--detailed-exitcode");
    expect(cli.out).toContain("No changes: 2 connectors match the files.");
    expect(cli).toMatchObject({ code: 0 });
  });

  test("changing one key shows exactly one update of that key and applies exactly one PUT", async () => {
    file(`${prefix}b`, { name: `${prefix}b`, config: { ...base, "batch.size": "20000" } });
    const cli = sluice("connectors", "plan", "--dir", dir, "--prefix", prefix, "--detailed-exitcode");
    expect(cli).toMatchObject({ code: 2 });
    expect(cli.out).toContain(`~ connector ${prefix}b (1 key)\n    ~ batch.size: "10000" → "20000"`);
    expect(cli.out).toContain("Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged.");
    const c = freshClient();
    const done = await applyConnectors(c, desired(), { prefix });
    expect(done.filter((a) => a.kind === "update")).toEqual([
      expect.objectContaining({ name: `${prefix}b`, diff: [{ key: "batch.size", from: "10000", to: "20000" }] }),
    ]);
    expect(c.sent[PUT_CONFIG]).toBe(1);
    expect((await connect.getConfig(`${prefix}b`))!["batch.size"]).toBe("20000");
  }, 60_000);

  test("pause and resume the connectors of the files", async () => {
    expect(sluice("connectors", "pause", "--dir", dir, "--prefix", prefix)).toMatchObject({ code: 0 });
    await eventually("both PAUSED", async () =>
      (await Promise.all(["a", "b"].map((n) => connect.status(`${prefix}${n}`)))).every(
        (s) => s?.connector.state === "PAUSED",
      ),
    );
    const status = sluice("connectors", "status", "--prefix", prefix, `${prefix}a`);
    expect(status).toMatchObject({ code: 1 });
    expect(status.out).toContain(`${prefix}a  connector  PAUSED`);
    // apply leaves an operator's pause alone (and does not wait for RUNNING).
    expect((await applyConnectors(freshClient(), desired(), { prefix })).map((a) => a.kind)).toEqual([
      "unchanged",
      "unchanged",
    ]);
    expect(sluice("connectors", "resume", "--dir", dir, "--prefix", prefix)).toMatchObject({ code: 0 });
    await eventually("both RUNNING", async () =>
      (await Promise.all(["a", "b"].map((n) => connect.status(`${prefix}${n}`)))).every((s) => isRunning(s)),
    );
  }, 60_000);

  test("prune deletes a stray connector of the scope only, and only with --yes", async () => {
    // A connector nobody declared (put by hand), inside the scope.
    await connect.putConfig(`${prefix}stray`, renderConnector({ name: `${prefix}stray`, config: base }).config);
    const plan = await planAgainstLive(freshClient(), desired(), { prefix, prune: true });
    expect(plan.filter((a) => a.kind === "delete").map((a) => a.name)).toEqual([`${prefix}stray`]);
    const refused = sluice("connectors", "prune", "--dir", dir, "--prefix", prefix);
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.err).toContain("without --yes");
    expect(await connect.getConfig(`${prefix}stray`)).toBeDefined();
    const pruned = sluice("connectors", "prune", "--dir", dir, "--prefix", prefix, "--yes");
    expect(pruned).toMatchObject({ code: 0 });
    expect(pruned.out).toContain(`- connector ${prefix}stray deleted`);
    const live = await connect.list();
    expect(live).not.toContain(`${prefix}stray`);
    expect(live).toContain(`${prefix}a`);
    expect(live).toContain("metrics-sink");
  }, 60_000);

  test("a bad config (unknown class, missing required key, wrong type) is rejected by key before anything changes", async () => {
    const before = await connect.getConfig(`${prefix}a`);
    file(`${prefix}a`, { ...base, "batch.size": "ten", "batch.sise": "5" });
    file(`${prefix}c`, { ...base, "connector.class": "com.example.NoSuchConnector" });
    const { topics: _, ...noTopics } = base;
    file(`${prefix}d`, noTopics);
    const c = freshClient();
    const e = await applyConnectors(c, desired(), { prefix }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(e).toBeInstanceOf(SluiceError);
    const msg = (e as SluiceError).message;
    expect(msg).toContain(`${prefix}a  batch.size: Invalid value ten for configuration batch.size`);
    expect(msg).toContain(`${prefix}c  connector.class: "com.example.NoSuchConnector" is not installed`);
    expect(msg).toContain(`${prefix}d  topics: Must configure one of topics or topics.regex`);
    expect(writes(c)).toBe(0);
    expect(await connect.getConfig(`${prefix}a`)).toEqual(before);
    expect(await connect.getConfig(`${prefix}c`)).toBeUndefined();
    const cli = sluice("connectors", "validate", "--dir", dir, "--prefix", prefix, "--json");
    expect(cli).toMatchObject({ code: 1 });
    const problems = JSON.parse(cli.out).problems as { level: string; key: string }[];
    expect(problems.filter((p) => p.level === "error").map((p) => p.key)).toEqual([
      "batch.size",
      "connector.class",
      "topics",
      "topics.regex",
    ]);
    expect(problems.filter((p) => p.level === "warning").map((p) => p.key)).toContain("batch.sise");
    rmSync(join(dir, `${prefix}c.json`));
    rmSync(join(dir, `${prefix}d.json`));
    file(`${prefix}a`, base);
  }, 60_000);

  test("secrets never appear in the tool's output nor, through its requests, in the worker's log", async () => {
    const secret = postgresPassword(ctx);
    file(`${prefix}e`, base); // planned, never applied: the plan shows its whole config
    const outputs = [
      sluice("connectors", "validate", "--dir", dir, "--prefix", prefix),
      sluice("connectors", "plan", "--dir", dir, "--prefix", prefix, "--json"),
      sluice("connectors", "plan", "--dir", dir, "--prefix", prefix),
      sluice("connectors", "status", "--prefix", prefix, "--json"),
      sluice("connectors", "status", "--prefix", prefix),
    ];
    expect(outputs.map((o) => o.code)).toEqual([0, 0, 0, 0, 0]);
    rmSync(join(dir, `${prefix}e.json`));
    expect(outputs[1]!.out).toContain("${env:SLUICE_SINK_DB_PASSWORD}");
    expect(outputs[2]!.out).toContain('+ connection.password = "${env:SLUICE_SINK_DB_PASSWORD}"');
    const apply = sluice("connectors", "apply", "--dir", dir, "--prefix", prefix);
    expect(apply.out).toContain("Nothing to apply.");
    for (const o of [...outputs, apply]) expect(o.out + o.err).not.toContain(secret);
    // Connect logs the resolved config (password included) when asked to validate a config without connector.class;
    // the tool never sends one (the file check requires the class), so nothing this file did put a secret in its log.
    expect(connectLogSince(logStart)).not.toContain(secret);
  }, 60_000);
});
