import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { answeredCode, type ErrorCode, errorSpec } from "../error-codes.ts";
import { SluiceError } from "../errors.ts";

/** Seconds a client should wait before retrying when the server is busy (409, 429) or a dependency down (503). */
const RETRY_AFTER_BUSY = "1";
const RETRY_AFTER_DOWN = "5";

/** Header carrying the id under which the server logs a request's failure. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** Values a request carries between middleware and handler. */
export type Env = { Variables: { keyId: string; requestId: string } };

/** The body of every error answer: `{error: {code, message}, ...extra}`. */
export const errorBody = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message },
  ...extra,
});

/**
 * An answer a route refuses a request with: the status comes from the catalogue, the message (written for the client,
 * so never an exception's text) is shown as is. With `cause`, the cause is logged under the request id and the
 * message points at that log line instead.
 */
export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { body?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(errorSpec(code).httpStatus, { message, cause: extra.cause });
  }
}

/** What the error handler needs from the app. */
export interface ErrorHandlerOptions {
  /** Where failures go, in full, under their request id. */
  readonly log: (line: string) => void;
  /** Removes credentials from logged text. */
  readonly scrub: (text: string) => string;
  /** The sink connector, named in Connect's 404. */
  readonly connector: string;
}

/** Retry-After for retryable codes: short when the server is busy, longer when a dependency is down. */
const retryAfter = (code: ErrorCode): Record<string, string> => {
  const spec = errorSpec(code);
  if (!spec.retryable) return {};
  return { "Retry-After": spec.httpStatus === 503 ? RETRY_AFTER_DOWN : RETRY_AFTER_BUSY };
};

/** The client-facing summary of a failure whose text stays in the log. */
function opaqueWhat(code: ErrorCode, connector: string): string {
  if (code === "NOT_FOUND") return `Kafka Connect has no such connector or task (${connector})`;
  if (code === "CONNECT_REBALANCING") return "Kafka Connect is rebalancing; retry after the delay in Retry-After";
  if (code === "INTERNAL") return "internal error";
  if (!errorSpec(code).retryable) return `the request failed (${code})`;
  return `a component the server depends on failed (${code}); retry after the delay in Retry-After`;
}

/**
 * The one place errors become HTTP answers (used as the app's onError, and by handlers hono calls outside it). An
 * ApiError answers its own message; any other failure is logged in full (scrubbed) under the request id, and the
 * answer carries only its catalogue code and that id: exceptions can hold Connect's stack traces, addresses or config
 * values. Status and Retry-After come from the catalogue (src/error-codes.ts).
 */
export function errorAnswerer(opts: ErrorHandlerOptions) {
  const logFailure = (c: Context<Env>, e: unknown) => {
    const id = c.get("requestId") ?? randomUUID();
    const err = e instanceof Error ? e : new Error(String(e));
    const text = opts.scrub(err.stack ?? `${err.name}: ${err.message}`);
    opts.log(`request ${id}: ${c.req.method} ${c.req.path} failed: ${text}`);
    return id;
  };
  return (e: unknown, c: Context<Env>): Response => {
    const own = e instanceof ApiError ? e.code : e instanceof SluiceError ? e.code : "INTERNAL";
    const code = answeredCode(own);
    const status = errorSpec(code).httpStatus as ContentfulStatusCode;
    const headers = { ...retryAfter(code), ...(e instanceof ApiError ? e.extra.headers : {}) };
    if (e instanceof ApiError && code === own && e.extra.cause === undefined) {
      return c.json(errorBody(code, e.message, e.extra.body), status, headers);
    }
    const id = logFailure(c, e instanceof ApiError && e.extra.cause !== undefined ? e.extra.cause : e);
    const what = e instanceof ApiError && code === own ? e.message : opaqueWhat(code, opts.connector);
    const message = `${what}; the server log has the details under request id ${id}`;
    return c.json(errorBody(code, message, { requestId: id }), status, headers);
  };
}
