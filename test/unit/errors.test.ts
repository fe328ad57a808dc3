// The closed error catalogue (src/error-codes.ts), the one place errors become HTTP answers
// (src/server/http-errors.ts) and the one SQL identifier schema (src/db/identifier.ts).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { CONNECT_HTTP_CODES, connectHttpCode, isConnectRefusal } from "../../src/connect/client.ts";
import { SqlIdentifier, sqlIdentifier } from "../../src/db/identifier.ts";
import {
  ALL_ERROR_CODES,
  ANSWERED_CODES,
  answeredCode,
  ERROR_CODES,
  type ErrorCode,
  errorSpec,
  isErrorCode,
} from "../../src/error-codes.ts";
import { SluiceError } from "../../src/errors.ts";
import { ApiError, type Env, errorAnswerer, REQUEST_ID_HEADER } from "../../src/server/http-errors.ts";
import { DEFAULT_LIMITS } from "../../src/server/ingest.ts";
import { openApiDocument } from "../../src/server/openapi.ts";

const ROOT = join(import.meta.dir, "../..");

/** Every .ts file under `dir` (relative to the repository root). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.includes("node_modules"))
    .map((f) => join(dir, f));
}

/** The code literals of every `new SluiceError(…)` / `new ApiError(…)` first argument in `text`. */
function thrownCodes(text: string): string[] {
  const codes: string[] = [];
  for (const m of text.matchAll(/new (?:SluiceError|ApiError)\(\s*([^,]+),/g)) {
    for (const lit of m[1]!.matchAll(/"([A-Z][A-Z0-9_]*)"/g)) codes.push(lit[1]!);
  }
  return codes;
}

describe("the catalogue", () => {
  const files = [...sources("src"), ...sources("bench"), ...sources("test")];
  const thrown = files.flatMap((f) => thrownCodes(readFileSync(join(ROOT, f), "utf8")).map((code) => ({ f, code })));
  const srcText = sources("src")
    .filter((f) => !f.endsWith("error-codes.ts"))
    .map((f) => readFileSync(join(ROOT, f), "utf8"))
    .join("\n");

  test("every code thrown in src, bench and test is in it", () => {
    expect(thrown.length).toBeGreaterThan(60);
    expect(thrown.filter((t) => !isErrorCode(t.code))).toEqual([]);
  });

  test("every code in it is used in src (no dead codes)", () => {
    const unused = ALL_ERROR_CODES.filter((c) => !srcText.includes(`"${c}"`));
    expect(unused).toEqual([]);
  });

  test("each code: SCREAMING_SNAKE name, a hint that says what to do, a sensible status", () => {
    for (const code of ALL_ERROR_CODES) {
      const spec = errorSpec(code);
      expect({ code, name: /^[A-Z][A-Z0-9_]*$/.test(code) }).toEqual({ code, name: true });
      expect({ code, hint: spec.hint.length >= 15 && spec.hint.endsWith(".") }).toEqual({ code, hint: true });
      expect(spec.httpStatus).toBeGreaterThanOrEqual(400);
      // Retrying helps only when the server is busy, a conflict passes (409) or a dependency is down.
      const status = spec.httpStatus;
      if (spec.retryable) expect({ code, status: [409, 429, 503].includes(status) }).toEqual({ code, status: true });
      // 429 and 503 promise that a retry can help: only retryable codes may answer them.
      if ([429, 503].includes(status)) expect({ code, retryable: spec.retryable }).toEqual({ code, retryable: true });
    }
  });

  test("answerAs names a code of the catalogue with the same status", () => {
    const aliased = ALL_ERROR_CODES.filter((c) => "answerAs" in ERROR_CODES[c]);
    expect(aliased).toEqual(["CONNECT_HTTP_404", "CONNECT_HTTP_409"]);
    for (const c of aliased) {
      const target = answeredCode(c);
      expect(target).not.toBe(c);
      expect(errorSpec(target).httpStatus).toBe(errorSpec(c).httpStatus);
    }
  });

  test("SluiceError takes retryable and hint from the catalogue", () => {
    expect(new SluiceError("KAFKA_TIMEOUT", "x").retryable).toBe(true);
    expect(new SluiceError("USAGE", "x").retryable).toBe(false);
    expect(new SluiceError("USAGE", "x").hint).toBe(ERROR_CODES.USAGE.hint);
  });

  test("Connect's HTTP statuses map to closed codes; 409 and 5xx are retryable, the rest are refusals", () => {
    const cases = [400, 401, 403, 404, 405, 409, 415, 500, 502, 503, 504].map((s) => [s, connectHttpCode(s)]);
    expect(cases).toEqual([
      [400, "CONNECT_HTTP_400"],
      [401, "CONNECT_HTTP_401"],
      [403, "CONNECT_HTTP_403"],
      [404, "CONNECT_HTTP_404"],
      [405, "CONNECT_HTTP_4XX"],
      [409, "CONNECT_HTTP_409"],
      [415, "CONNECT_HTTP_4XX"],
      [500, "CONNECT_HTTP_500"],
      [502, "CONNECT_HTTP_5XX"],
      [503, "CONNECT_HTTP_503"],
      [504, "CONNECT_HTTP_5XX"],
    ]);
    for (const code of CONNECT_HTTP_CODES) {
      const status = code.endsWith("XX") ? Number(code.at(-3)) * 100 : Number(code.slice(-3));
      const retryable = status === 409 || status >= 500;
      expect({ code, retryable: errorSpec(code).retryable }).toEqual({ code, retryable });
    }
    expect(isConnectRefusal(new SluiceError("CONNECT_HTTP_400", "x"))).toBe(true);
    expect(isConnectRefusal(new SluiceError("CONNECT_HTTP_500", "x"))).toBe(true);
    expect(isConnectRefusal(new SluiceError("CONNECT_HTTP_409", "x"))).toBe(false);
    expect(isConnectRefusal(new SluiceError("CONNECT_UNREACHABLE", "x"))).toBe(false);
  });

  test("the OpenAPI error schema lists exactly the codes answers can carry, with their specs", () => {
    const doc = openApiDocument(DEFAULT_LIMITS);
    const detail = doc.components.schemas.ErrorDetail;
    expect(detail.properties.code.enum).toEqual([...ANSWERED_CODES]);
    expect(Object.keys(detail["x-sluice-error-codes"])).toEqual([...ANSWERED_CODES]);
    // Opaque failures are answered as INTERNAL; the aliased Connect codes as the client-facing ones.
    expect(ANSWERED_CODES).toContain("INTERNAL");
    for (const hidden of ["CONFIG", "PORT_IN_USE", "CONNECT_HTTP_404", "CONNECT_HTTP_400"] as ErrorCode[]) {
      expect(ANSWERED_CODES).not.toContain(hidden);
    }
  });
});

describe("errors → HTTP answers (one place)", () => {
  const SECRET = "password=hunter2-secret";
  function app() {
    const lines: string[] = [];
    const scrub = (t: string) => t.replaceAll("hunter2", "***");
    const answer = errorAnswerer({ log: (l) => lines.push(l), scrub, connector: "sink-x" });
    const a = new Hono<Env>();
    a.onError(answer);
    a.use("*", async (c, next) => {
      c.set("requestId", "req-1");
      await next();
    });
    a.get("/throw/:kind", (c) => {
      const kind = c.req.param("kind");
      if (kind === "busy") throw new ApiError("BUSY", "3 batches wait; retry after Retry-After");
      const headers = { "WWW-Authenticate": "ApiKey" };
      if (kind === "auth") throw new ApiError("UNAUTHENTICATED", "no key", { headers });
      if (kind === "batch") throw new ApiError("INVALID_BATCH", "refused", { body: { errors: [{ index: 0 }] } });
      const cause = new Error(SECRET);
      if (kind === "caused") throw new ApiError("KAFKA_UNAVAILABLE", "Kafka did not acknowledge", { cause });
      if (kind === "404") throw new SluiceError("CONNECT_HTTP_404", `no connector; ${SECRET}`);
      if (kind === "409") throw new SluiceError("CONNECT_HTTP_409", `rebalancing; ${SECRET}`);
      if (kind === "timeout") throw new SluiceError("KAFKA_TIMEOUT", `slow; ${SECRET}`);
      if (kind === "refused") throw new SluiceError("CONNECT_HTTP_400", `Connect said: ${SECRET}`);
      throw new Error(`boom ${SECRET}`);
    });
    return { a, lines };
  }
  const call = async (kind: string) => {
    const { a, lines } = app();
    const res = await a.request(`/throw/${kind}`);
    type Body = { error: { code: string; message: string }; requestId?: string; errors?: unknown };
    const body = (await res.json()) as Body;
    return { status: res.status, retryAfter: res.headers.get("Retry-After"), body, lines, headers: res.headers };
  };

  test("ApiError: catalogue status, its own message, extra body and headers, Retry-After if retryable", async () => {
    const busy = await call("busy");
    const message = "3 batches wait; retry after Retry-After";
    expect([busy.status, busy.retryAfter, busy.body]).toEqual([429, "1", { error: { code: "BUSY", message } }]);
    expect(busy.lines).toEqual([]);
    const auth = await call("auth");
    expect([auth.status, auth.retryAfter, auth.headers.get("WWW-Authenticate")]).toEqual([401, null, "ApiKey"]);
    const batch = await call("batch");
    expect([batch.status, batch.body.errors]).toEqual([400, [{ index: 0 }]]);
  });

  test("failures: logged (scrubbed) under the request id; answered with code and id, never the text", async () => {
    const cases: Record<string, [number, string, string | null]> = {
      caused: [503, "KAFKA_UNAVAILABLE", "5"],
      "404": [404, "NOT_FOUND", null],
      "409": [409, "CONNECT_REBALANCING", "1"],
      timeout: [503, "KAFKA_TIMEOUT", "5"],
      refused: [500, "INTERNAL", null],
      plain: [500, "INTERNAL", null],
    };
    for (const [kind, [status, code, retryAfter]] of Object.entries(cases)) {
      const r = await call(kind);
      const got = { kind, status: r.status, code: r.body.error.code, retryAfter: r.retryAfter };
      expect(got).toEqual({ kind, status, code, retryAfter });
      expect(r.body.requestId).toBe("req-1");
      expect(r.body.error.message).toEndWith("; the server log has the details under request id req-1");
      expect(JSON.stringify(r.body)).not.toContain("hunter2");
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toContain("request req-1: GET /throw/");
      expect(r.lines[0]).not.toContain("hunter2");
    }
    expect((await call("404")).body.error.message).toStartWith("Kafka Connect has no such connector or task (sink-x)");
    const internal = "internal error; the server log has the details under request id req-1";
    expect((await call("plain")).body.error.message).toBe(internal);
  });

  test("the request id header is the one clients quote", () => {
    expect(REQUEST_ID_HEADER).toBe("X-Request-Id");
  });
});

describe("SQL identifiers (one schema)", () => {
  test("lowercase identifiers of at most 63 characters pass; anything else names the value", () => {
    for (const ok of ["metrics", "_x1", "t_2026", "a".repeat(63)]) {
      expect({ ok, success: SqlIdentifier.safeParse(ok).success }).toEqual({ ok, success: true });
    }
    for (const bad of ["Metrics", "1a", "a-b", "a b", "", "x;drop", "é", "a".repeat(64)]) {
      expect({ bad, ok: SqlIdentifier.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
    expect(sqlIdentifier("metrics")).toBe("metrics");
    let err: unknown;
    try {
      sqlIdentifier("Bad-Name", "PEER_TABLE");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe("BAD_TABLE");
    const why = "must be a lowercase SQL identifier (a-z, 0-9, _; not starting with a digit)";
    expect((err as SluiceError).message).toBe(`PEER_TABLE ${why}, got "Bad-Name"`);
  });

  test("the identifier pattern is written once, not copied", () => {
    const copies = [...sources("src"), ...sources("bench")].filter((f) =>
      readFileSync(join(ROOT, f), "utf8").includes("[a-z_][a-z0-9_]*"),
    );
    expect(copies).toEqual(["src/db/identifier.ts"]);
  });
});
