// The server's pure parts through app.request(): no socket, no stack. Routes that would reach a component are
// exercised in test/e2e/server.test.ts; here the gateways are stand-ins that must never be reached, or (for the
// back-pressure test) a send that waits until the test releases it.
import { describe, expect, test } from "bun:test";
import type { Message } from "kafkajs";
import { keyMatcher, parseApiKeys, presentedKey } from "../../src/server/auth.ts";
import { createApp } from "../../src/server/app.ts";
import type { ServerDeps } from "../../src/server/deps.ts";
import { IdempotencyStore } from "../../src/server/idempotency.ts";
import { toMessages, validateBatch } from "../../src/server/ingest.ts";
import type { KafkaGateway } from "../../src/server/kafka.ts";
import { lagOf } from "../../src/server/snapshot.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { partitionFor } from "../../src/producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";

const KEY = "unit-test-key-0123456789";
const unreachable = (what: string) => () => Promise.reject(new Error(`${what} must not be called in this test`));

function deps(kafka: Partial<KafkaGateway> = {}, limits: ServerDeps["limits"] = {}): ServerDeps {
  return {
    apiKeys: [KEY, "second-key"],
    topic: "unit.metrics",
    dlqTopic: "unit.dlq",
    connector: "unit-sink",
    table: "unit_metrics",
    kafka: {
      ping: unreachable("kafka.ping"),
      partitions: unreachable("kafka.partitions"),
      send: unreachable("kafka.send"),
      topicOffsets: unreachable("kafka.topicOffsets"),
      groupOffsets: unreachable("kafka.groupOffsets"),
      peek: unreachable("kafka.peek"),
      close: async () => {},
      ...kafka,
    },
    connect: { status: unreachable("connect.status"), restartConnector: unreachable("connect.restart"), restartTask: unreachable("connect.restartTask"), info: unreachable("connect.info") },
    db: { ping: unreachable("db.ping"), rowsWritten: unreachable("db.rowsWritten") },
    registry: { ping: unreachable("registry.ping"), schemaId: async () => 7 },
    limits,
  };
}

const run = planRun({ seed: "unit-server", count: 5, devices: 3, startMs: Date.UTC(2026, 0, 1) });
const good = Array.from({ length: 5 }, (_, k) => metricAt(run, k));
const post = (app: ReturnType<typeof createApp>, body: unknown, headers: Record<string, string> = { "x-api-key": KEY }) =>
  app.request("/v1/metrics", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("API keys", () => {
  test("matches only configured keys, compared over digests", () => {
    const m = keyMatcher(["alpha", "beta"]);
    expect([m("alpha"), m("beta"), m("alph"), m("alphaa"), m("")]).toEqual([true, true, false, false, false]);
    expect(keyMatcher([])("anything")).toBe(false);
  });
  test("keys from env or file: commas, lines, comments", () => {
    expect(parseApiKeys("a, b\n# comment, not-a-key\nc\n\n")).toEqual(["a", "b", "c"]);
  });
  test("X-API-Key or a bearer token", () => {
    expect(presentedKey(new Headers({ "x-api-key": " k1 " }))).toBe("k1");
    expect(presentedKey(new Headers({ authorization: "Bearer k2" }))).toBe("k2");
    expect(presentedKey(new Headers({ authorization: "Basic k3" }))).toBeUndefined();
  });
});

describe("batch validation (the contract, all or nothing)", () => {
  test("a valid batch passes unchanged", () => {
    expect(validateBatch({ metrics: good }, 1000)).toEqual({ ok: true, metrics: good });
  });
  test("every bad item is reported with index, field and message", () => {
    const r = validateBatch({ metrics: [good[0], { ...good[1], device_id: "NOT-A-UUID" }, { ...good[2], metric_name: 40000, extra: true }] }, 1000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "device_id"],
      [2, "metric_name"],
      [2, "extra"],
    ]);
    expect(r.errors[0]!.message).toContain("uuid");
  });
  test("envelope errors: not an object, empty, too many", () => {
    expect(validateBatch([good[0]], 10)).toMatchObject({ ok: false, errors: [{ index: null }] });
    expect(validateBatch({ metrics: [] }, 10)).toMatchObject({ ok: false, errors: [{ index: null, field: "metrics" }] });
    expect(validateBatch({ metrics: good }, 4)).toMatchObject({ ok: false, errors: [{ index: null, field: "metrics" }] });
  });
});

describe("messages are the producer's", () => {
  test("same key, value, partition and schema-id header as src/producer", () => {
    const msgs = toMessages(good, 6, 42);
    msgs.forEach((m, i) => {
      expect(m.key).toBe(encodeKey(good[i]!));
      expect(m.value).toBe(encodeValue(good[i]!));
      expect(m.partition).toBe(partitionFor(good[i]!.device_id, 6));
      expect(m.headers).toEqual({ [SCHEMA_ID_HEADER]: "42" });
    });
  });
});

describe("lag", () => {
  test("end minus committed; from the log start when nothing is committed", () => {
    const offsets = [
      { partition: 0, high: 100, low: 0 },
      { partition: 1, high: 50, low: 10 },
      { partition: 2, high: 7, low: 0 },
    ];
    expect(lagOf(offsets, [{ partition: 0, offset: 60 }, { partition: 1, offset: -1 }])).toEqual([
      { partition: 0, lag: 40 },
      { partition: 1, lag: 40 },
      { partition: 2, lag: 7 },
    ]);
  });
});

