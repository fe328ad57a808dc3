import { createHash, randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { SluiceError } from "../errors.ts";
import { keyId, keyMatcher, presentedKey, scopeOf } from "./auth.ts";
import { dashboardHtml } from "./dashboard.ts";
import type { ServerDeps } from "./deps.ts";
import { eventStream } from "./events.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { DEFAULT_LIMITS, toMessages, validateBatch, type IngestLimits } from "./ingest.ts";
import { withTimeout } from "./kafka.ts";
import { serverMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { readinessCache } from "./ready.ts";
import { redactor } from "./redact.ts";
import { snapshotCache, type PipelineSnapshot } from "./snapshot.ts";

/** Seconds a client should wait before retrying when Kafka is slow (429) or down (503). */
const RETRY_AFTER_BUSY = "1";
const RETRY_AFTER_DOWN = "5";

/** Defaults of the event streams (see ServerDeps). */
const MAX_EVENT_STREAMS = 32;
const EVENT_STALL_MS = 15_000;

/** Header carrying the id under which the server logs a request's failure. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** Values a request carries between middleware and handler. */
type Env = { Variables: { keyId: string; requestId: string } };

const errorBody = (code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message }, ...extra });

/** Idempotency keys: printable ASCII, 1–255 characters (as the IETF draft and Stripe-like APIs use them). */
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/);

/** What the dashboard and `/v1/pipeline` show: the snapshot in a compact form, plus this server's ingest count. */
export function pipelineView(s: PipelineSnapshot, ingestAccepted: number) {
  return {
    at: s.at,
    topic: s.topic,
    produced: s.offsets ? s.offsets.reduce((n, o) => n + o.high, 0) : null,
    lag: s.lag ? s.lag.reduce((n, l) => n + l.lag, 0) : null,
    lagByPartition: s.lag,
    table: s.table,
    rowsWritten: s.rowsWritten,
    dlq: s.dlq,
    connector: s.connector
      ? {
          name: s.connector.name,
          state: s.connector.status?.connector.state ?? "MISSING",
          tasks: (s.connector.status?.tasks ?? []).map((t) => ({ id: t.id, state: t.state })),
        }
      : null,
    ingestAccepted,
    errors: s.errors,
  };
}

/**
 * The admin/ingest service as a hono app, built only from `deps` (no sockets, no globals): tests call
 * `app.request()` on it, `sluice serve` hands `app.fetch` to Bun's server.
 */
