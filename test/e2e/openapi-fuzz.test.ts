// Fuzzes the API from its own OpenAPI document with schemathesis (PyPI, installed into a venv under the data dir by
// test/run.ts): zero 5xx, and every response as the document says. The app runs on a sandbox topic/table/connector,
// so generated batches and restarts touch nothing shared. /ready is left out: a generated restart legitimately makes it 503 until the tasks run again (its
// 503 is tested in server.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/server/app.ts";
import { parseApiKeys } from "../../src/server/auth.ts";
import { serverDeps } from "../../src/server/runtime.ts";
import { sinkGroup } from "../../src/server/snapshot.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { parseJunit } from "../report.ts";
import { schemathesisBin } from "../tools.ts";
import { brokers, client, ctx, registry, type Sandbox, sandbox } from "./harness.ts";

const KEY = `fuzz-${crypto.randomUUID()}`;
let box: Sandbox;
let real: ReturnType<typeof serverDeps>;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  box = await sandbox("fuzz");
  await box.applySink();
  real = serverDeps({
    brokers,
    connectUrl: connectUrl(ctx),
    registryUrl: registry,
    postgresUrl: roleUrl(ctx, "monitor"),
    // One key with both scopes, so the fuzzer reaches every operation.
    apiKeys: parseApiKeys(`ingest:${KEY},admin:${KEY}`),
    topic: box.topic,
    dlqTopic: box.dlq,
    connector: box.connector,
    table: box.table,
  });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(real.deps).fetch, idleTimeout: 60 });
});

afterAll(async () => {
  await server?.stop(true);
  await real?.close();
  await box?.dispose({ topics: true });
  // Best effort: the sink's group may keep its member a few seconds after the connector is deleted.
  const admin = client.admin();
  await admin.connect();
  await admin.deleteGroups([sinkGroup(box.connector)]).catch(() => {});
  await admin.disconnect();
});

describe("OpenAPI fuzzing", () => {
  test("schemathesis finds no 5xx on any documented operation", async () => {
    const bin = schemathesisBin(ctx.paths.data);
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run the tests through test/run.ts (npm test), which installs schemathesis`);
    const reports = join(ctx.paths.data, "test-reports");
    mkdirSync(reports, { recursive: true });
    // Two runs: every operation but the restarts, thoroughly; then the restarts with fewer cases, because each valid
    // one really restarts the sandbox connector (about a second in Connect).
    const runs = [
      { name: "schemathesis", filter: ["--exclude-path-regex", "restart$"], examples: "10" },
      { name: "schemathesis-restarts", filter: ["--include-path-regex", "restart$"], examples: "3" },
    ];
    const exercised: string[] = [];
    for (const r of runs) {
      const junit = join(reports, `${r.name}.xml`);
      // Async spawn: the app under test is served by this same process, so its event loop must keep running.
      const proc = Bun.spawn(
        [
          bin,
          "run",
          `http://127.0.0.1:${server.port}/openapi.json`,
          // Zero 5xx, and every answer as documented (status, content type, body schema, 405 for other methods).
          // Not positive_data_acceptance: a reused Idempotency-Key with another body is refused (422) on purpose.
          "--checks",
          "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method",
          "--header",
          `X-API-Key: ${KEY}`,
          "--exclude-path",
          "/ready",
          ...r.filter,
          "--phases",
          "examples,coverage,fuzzing",
          "--max-examples",
          r.examples,
          "--workers",
          "1",
          "--request-timeout",
          "20",
          "--generation-database",
          "none",
          "--seed",
          "20261123",
          "--no-color",
          "--report",
          "junit",
          "--report-junit-path",
          junit,
        ],
        { stdout: "pipe", stderr: "pipe", env: { ...process.env, SCHEMATHESIS_TELEMETRY: "false" } },
      );
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      if (code !== 0) console.error(out.slice(-6000), err.slice(-2000));
      expect(code).toBe(0);
      const xml = readFileSync(junit, "utf8");
      expect(xml).not.toMatch(/<failure|<error/);
      exercised.push(...parseJunit(xml).map((c) => c.id.split(" > ")[1]!));
    }
    // Every documented operation but /ready and the document itself was exercised: one JUnit case each.
    const res = await fetch(`http://127.0.0.1:${server.port}/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, object> };
    const operations = Object.entries(doc.paths)
      .filter(([p]) => p !== "/ready" && p !== "/openapi.json")
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(exercised.sort()).toEqual(operations.sort());
  }, 55_000);
});
