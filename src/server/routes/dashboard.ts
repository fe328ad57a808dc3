import { Hono } from "hono";
import { dashboardHtml } from "../dashboard.ts";
import { eventStream } from "../events.ts";
import { ApiError, type Env } from "../http-errors.ts";
import { type AppState, pipelineView } from "../state.ts";

/** Defaults of the event streams (see ServerDeps). */
const MAX_EVENT_STREAMS = 32;
const EVENT_STALL_MS = 15_000;

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
  app.get("/v1/pipeline", async (c) => c.json(await publicView()));

  // Bounded: at most maxStreams open streams, each holding at most one event (src/server/events.ts).
  app.get("/events", (c) => {
    if (streams >= maxStreams) {
      const why = `${streams} event streams are open, the most this server serves; retry after Retry-After`;
      throw new ApiError("TOO_MANY_STREAMS", why);
    }
    streams++;
    const body = eventStream({
      next: async () => ({ event: "pipeline", data: JSON.stringify(await publicView()) }),
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