export function createApp(deps: ServerDeps) {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const scopesOf = keyMatcher(deps.apiKeys);
  const scrub = redactor(deps.apiKeys.map((k) => k.key));
  const log = deps.log ?? ((line: string) => console.error(line));
  const ready = readinessCache(deps);
  const maxStreams = deps.maxEventStreams ?? MAX_EVENT_STREAMS;
  let streams = 0;
  const idempotency = new IdempotencyStore();
  const snapshot = snapshotCache(deps);
  const metrics = serverMetrics(snapshot, deps.healerRestarts);
  const startedAt = Date.now();
  let inFlight = 0;
  let ingestAccepted = 0;

  const app = new Hono<Env>();

  /** Logs a failure in full (scrubbed) under the request's id; what the client gets is only the id. */
  const logFailure = (c: Context<Env>, e: Error) => {
    const id = c.get("requestId") ?? randomUUID();
    log(`request ${id}: ${c.req.method} ${c.req.path} failed: ${scrub(e.stack ?? `${e.name}: ${e.message}`)}`);
    return id;
  };
  /** An error body that points at the log line instead of carrying the failure's text. */
  const failure = (id: string, code: string, what: string) =>
    errorBody(code, `${what}; the server log has the details under request id ${id}`, { requestId: id });

  // Answers never carry an exception's text (it can hold Connect's stack traces, addresses or config values).
  app.onError((e, c) => {
    const id = logFailure(c, e);
    const code = e instanceof SluiceError ? e.code : "INTERNAL";
    if (code === "CONNECT_HTTP_404") {
      return c.json(failure(id, "NOT_FOUND", `Kafka Connect has no such connector or task (${deps.connector})`), 404);
    }
    // Connect answers 409 while its worker group rebalances: the same request succeeds a moment later.
    if (code === "CONNECT_HTTP_409") {
      const what = "Kafka Connect is rebalancing; retry after the delay in Retry-After";
      const body = failure(id, "CONNECT_REBALANCING", what);
      return c.json(body, 409, { "Retry-After": RETRY_AFTER_BUSY });
    }
    if (e instanceof SluiceError && e.retryable) {
      const what = `a component the server depends on failed (${code}); retry after the delay in Retry-After`;
      const body = failure(id, code, what);
      return c.json(body, 503, { "Retry-After": RETRY_AFTER_DOWN });
    }
    return c.json(failure(id, "INTERNAL", "internal error"), 500);
  });

  // Every answer carries its request id, so a client can quote it and an operator find the log line.
  app.use("*", async (c, next) => {
    c.set("requestId", randomUUID());
    c.header(REQUEST_ID_HEADER, c.get("requestId"));
    await next();
  });
  // A known path asked with another method is 405 with the methods it has (RFC 9110), not 404.
  const routes = [
    ...Object.entries(openApiDocument(limits).paths).map(([path, ops]) => ({
      re: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      allow: Object.keys(ops).map((m) => m.toUpperCase()),
    })),
    { re: /^\/$/, allow: ["GET"] },
    { re: /^\/events$/, allow: ["GET"] },
  ];
  app.notFound((c) => {
    const known = routes.find((r) => r.re.test(c.req.path));
    if (known) {
      const allow = known.allow.includes("GET") ? [...known.allow, "HEAD"] : known.allow;
      return c.json(errorBody("METHOD_NOT_ALLOWED", `${c.req.path} allows ${allow.join(", ")}, not ${c.req.method}`), 405, { Allow: allow.join(", ") });
    }
    return c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}; see /openapi.json`), 404);
  });

  // API key on everything under /v1 except the read-only pipeline view the dashboard uses: no key or an unknown key is
  // 401 (not authenticated), a valid key without the route's scope is 403 (authenticated, not allowed).
  app.use("/v1/*", async (c, next) => {
    if (c.req.path === "/v1/pipeline") return next();
    const needed = scopeOf(c.req.path);
    const key = presentedKey(c.req.raw.headers);
    const granted = key ? scopesOf(key) : new Set();
    if (!key || granted.size === 0) {
      c.header("WWW-Authenticate", 'ApiKey header="X-API-Key"');
      const why = key
        ? "the API key is not valid"
        : "this route needs an API key in the X-API-Key header (or Authorization: Bearer)";
      return c.json(errorBody("UNAUTHENTICATED", `${why}; ${c.req.path} needs a key with the ${needed} scope`), 401);
    }
    if (!granted.has(needed)) {
      const has = [...granted].join(", ");
      const why = `this API key has the ${has} scope, not ${needed}; ${c.req.path} needs an ${needed} key`;
      return c.json(errorBody("FORBIDDEN", why), 403);
    }
    c.set("keyId", keyId(key));
    return next();
  });

  app.get("/health", (c) => c.json({ status: "ok", uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }));

  app.get("/ready", async (c) => {
    const r = await ready();
    // Unauthenticated: a failing check's detail (e.g. the first line of a task's trace) is scrubbed of credentials.
    const components = Object.fromEntries(
      Object.entries(r.components).map(([k, v]) => [k, v.detail ? { ...v, detail: scrub(v.detail) } : v]),
    );
    return c.json({ ...r, components }, r.ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    const text = await metrics.registry.metrics();
    return c.body(text, 200, { "content-type": metrics.registry.contentType });
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument(limits)));

  app.get("/", (c) => c.html(dashboardHtml()));

  /** The pipeline view as the public routes show it: source errors scrubbed of credentials. */
  const publicView = async () => {
    const v = pipelineView(await snapshot(), ingestAccepted);
    return { ...v, errors: Object.fromEntries(Object.entries(v.errors).map(([k, m]) => [k, scrub(m)])) };
  };

  app.get("/v1/pipeline", async (c) => c.json(await publicView()));

  // Bounded: at most maxStreams open streams, each holding at most one event (src/server/events.ts).
  app.get("/events", (c) => {
    if (streams >= maxStreams) {
      const why = `${streams} event streams are open, the most this server serves; retry after Retry-After`;
      return c.json(errorBody("TOO_MANY_STREAMS", why), 503, { "Retry-After": RETRY_AFTER_DOWN });
    }
    streams++;
    const body = eventStream({
      next: async () => ({ event: "pipeline", data: JSON.stringify(await publicView()) }),
      intervalMs: deps.streamIntervalMs ?? 1000,
      stallMs: deps.eventStallMs ?? EVENT_STALL_MS,
      onClose: () => streams--,
    });
    return c.body(body, 200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
    });
  });

  const ingestBodyLimit = bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: (c) => c.json(errorBody("PAYLOAD_TOO_LARGE", `the body must be at most ${limits.maxBodyBytes} bytes; split the batch`), 413),
  });

  app.post("/v1/metrics", ingestBodyLimit, async (c) => {
    const t0 = performance.now();
    const res = await ingest(c);
    const code = String(res.status);
    metrics.ingestRequests.inc({ code });
    metrics.ingestDuration.observe({ code }, (performance.now() - t0) / 1000);
    return res;
  });

  async function ingest(c: Context<Env>): Promise<Response> {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) {
      return c.json(errorBody("UNSUPPORTED_MEDIA_TYPE", `the body must be JSON with Content-Type: application/json, got "${type}"`), 415);
    }
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return c.json(errorBody("INVALID_BATCH", "the body is not valid JSON", { errors: [{ index: null, field: "(body)", message: (e as Error).message }] }), 400);
    }
    const batch = validateBatch(body, limits.maxItems);
    if (!batch.ok) {
      metrics.ingestMetrics.inc({ outcome: "rejected" }, Array.isArray((body as { metrics?: unknown })?.metrics) ? (body as { metrics: unknown[] }).metrics.length : 0);
      return c.json(errorBody("INVALID_BATCH", `the batch was refused and nothing was written: ${batch.errors.length} error(s)`, { errors: batch.errors }), 400);
    }

    const idemHeader = c.req.header("idempotency-key");
    let idem: { scope: string; key: string } | undefined;
    if (idemHeader !== undefined) {
      if (!IdempotencyKey.safeParse(idemHeader).success) {
        return c.json(errorBody("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1–255 printable ASCII characters without spaces"), 400);
      }
      idem = { scope: c.get("keyId"), key: idemHeader };
      const fingerprint = createHash("sha256").update(text).digest("hex");
      const d = idempotency.begin(idem.scope, idem.key, fingerprint);
      if (d.kind === "replay") return c.json(d.response.body as object, d.response.status as 202, { "Idempotency-Replayed": "true" });
      if (d.kind === "in-progress") {
        return c.json(errorBody("IDEMPOTENCY_IN_PROGRESS", "a request with this Idempotency-Key is still being processed; retry later"), 409, { "Retry-After": RETRY_AFTER_BUSY });
      }
      if (d.kind === "mismatch") {
        return c.json(errorBody("IDEMPOTENCY_MISMATCH", "this Idempotency-Key was used with a different body; use a new key for a new batch"), 422);
      }
    }

    // Bounded: beyond maxInFlight batches waiting for Kafka, refuse instead of queueing in memory.
    if (inFlight >= limits.maxInFlight) {
      if (idem) idempotency.abandon(idem.scope, idem.key);
      return c.json(errorBody("BUSY", `${inFlight} batches are waiting for Kafka; retry after the delay in Retry-After`), 429, { "Retry-After": RETRY_AFTER_BUSY });
    }
    inFlight++;
    metrics.ingestInFlight.set(inFlight);
    const n = batch.metrics.length;
    const t0 = performance.now();
    try {
      const [partitions, schemaId] = await withTimeout(
        Promise.all([deps.kafka.partitions(deps.topic), deps.registry.schemaId()]),
        limits.sendTimeoutMs,
        `looking up ${deps.topic} and the schema id`,
      );
      // The gateway has its own timeout; this one holds whatever gateway is plugged in to the documented limit.
      const messages = toMessages(batch.metrics, partitions, schemaId);
      const what = `sending ${n} messages to ${deps.topic}`;
      await withTimeout(deps.kafka.send(deps.topic, messages, limits.sendTimeoutMs), limits.sendTimeoutMs, what);
      metrics.kafkaSendDuration.observe({ outcome: "acknowledged" }, (performance.now() - t0) / 1000);
    } catch (e) {
      metrics.kafkaSendDuration.observe({ outcome: "failed" }, (performance.now() - t0) / 1000);
      metrics.ingestMetrics.inc({ outcome: "rejected" }, n);
      if (idem) idempotency.abandon(idem.scope, idem.key);
      const code = e instanceof SluiceError ? e.code : "KAFKA_UNAVAILABLE";
      const id = logFailure(c, e as Error);
      const what = "Kafka did not acknowledge the batch; nothing may be assumed written, retry after the delay in " +
        "Retry-After (with the same Idempotency-Key)";
      return c.json(failure(id, code, what), 503, { "Retry-After": RETRY_AFTER_DOWN });
    } finally {
      inFlight--;
      metrics.ingestInFlight.set(inFlight);
    }
    ingestAccepted += n;
    metrics.ingestMetrics.inc({ outcome: "accepted" }, n);
    const body202 = { accepted: n, topic: deps.topic };
    if (idem) idempotency.complete(idem.scope, idem.key, { status: 202, body: body202 });
    return c.json(body202, 202);
  }

  app.get("/v1/admin/connector", async (c) => {
    const s = await deps.connect.status(deps.connector);
    if (!s) return c.json(errorBody("NOT_FOUND", `connector ${deps.connector} does not exist; run \`sluice setup\``), 404);
    // Connect's traces can echo resolved config values: kept for the operator, scrubbed of credentials.
    const trace = <T extends { trace?: string }>(x: T): T => (x.trace ? { ...x, trace: scrub(x.trace) } : x);
    return c.json({ ...s, connector: trace(s.connector), tasks: s.tasks.map(trace) });
  });

  const RestartQuery = z.object({
    includeTasks: z.enum(["true", "false"]).default("true"),
    onlyFailed: z.enum(["true", "false"]).default("false"),
  });
  app.post("/v1/admin/connector/restart", async (c) => {
    const q = RestartQuery.safeParse(c.req.query());
    if (!q.success) return c.json(errorBody("INVALID_QUERY", z.prettifyError(q.error)), 400);
    const status = await deps.connect.restartConnector(deps.connector, { includeTasks: q.data.includeTasks === "true", onlyFailed: q.data.onlyFailed === "true" });
    return c.json({ restarted: deps.connector, status: status ?? null }, 202);
  });

  app.post("/v1/admin/connector/tasks/:task/restart", async (c) => {
    const task = z.coerce.number().int().min(0).max(10_000).safeParse(c.req.param("task"));
    if (!task.success) return c.json(errorBody("INVALID_TASK", `task must be a task id (0, 1, …), got "${c.req.param("task")}"`), 400);
    await deps.connect.restartTask(deps.connector, task.data);
    return c.json({ restarted: deps.connector, task: task.data }, 202);
  });

  const PeekQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) });
  app.get("/v1/admin/dlq", async (c) => {
    const q = PeekQuery.safeParse(c.req.query());
    if (!q.success) return c.json(errorBody("INVALID_QUERY", `limit must be an integer from 1 to 100`), 400);
    const records = await deps.kafka.peek(deps.dlqTopic, q.data.limit, 15_000);
    // The last `limit` over all partitions, oldest first.
    const last = records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset).slice(-q.data.limit);
    return c.json({ topic: deps.dlqTopic, records: last });
  });

  return Object.assign(app, { metrics });
}

export type SluiceApp = ReturnType<typeof createApp>;
