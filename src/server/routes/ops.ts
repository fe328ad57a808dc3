import { Hono } from "hono";
import type { Env } from "../http-errors.ts";
import { openApiDocument } from "../openapi.ts";
import type { AppState } from "../state.ts";

/** Unauthenticated operations routes: `/health`, `/ready`, `/metrics`, `/openapi.json`. */
export function opsRoutes(s: AppState) {
  const app = new Hono<Env>();
  app.get("/health", (c) => c.json({ status: "ok", uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000) }));

  app.get("/ready", async (c) => {
    const r = await s.ready();
    // Unauthenticated: a failing check's detail (e.g. the first line of a task's trace) is scrubbed of credentials.
    const components = Object.fromEntries(
      Object.entries(r.components).map(([k, v]) => [k, v.detail ? { ...v, detail: s.scrub(v.detail) } : v]),
    );
    return c.json({ ...r, components }, r.ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    const text = await s.metrics.registry.metrics();
    return c.body(text, 200, { "content-type": s.metrics.registry.contentType });
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument(s.limits)));
  return app;
}
