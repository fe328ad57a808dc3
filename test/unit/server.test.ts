// The server's pure parts through app.request(): no socket, no stack. Routes that would reach a component are
// exercised in test/e2e/server.test.ts; here the gateways are stand-ins that must never be reached, or (for the
// back-pressure test) a send that waits until the test releases it.
import { describe, expect, test } from "bun:test";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import type { Message } from "kafkajs";
import { SluiceError } from "../../src/errors.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { partitionFor } from "../../src/producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { createApp, REQUEST_ID_HEADER } from "../../src/server/app.ts";
import { type ApiKey, keyMatcher, parseApiKeys, presentedKey } from "../../src/server/auth.ts";
import type { ServerDeps } from "../../src/server/deps.ts";
import { IdempotencyStore } from "../../src/server/idempotency.ts";
import { toMessages, validateBatch } from "../../src/server/ingest.ts";
import { type KafkaGateway, kafkaGateway } from "../../src/server/kafka.ts";
import { readinessCache } from "../../src/server/ready.ts";
import { redactor } from "../../src/server/redact.ts";
import { lagOf } from "../../src/server/snapshot.ts";

const KEY = "unit-test-key-0123456789";
const INGEST_KEY = "unit-ingest-key-0123456789";
const ADMIN_KEY = "unit-admin-key-0123456789";
const KEYS: ApiKey[] = [
  // KEY is a legacy (unscoped) key: both scopes, as every key had before scopes existed.
  ...parseApiKeys(`${KEY},second-key`),
  { key: INGEST_KEY, scopes: ["ingest"], legacy: false },
  { key: ADMIN_KEY, scopes: ["admin"], legacy: false },
];
const unreachable = (what: string) => () => Promise.reject(new Error(`${what} must not be called in this test`));

function deps(kafka: Partial<KafkaGateway> = {}, limits: ServerDeps["limits"] = {}): ServerDeps {
  return {
    apiKeys: KEYS,
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
    connect: {
      status: unreachable("connect.status"),
      restartConnector: unreachable("connect.restart"),
      restartTask: unreachable("connect.restartTask"),
      info: unreachable("connect.info"),
    },
    db: { ping: unreachable("db.ping"), rowsWritten: unreachable("db.rowsWritten") },
    registry: { ping: unreachable("registry.ping"), schemaId: async () => 7 },
    limits,
    log: () => {},
  };
}