describe("idempotency store", () => {
  test("replays a completed request, refuses a different body, forgets failures and old entries", () => {
    let now = 0;
    const s = new IdempotencyStore(2, 1000, () => now);
    expect(s.begin("k", "a", "f1").kind).toBe("proceed");
    expect(s.begin("k", "a", "f1").kind).toBe("in-progress");
    s.complete("k", "a", { status: 202, body: { accepted: 1 } });
    expect(s.begin("k", "a", "f1")).toEqual({ kind: "replay", response: { status: 202, body: { accepted: 1 } } });
    expect(s.begin("k", "a", "f2").kind).toBe("mismatch");
    expect(s.begin("other-api-key", "a", "f2").kind).toBe("proceed");
    s.abandon("other-api-key", "a");
    expect(s.begin("other-api-key", "a", "f2").kind).toBe("proceed");
    now = 5000;
    expect(s.begin("k", "a", "f2").kind).toBe("proceed");
  });
});

describe("routes without a stack", () => {
  test("GET /health", async () => {
    const res = await createApp(deps()).request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  test("no key → 401 with WWW-Authenticate, wrong key → 403, on ingest and admin alike", async () => {
    const app = createApp(deps());
    const none = await post(app, { metrics: good }, {});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("X-API-Key");
    expect((await post(app, { metrics: good }, { "x-api-key": "wrong" })).status).toBe(403);
    expect((await app.request("/v1/admin/connector/restart", { method: "POST" })).status).toBe(401);
    expect((await app.request("/v1/admin/dlq", { headers: { "x-api-key": "wrong" } })).status).toBe(403);
  });

  test("invalid batch → 400 with per-item errors, Kafka never called", async () => {
    const res = await post(createApp(deps()), { metrics: [good[0], { ...good[1], tags: ["ok", "a\u0000b"] }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { index: number; field: string; message: string }[] };
    expect(body.errors).toEqual([{ index: 1, field: "tags.1", message: "must not contain a NUL character" }]);
  });

  test("not JSON → 400; not application/json → 415", async () => {
    const app = createApp(deps());
    expect((await post(app, "{nope")).status).toBe(400);
    const res = await app.request("/v1/metrics", { method: "POST", headers: { "x-api-key": KEY, "content-type": "text/plain" }, body: "x" });
    expect(res.status).toBe(415);
  });

  test("oversize body → 413 before anything is parsed", async () => {
    const app = createApp(deps({}, { maxBodyBytes: 1024 }));
    const res = await post(app, { metrics: Array.from({ length: 20 }, () => good[0]) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("accepted batch → 202 with the count; a retry with the same Idempotency-Key is not re-sent", async () => {
    const sent: Message[][] = [];
    const app = createApp(deps({ partitions: async () => 6, send: async (_t, m) => void sent.push(m) }));
    const h = { "x-api-key": KEY, "idempotency-key": "batch-1" };
    const first = await post(app, { metrics: good }, h);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: 5, topic: "unit.metrics" });
    const retry = await post(app, { metrics: good }, h);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotency-replayed")).toBe("true");
    expect(sent.length).toBe(1);
    expect((await post(app, { metrics: good.slice(1) }, h)).status).toBe(422);
  });

  test("back-pressure: beyond maxInFlight batches → 429 with Retry-After, nothing queued", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app = createApp(deps({ partitions: async () => 6, send: () => gate }, { maxInFlight: 1 }));
    const first = post(app, { metrics: good });
    await Bun.sleep(20);
    const second = await post(app, { metrics: good });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    release();
    expect((await first).status).toBe(202);
  });

  test("a failing Kafka → 503 with Retry-After, and the idempotency key is freed for the retry", async () => {
    let fail = true;
    const app = createApp(deps({ partitions: async () => 6, send: async () => { if (fail) throw new Error("broker down"); } }));
    const h = { "x-api-key": KEY, "idempotency-key": "batch-2" };
    const res = await post(app, { metrics: good }, h);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    fail = false;
    const retry = await post(app, { metrics: good }, h);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotency-replayed")).toBeNull();
  });

  test("/openapi.json documents every route and the contract's metric", async () => {
    const doc = (await (await createApp(deps()).request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: { Metric: { required: string[] } } };
    };
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths).sort()).toEqual(
      ["/health", "/metrics", "/openapi.json", "/ready", "/v1/admin/connector", "/v1/admin/connector/restart", "/v1/admin/connector/tasks/{task}/restart", "/v1/admin/dlq", "/v1/metrics", "/v1/pipeline"].sort(),
    );
    expect(Object.keys(doc.paths["/v1/metrics"]!.post!.responses).sort()).toEqual(["202", "400", "401", "403", "409", "413", "415", "422", "429", "503"]);
    expect(doc.components.schemas.Metric.required.sort()).toEqual(["device_id", "metric_name", "published_at", "tags", "value"]);
  });

  test("the dashboard is one plain page fed by /events", async () => {
    const res = await createApp(deps()).request("/");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('new EventSource("/events")');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  test("a known path with another method → 405 with Allow", async () => {
    const res = await createApp(deps()).request("/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    const task = await createApp(deps()).request("/v1/admin/connector/tasks/3/restart", { method: "GET", headers: { "x-api-key": KEY } });
    expect(task.status).toBe(405);
    expect(task.headers.get("allow")).toBe("POST");
  });

  test("unknown route → 404 JSON", async () => {
    const res = await createApp(deps()).request("/nope");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});
