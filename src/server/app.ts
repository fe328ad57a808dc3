import { randomUUID } from "node:crypto";
import { type Context, Hono, type Next } from "hono";
import { keyId, keyMatcher, presentedKey, scopeOf } from "./auth.ts";
import type { ServerDeps } from "./deps.ts";
import { ApiError, type Env, errorAnswerer, REQUEST_ID_HEADER } from "./http-errors.ts";
import { openApiDocument } from "./openapi.ts";
import { connectorRoutes, dlqRoutes } from "./routes/admin.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { ingestRoutes } from "./routes/ingest.ts";
import { opsRoutes } from "./routes/ops.ts";
import { type AppState, appState } from "./state.ts";

export { REQUEST_ID_HEADER } from "./http-errors.ts";
export { pipelineView } from "./state.ts";

/** Every answer carries its request id, so a client can quote it and an operator find the log line. */
async function requestId(c: Context<Env>, next: Next) {
  c.set("requestId", randomUUID());
  c.header(REQUEST_ID_HEADER, c.get("requestId"));
  await next();
}

/**
 * API key on everything under /v1 except the read-only pipeline view the dashboard uses: no key or an unknown key is
 * 401 (not authenticated), a valid key without the route's scope is 403 (authenticated, not allowed).
 */
function requireScope(s: AppState) {
  const scopesOf = keyMatcher(s.deps.apiKeys);
  return async (c: Context<Env>, next: Next) => {
    if (c.req.path === "/v1/pipeline" || c.req.path === "/v1/pipeline/history") return next();
    const needed = scopeOf(c.req.path);
    const key = presentedKey(c.req.raw.headers);
    const granted = key ? scopesOf(key) : new Set();
    if (!key || granted.size === 0) {
      const why = key
        ? "the API key is not valid"
        : "this route needs an API key in the X-API-Key header (or Authorization: Bearer)";
      const headers = { "WWW-Authenticate": 'ApiKey header="X-API-Key"' };
      throw new ApiError("UNAUTHENTICATED", `${why}; ${c.req.path} needs a key with the ${needed} scope`, { headers });
    }
    if (!granted.has(needed)) {
      const has = [...granted].join(", ");
      const why = `this API key has the ${has} scope, not ${needed}; ${c.req.path} needs an ${needed} key`;
      throw new ApiError("FORBIDDEN", why);
    }
    c.set("keyId", keyId(key));
    return next();
  };
}

/** A known path asked with another method is 405 with the methods it has (RFC 9110), not 404. */
function notFound(s: AppState, answer: ReturnType<typeof errorAnswerer>) {
  const routes = [
    ...Object.entries(openApiDocument(s.limits).paths).map(([path, ops]) => ({
      re: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      allow: Object.keys(ops).map((m) => m.toUpperCase()),
    })),
    { re: /^\/$/, allow: ["GET"] },
    { re: /^\/events$/, allow: ["GET"] },
    { re: /^\/assets\/[^/]+$/, allow: ["GET"] },
  ];
  return (c: Context<Env>) => {
    const known = routes.find((r) => r.re.test(c.req.path));
    const path = c.req.path;
    if (!known) return answer(new ApiError("NOT_FOUND", `no route ${c.req.method} ${path}; see /openapi.json`), c);
    const allow = known.allow.includes("GET") ? [...known.allow, "HEAD"] : known.allow;
    const why = `${c.req.path} allows ${allow.join(", ")}, not ${c.req.method}`;
    return answer(new ApiError("METHOD_NOT_ALLOWED", why, { headers: { Allow: allow.join(", ") } }), c);
  };
}

/**
 * The admin/ingest service as a hono app, built only from `deps` (no sockets, no globals): tests call
 * `app.request()` on it, `sluice serve` hands `app.fetch` to Bun's server. Each area is a sub-app (src/server/routes)
 * mounted with `app.route()`; errors from all of them become answers in one place (src/server/http-errors.ts).
 */
export function createApp(deps: ServerDeps) {
  const s = appState(deps);
  const answer = errorAnswerer({ log: s.log, scrub: s.scrub, connector: deps.connector });
  const app = new Hono<Env>();
  app.onError(answer);
  app.notFound(notFound(s, answer));
  app.use("*", requestId);
  app.use("/v1/*", requireScope(s));
  app.route("/", opsRoutes(s));
  app.route("/", dashboardRoutes(s));
  app.route("/v1/metrics", ingestRoutes(s, answer));
  app.route("/v1/admin/connector", connectorRoutes(s));
  app.route("/v1/admin/dlq", dlqRoutes(s));
  return Object.assign(app, { metrics: s.metrics });
}

export type SluiceApp = ReturnType<typeof createApp>;