const run = planRun({ seed: "unit-server", count: 5, devices: 3, startMs: Date.UTC(2026, 0, 1) });
const good = Array.from({ length: 5 }, (_, k) => metricAt(run, k));
const post = (
  app: ReturnType<typeof createApp>,
  body: unknown,
  headers: Record<string, string> = { "x-api-key": KEY },
) =>
  app.request("/v1/metrics", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("API keys", () => {
  test("matches only configured keys, compared over digests, and answers their scopes", () => {
    const m = keyMatcher(parseApiKeys("ingest:alpha, admin:beta, ingest:both, admin:both"));
    const scopes = (k: string) => [...m(k)].sort();
    expect(["alpha", "beta", "both", "alph", "alphaa", ""].map(scopes)).toEqual([
      ["ingest"],
      ["admin"],
      ["admin", "ingest"],
      [],
      [],
      [],
    ]);
    expect(keyMatcher([])("anything").size).toBe(0);
  });
  test("keys from env or file: commas, lines, comments; scope prefixes; bare keys keep both scopes", () => {
    expect(parseApiKeys("a, ingest:b\n# comment, not-a-key\nADMIN:c\n\n")).toEqual([
      { key: "a", scopes: ["ingest", "admin"], legacy: true },
      { key: "b", scopes: ["ingest"], legacy: false },
      { key: "c", scopes: ["admin"], legacy: false },
    ]);
    expect(parseApiKeys("k", "ingest")).toEqual([{ key: "k", scopes: ["ingest"], legacy: false }]);
    expect(() => parseApiKeys("ingest:")).toThrow('entry 1 ("ingest:") has no key after the scope');
    expect(() => parseApiKeys("ok,root:x")).toThrow('entry 2 has the unknown scope "root"');
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
    const r = validateBatch(
      { metrics: [good[0], { ...good[1], device_id: "NOT-A-UUID" }, { ...good[2], metric_name: 40000, extra: true }] },
      1000,
    );
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
    expect(validateBatch({ metrics: [] }, 10)).toMatchObject({
      ok: false,
      errors: [{ index: null, field: "metrics" }],
    });
    expect(validateBatch({ metrics: good }, 4)).toMatchObject({
      ok: false,
      errors: [{ index: null, field: "metrics" }],
    });
  });
  test("at most 100 errors, however they come: many bad items, or one item with many unknown fields", () => {
    const bad = { ...good[0], device_id: "NOT-A-UUID" };
    const many = validateBatch({ metrics: Array.from({ length: 150 }, () => bad) }, 1000);
    expect(many.ok ? 0 : many.errors.length).toBe(100);
    const wide = { ...good[0], ...Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x${i}`, i])) };
    const one = validateBatch({ metrics: [wide] }, 1000);
    expect(one.ok ? 0 : one.errors.length).toBe(100);
    const mixed = validateBatch({ metrics: [bad, wide, bad] }, 1000);
    expect(mixed.ok ? [] : mixed.errors.map((e) => e.index)).toEqual([0, ...Array<number>(99).fill(1)]);
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
    expect(
      lagOf(offsets, [
        { partition: 0, offset: 60 },
        { partition: 1, offset: -1 },
      ]),
    ).toEqual([
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

  test("no key or an unknown key → 401 with WWW-Authenticate, on ingest and admin alike", async () => {
    const app = createApp(deps());
    const none = await post(app, { metrics: good }, {});
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("X-API-Key");
    const wrong = await post(app, { metrics: good }, { "x-api-key": "wrong" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("X-API-Key");
    expect((await app.request("/v1/admin/connector/restart", { method: "POST" })).status).toBe(401);
    expect((await app.request("/v1/admin/dlq", { headers: { "x-api-key": "wrong" } })).status).toBe(401);
  });

  test("scopes: an ingest key is refused (403) on every admin route, an admin key on ingest; each works on its own", async () => {
    const restarted: string[] = [];
    const sent: Message[][] = [];
    const d = deps({ partitions: async () => 6, send: async (_t, m) => void sent.push(m), peek: async () => [] });
    const app = createApp({
      ...d,
      connect: {
        ...d.connect,
        status: async () => ({
          name: "unit-sink",
          connector: { state: "RUNNING", worker_id: "w" },
          tasks: [],
          type: "sink",
        }),
        restartConnector: async (name) => void restarted.push(name),
        restartTask: async (name, task) => void restarted.push(`${name}/${task}`),
      },
    });
    const adminRoutes: [string, string][] = [
      ["GET", "/v1/admin/connector"],
      ["POST", "/v1/admin/connector/restart"],
      ["POST", "/v1/admin/connector/tasks/0/restart"],
      ["GET", "/v1/admin/dlq"],
    ];
    const call = (method: string, path: string, key: string) =>
      app.request(path, { method, headers: { "x-api-key": key } });
    for (const [method, path] of adminRoutes) {
      const res = await call(method, path, INGEST_KEY);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ path, status: res.status, code: body.error.code }).toEqual({ path, status: 403, code: "FORBIDDEN" });
      expect(body.error.message).toContain("needs an admin key");
    }
    expect(restarted).toEqual([]);
    const refused = await post(app, { metrics: good }, { "x-api-key": ADMIN_KEY });
    expect(refused.status).toBe(403);
    expect(sent.length).toBe(0);
    // Each key on its own routes; the bearer form carries the scope just the same.
    expect((await post(app, { metrics: good }, { authorization: `Bearer ${INGEST_KEY}` })).status).toBe(202);
    expect((await call("POST", "/v1/admin/connector/tasks/0/restart", ADMIN_KEY)).status).toBe(202);
    expect((await call("GET", "/v1/admin/dlq", ADMIN_KEY)).status).toBe(200);
    expect(restarted).toEqual(["unit-sink/0"]);
    // A legacy (unscoped) key keeps both, as before scopes existed.
    expect((await post(app, { metrics: good })).status).toBe(202);
    expect((await call("POST", "/v1/admin/connector/restart", KEY)).status).toBe(202);
    expect(sent.length).toBe(2);
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
    const res = await app.request("/v1/metrics", {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "text/plain" },
      body: "x",
    });
    expect(res.status).toBe(415);
  });

  test("ingest requests are counted by status, refusals included; unauthenticated ones are not ingest requests", async () => {
    const app = createApp(deps({ partitions: async () => 3, send: async () => {} }));
    expect((await post(app, { metrics: good })).status).toBe(202);
    expect((await post(app, "{nope")).status).toBe(400);
    expect((await post(app, { metrics: good }, {})).status).toBe(401);
    const text = await (await app.request("/metrics")).text();
    const counts = [...text.matchAll(/^sluice_ingest_requests_total\{code="(\d+)"\} (\d+)$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(counts.sort()).toEqual([
      ["202", "1"],
      ["400", "1"],
    ]);
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
    let entered!: () => void;
    const sending = new Promise<void>((r) => (entered = r));
    const send = () => {
      entered();
      return gate;
    };
    const app = createApp(deps({ partitions: async () => 6, send }, { maxInFlight: 1 }));
    const first = post(app, { metrics: good });
    await sending; // the first batch now waits for Kafka
    const second = await post(app, { metrics: good });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    release();
    expect((await first).status).toBe(202);
  });

  test("a failing Kafka → 503 with Retry-After, and the idempotency key is freed for the retry", async () => {
    let fail = true;
    const app = createApp(
      deps({
        partitions: async () => 6,
        send: async () => {
          if (fail) throw new Error("broker down");
        },
      }),
    );
    const h = { "x-api-key": KEY, "idempotency-key": "batch-2" };
    const res = await post(app, { metrics: good }, h);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    fail = false;
    const retry = await post(app, { metrics: good }, h);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotency-replayed")).toBeNull();
  });

  test("a Kafka send hung past sendTimeoutMs → 503 in time, then the retry → 202; key and slot freed", async () => {
    let hang = true;
    const sent: Message[][] = [];
    // A gateway whose send never settles while `hang` (ignoring its own timeout): the app must not wait for it.
    const send = (_t: string, m: Message[]) => {
      if (hang) return new Promise<void>(() => {});
      sent.push(m);
      return Promise.resolve();
    };
    const app = createApp(deps({ partitions: async () => 6, send }, { sendTimeoutMs: 200, maxInFlight: 1 }));
    const h = { "x-api-key": KEY, "idempotency-key": "batch-hang" };
    const t0 = performance.now();
    const res = await post(app, { metrics: good }, h);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("KAFKA_TIMEOUT");
    expect(performance.now() - t0).toBeLessThan(2000);
    hang = false;
    // maxInFlight is 1: a 202 here also shows the hung batch gave its slot back.
    const retry = await post(app, { metrics: good }, h);
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotency-replayed")).toBeNull();
    expect(sent.length).toBe(1);
    const again = await post(app, { metrics: good }, h);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(sent.length).toBe(1);
  });

  test("the real gateway against a broker that accepts and never answers: send rejects at its timeout", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s)).listen(0, "127.0.0.1");
    await once(silent, "listening");
    const gateway = kafkaGateway([`127.0.0.1:${(silent.address() as { port: number }).port}`]);
    try {
      const t0 = performance.now();
      const msgs = [{ key: "k", value: "v" }];
      await expect(gateway.send("t", msgs, 300)).rejects.toMatchObject({ code: "KAFKA_TIMEOUT" });
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(sockets.length).toBe(1); // it did reach the "broker", which then said nothing
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      await gateway.close();
    }
  });

  test("/openapi.json documents every route and the contract's metric", async () => {
    const doc = (await (await createApp(deps()).request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: { Metric: { required: string[] } } };
    };
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/metrics",
        "/openapi.json",
        "/ready",
        "/v1/admin/connector",
        "/v1/admin/connector/restart",
        "/v1/admin/connector/tasks/{task}/restart",
        "/v1/admin/dlq",
        "/v1/metrics",
        "/v1/pipeline",
        "/v1/pipeline/history",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/v1/metrics"]!.post!.responses).sort()).toEqual([
      "202",
      "400",
      "401",
      "403",
      "409",
      "413",
      "415",
      "422",
      "429",
      "503",
    ]);
    expect(doc.components.schemas.Metric.required.sort()).toEqual([
      "device_id",
      "metric_name",
      "published_at",
      "tags",
      "value",
    ]);
  });

  test("the dashboard is one plain page fed by /events, its only script uPlot served from the package", async () => {
    const app = createApp(deps());
    const res = await app.request("/");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('new EventSource("/events?since=" + lastAt)');
    expect(html).toContain('fetch("/v1/pipeline/history")');
    expect([...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1])).toEqual(["/assets/uplot.iife.min.js"]);
    expect(html).not.toMatch(/https?:\/\//);
    const js = await app.request("/assets/uplot.iife.min.js");
    expect([js.status, js.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect(await js.text()).toContain("uPlot");
    const css = await app.request("/assets/uplot.min.css");
    expect([css.status, css.headers.get("content-type")]).toEqual([200, "text/css; charset=utf-8"]);
    expect((await app.request("/assets/../package.json")).status).toBe(404);
    expect((await app.request("/assets/secrets")).status).toBe(404);
  });

  test("/v1/pipeline/history: no key, the sampler's points (since a time), none when nothing samples", async () => {
    const point = (at: number) => ({
      at,
      produceRate: 1,
      landedRate: 1,
      dlqRate: 0,
      lag: 0,
      lagByPartition: [],
      positionLag: null,
      markers: [],
      down: [],
      e2eP50: null,
      e2eP99: null,
      dlqByReason: null,
    });
    const history = {
      everyMs: 1000,
      windowMs: 900_000,
      points: (since = 0) => [point(1000), point(2000)].filter((p) => p.at > since),
    };
    const app = createApp({ ...deps(), history });
    const all = await app.request("/v1/pipeline/history");
    expect(all.status).toBe(200);
    expect(((await all.json()) as { points: { at: number }[] }).points.map((p) => p.at)).toEqual([1000, 2000]);
    const since = (await (await app.request("/v1/pipeline/history?since=1000")).json()) as { points: { at: number }[] };
    expect(since.points.map((p) => p.at)).toEqual([2000]);
    const bad = await app.request("/v1/pipeline/history?since=yesterday");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("since must be epoch milliseconds");
    const none = await createApp(deps()).request("/v1/pipeline/history");
    expect(await none.json()).toEqual({ everyMs: 0, windowMs: 0, points: [] });
  });

  test("a known path with another method → 405 with Allow", async () => {
    const res = await createApp(deps()).request("/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    const task = await createApp(deps()).request("/v1/admin/connector/tasks/3/restart", {
      method: "GET",
      headers: { "x-api-key": KEY },
    });
    expect(task.status).toBe(405);
    expect(task.headers.get("allow")).toBe("POST");
  });

  test("unknown route → 404 JSON", async () => {
    const res = await createApp(deps()).request("/nope");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});

describe("HTTP edges", () => {
  const trace =
    "org.apache.kafka.connect.errors.ConnectException: connection.url=jdbc:postgresql://db/x?password=hunter2\n\tat org.apache.kafka.Foo.bar(Foo.java:42)";

  test("a failure answers a generic body with a request id; the details, scrubbed, are only in the log under that id", async () => {
    const lines: string[] = [];
    const d = deps();
    const app = createApp({
      ...d,
      log: (l) => lines.push(l),
      connect: {
        ...d.connect,
        status: async () => {
          throw new Error(`boom: ${trace} key ${ADMIN_KEY}`);
        },
        restartConnector: async () => {
          throw new SluiceError("CONNECT_HTTP_500", `Kafka Connect POST /connectors/x/restart answered 500: ${trace}`);
        },
      },
    });
    const h = { "x-api-key": ADMIN_KEY };
    const res = await app.request("/v1/admin/connector", { headers: h });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string }; requestId: string };
    const id = res.headers.get(REQUEST_ID_HEADER)!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toEqual({
      error: { code: "INTERNAL", message: `internal error; the server log has the details under request id ${id}` },
      requestId: id,
    });
    const retryable = await app.request("/v1/admin/connector/restart", { method: "POST", headers: h });
    expect(retryable.status).toBe(503);
    const text = await retryable.text();
    for (const leak of ["hunter2", "ConnectException", "Foo.java", "jdbc:"]) expect(text).not.toContain(leak);
    expect(lines.length).toBe(2);
    expect(lines[0]).toStartWith(
      `request ${id}: GET /v1/admin/connector failed: Error: boom: org.apache.kafka.connect.errors.ConnectException`,
    );
    expect(lines[1]).toContain(
      `request ${retryable.headers.get(REQUEST_ID_HEADER)}: POST /v1/admin/connector/restart failed`,
    );
    for (const l of lines) {
      expect(l).not.toContain("hunter2");
      expect(l).not.toContain(ADMIN_KEY);
      expect(l).toContain("password=[redacted]");
    }
  });

  test("the scrubber: config pairs, URL credentials, bearer tokens and the process's own secrets", () => {
    const scrub = redactor(["my-own-api-key"]);
    expect(scrub("postgres://sluice:pw@host:5432/db and Bearer abc.def and key my-own-api-key, password=x")).toBe(
      "postgres://sluice:[redacted]@host:5432/db and Bearer [redacted] and key [redacted], password=[redacted]",
    );
  });

  test("/ready: concurrent calls share one check, and the result answers for a second", async () => {
    const calls = { kafka: 0, connect: 0, registry: 0, postgres: 0, connector: 0 };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let pinged!: () => void;
    const checking = new Promise<void>((r) => (pinged = r));
    const d = deps({ ping: async () => void calls.kafka++ });
    const app = createApp({
      ...d,
      connect: {
        ...d.connect,
        info: async () => {
          calls.connect++;
          return { version: "4.3.1", commit: "c", kafka_cluster_id: "k" };
        },
        status: async () => {
          calls.connector++;
          const running = { state: "RUNNING", worker_id: "w" };
          return { name: "unit-sink", connector: running, tasks: [{ id: 0, ...running }], type: "sink" };
        },
      },
      registry: { ...d.registry, ping: async () => void calls.registry++ },
      db: {
        ...d.db,
        ping: async () => {
          calls.postgres++;
          pinged();
          return gate;
        },
      },
    });
    const answers = Array.from({ length: 10 }, () => app.request("/ready"));
    await checking; // the one shared check is under way, all ten requests waiting on it
    release();
    const statuses = await Promise.all(answers.map(async (r) => (await r).status));
    expect(statuses).toEqual(Array(10).fill(200));
    expect(calls).toEqual({ kafka: 1, connect: 1, registry: 1, postgres: 1, connector: 1 });
    expect((await app.request("/ready")).status).toBe(200);
    expect(calls.postgres).toBe(1);
  });

  test("readinessCache: a result is reused for maxAgeMs after it completed, then checked again", async () => {
    let t = 0;
    let pings = 0;
    const d = deps({ ping: async () => void pings++ });
    const cache = readinessCache({ ...d, db: { ...d.db, ping: async () => {} } }, 1000, () => t);
    await cache();
    t = 999;
    await cache();
    expect(pings).toBe(1);
    t = 1000;
    await cache();
    expect(pings).toBe(2);
  });

  test("/events: at most maxEventStreams streams (503 with Retry-After beyond); closing one frees its slot", async () => {
    const app = createApp({ ...deps(), maxEventStreams: 2, streamIntervalMs: 10, eventStallMs: 60_000 });
    const a = await app.request("/events");
    const b = await app.request("/events");
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers.get("content-type")).toBe("text/event-stream");
    const third = await app.request("/events");
    expect(third.status).toBe(503);
    expect(third.headers.get("retry-after")).toBe("5");
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_STREAMS");
    const reader = a.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toStartWith("event: pipeline\ndata: {");
    await reader.cancel();
    const again = await app.request("/events");
    expect(again.status).toBe(200);
    await again.body!.cancel();
    await b.body!.cancel();
  });

  test("/events: a client that stops reading holds at most one event and is cut off after eventStallMs", async () => {
    const app = createApp({ ...deps(), maxEventStreams: 1, streamIntervalMs: 5, eventStallMs: 150 });
    const stuck = await app.request("/events");
    const reader = stuck.body!.getReader();
    await reader.read();
    // The client reads nothing more: its slot stays taken for the stall time…
    expect((await app.request("/events")).status).toBe(503);
    const deadline = Date.now() + 5000;
    let next: Response | undefined;
    while (Date.now() < deadline) {
      next = await app.request("/events");
      if (next.status === 200) break;
      await Bun.sleep(25);
    }
    // …then its stream is closed, so another client gets the slot, and nothing was queued for it meanwhile.
    expect(next?.status).toBe(200);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    await next!.body!.cancel();
  });

  test("/events over a real socket: a client that goes away frees its slot", async () => {
    const app = createApp({ ...deps(), maxEventStreams: 1, streamIntervalMs: 20 });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, idleTimeout: 60 });
    const url = `http://127.0.0.1:${server.port}/events`;
    try {
      const gone = new AbortController();
      const first = await fetch(url, { signal: gone.signal });
      const reader = first.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("event: pipeline\n");
      expect((await fetch(url)).status).toBe(503);
      gone.abort();
      const deadline = Date.now() + 5000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        const res = await fetch(url);
        status = res.status;
        await res.body?.cancel();
        if (status !== 200) await Bun.sleep(25);
      }
      expect(status).toBe(200);
    } finally {
      await server.stop(true);
    }
  });

  test("the dashboard builds its rows from text, never from HTML", async () => {
    const html = await (await createApp(deps()).request("/")).text();
    expect(html).not.toContain("innerHTML");
    expect(html).toContain("textContent");
  });
});
