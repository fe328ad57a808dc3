import { Hono } from "hono";
import { asset } from "../assets.ts";
import { dashboardHtml } from "../dashboard.ts";
import { eventStream } from "../events.ts";
import { ApiError, type Env } from "../http-errors.ts";
import { type AppState, pipelineView } from "../state.ts";

/** Defaults of the event streams (see ServerDeps). */
const MAX_EVENT_STREAMS = 32;
const EVENT_STALL_MS = 15_000;

/** The `since` query parameter: epoch ms, or undefined when absent. */
function sinceOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new ApiError("INVALID_QUERY", `since must be epoch milliseconds (digits), got "${raw}"`);
  return Number(raw);
}

/** The dashboard page, the read-only pipeline view it uses (`/v1/pipeline`, no key) and its event stream. */
export function dashboardRoutes(s: AppState) {
  const app = new Hono<Env>();
  const maxStreams = s.deps.maxEventStreams ?? MAX_EVENT_STREAMS;
  let streams = 0;

  /** The pipeline view as the public routes show it: source errors scrubbed of credentials. */
  const publicView = async () => {
    const v = pipelineView(await s.snapshot(), s.ingestAccepted);
    return { ...v, errors: Object.fromEntries(Object.entries(v.errors).map(([k, m]) => [k, s.scrub(m)])) };
  };

  app.get("/", (c) => c.html(dashboardHtml()));
  app.get("/assets/:name", (c) => {
    const a = asset(c.req.param("name"));
    if (!a)
      throw new ApiError(
        "NOT_FOUND",
        `no asset ${c.req.param("name")}; the dashboard uses uplot.iife.min.js and uplot.min.css`,
      );
    return c.body(a.body, 200, { "Content-Type": a.type, "Cache-Control": "public, max-age=3600" });
  });
  app.get("/v1/pipeline", async (c) => c.json(await publicView()));
  app.get("/v1/pipeline/history", (c) => {
    const since = sinceOf(c.req.query("since"));
    const h = s.deps.history;
    return c.json({ everyMs: h?.everyMs ?? 0, windowMs: h?.windowMs ?? 0, points: h?.points(since) ?? [] });
  });

  // Bounded: at most maxStreams open streams, each holding at most one event (src/server/events.ts).
  app.get("/events", (c) => {
    if (streams >= maxStreams) {
      const why = `${streams} event streams are open, the most this server serves; retry after Retry-After`;
      throw new ApiError("TOO_MANY_STREAMS", why);
    }
    // Each event also carries the history points sampled since the last one this client got (or since `since`).
    let since = sinceOf(c.req.query("since")) ?? Date.now();
    streams++;
    const body = eventStream({
      next: async () => {
        const points = s.deps.history?.points(since) ?? [];
        if (points.length > 0) since = points[points.length - 1]!.at;
        return { event: "pipeline", data: JSON.stringify({ ...(await publicView()), points }) };
      },
      intervalMs: s.deps.streamIntervalMs ?? 1000,
      stallMs: s.deps.eventStallMs ?? EVENT_STALL_MS,
      onClose: () => streams--,
    });
    return c.body(body, 200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
    });
  });
  return app;
}
