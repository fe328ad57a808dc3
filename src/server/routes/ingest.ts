import { createHash } from "node:crypto";
import { type Context, Hono, type Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { errorSpec } from "../../error-codes.ts";
import { SluiceError } from "../../errors.ts";
import { bodyText } from "../body.ts";
import { ApiError, type Env } from "../http-errors.ts";
import { type BatchResult, toMessages, validateBatch } from "../ingest.ts";
import { withTimeout } from "../kafka.ts";
import type { AppState } from "../state.ts";

/** Idempotency keys: printable ASCII, 1–255 characters (as the IETF draft and Stripe-like APIs use them). */
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/);

type Idem = { scope: string; key: string } | undefined;
type ValidBatch = Extract<BatchResult, { ok: true }>;

/**
 * `POST /v1/metrics` (mounted there): validate the whole batch, then send it to Kafka with acks=all; 202 only once
 * Kafka acknowledged every metric. Refusals are ApiErrors, answered by the app's error handler.
 */
export function ingestRoutes(s: AppState, answer: (e: unknown, c: Context<Env>) => Response) {
  const app = new Hono<Env>();
  let inFlight = 0;
  const { metrics, limits, idempotency, deps } = s;

  const ingestBodyLimit = bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: (c) => {
      const why = `the body must be at most ${limits.maxBodyBytes} bytes; split the batch`;
      return answer(new ApiError("PAYLOAD_TOO_LARGE", why), c);
    },
  });

  /** Counts answers by status (refusals included; a failure of the server itself is not an answer to count). */
  const record = async (c: Context<Env>, next: Next) => {
    const t0 = performance.now();
    await next();
    if (c.error && !(c.error instanceof ApiError)) return;
    const code = String(c.res.status);
    metrics.ingestRequests.inc({ code });
    metrics.ingestDuration.observe({ code }, (performance.now() - t0) / 1000);
  };

  /** The parsed, valid batch and its text (for the idempotency fingerprint). */
  async function readBatch(c: Context<Env>): Promise<{ text: string; batch: ValidBatch }> {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) {
      const why = `the body must be JSON with Content-Type: application/json, got "${type}"`;
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", why);
    }
    const text = await bodyText(c, limits.maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      const errors = [{ index: null, field: "(body)", message: (e as Error).message }];
      throw new ApiError("INVALID_BATCH", "the body is not valid JSON", { body: { errors } });
    }
    const batch = validateBatch(body, limits.maxItems);
    if (!batch.ok) {
      const items = (body as { metrics?: unknown })?.metrics;
      metrics.ingestMetrics.inc({ outcome: "rejected" }, Array.isArray(items) ? items.length : 0);
      const why = `the batch was refused and nothing was written: ${batch.errors.length} error(s)`;
      throw new ApiError("INVALID_BATCH", why, { body: { errors: batch.errors } });
    }
    return { text, batch };
  }

  /** Claims the Idempotency-Key, if one is given; a Response when the request is answered from the store. */
  function claim(c: Context<Env>, text: string): { idem: Idem } | { res: Response } {
    const header = c.req.header("idempotency-key");
    if (header === undefined) return { idem: undefined };
    if (!IdempotencyKey.safeParse(header).success) {
      const why = "Idempotency-Key must be 1–255 printable ASCII characters without spaces";
      throw new ApiError("INVALID_IDEMPOTENCY_KEY", why);
    }
    const idem = { scope: c.get("keyId"), key: header };
    const fingerprint = createHash("sha256").update(text).digest("hex");
    const d = idempotency.begin(idem.scope, idem.key, fingerprint);
    if (d.kind === "replay") {
      return { res: c.json(d.response.body as object, d.response.status as 202, { "Idempotency-Replayed": "true" }) };
    }
    if (d.kind === "in-progress") {
      const why = "a request with this Idempotency-Key is still being processed; retry later";
      throw new ApiError("IDEMPOTENCY_IN_PROGRESS", why);
    }
    if (d.kind === "mismatch") {
      const why = "this Idempotency-Key was used with a different body; use a new key for a new batch";
      throw new ApiError("IDEMPOTENCY_MISMATCH", why);
    }
    return { idem };
  }

  /** Sends the batch; on failure frees the idempotency key and answers 503 (the cause goes to the log only). */
  async function send(batch: ValidBatch, idem: Idem): Promise<void> {
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
      // A dependency's own retryable code says more than the generic one; anything else is "Kafka unavailable".
      const own = e instanceof SluiceError && e.retryable && errorSpec(e.code).httpStatus === 503 ? e.code : undefined;
      const what =
        "Kafka did not acknowledge the batch; nothing may be assumed written, retry after the delay in " +
        "Retry-After (with the same Idempotency-Key)";
      throw new ApiError(own ?? "KAFKA_UNAVAILABLE", what, { cause: e });
    }
  }

  app.post("/", ingestBodyLimit, record, async (c) => {
    const { text, batch } = await readBatch(c);
    const claimed = claim(c, text);
    if ("res" in claimed) return claimed.res;
    const { idem } = claimed;
    // Bounded: beyond maxInFlight batches waiting for Kafka, refuse instead of queueing in memory.
    if (inFlight >= limits.maxInFlight) {
      if (idem) idempotency.abandon(idem.scope, idem.key);
      throw new ApiError("BUSY", `${inFlight} batches are waiting for Kafka; retry after the delay in Retry-After`);
    }
    inFlight++;
    metrics.ingestInFlight.set(inFlight);
    try {
      await send(batch, idem);
    } finally {
      inFlight--;
      metrics.ingestInFlight.set(inFlight);
    }
    const n = batch.metrics.length;
    s.ingestAccepted += n;
    metrics.ingestMetrics.inc({ outcome: "accepted" }, n);
    const body202 = { accepted: n, topic: deps.topic };
    if (idem) idempotency.complete(idem.scope, idem.key, { status: 202, body: body202 });
    return c.json(body202, 202);
  });
  return app;
}
