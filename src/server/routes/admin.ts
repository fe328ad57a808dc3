import { Hono } from "hono";
import { z } from "zod";
import { ApiError, type Env } from "../http-errors.ts";
import type { AppState } from "../state.ts";

const RestartQuery = z.object({
  includeTasks: z.enum(["true", "false"]).default("true"),
  onlyFailed: z.enum(["true", "false"]).default("false"),
});
const TaskId = z.coerce.number().int().min(0).max(10_000);
const PeekQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) });

/** `/v1/admin/connector…` (mounted at /v1/admin/connector): the sink connector's status and restarts. */
export function connectorRoutes(s: AppState) {
  const app = new Hono<Env>();
  const { connect, connector } = s.deps;

  app.get("/", async (c) => {
    const st = await connect.status(connector);
    if (!st) throw new ApiError("NOT_FOUND", `connector ${connector} does not exist; run \`sluice setup\``);
    // Connect's traces can echo resolved config values: kept for the operator, scrubbed of credentials.
    const trace = <T extends { trace?: string }>(x: T): T => (x.trace ? { ...x, trace: s.scrub(x.trace) } : x);
    return c.json({ ...st, connector: trace(st.connector), tasks: st.tasks.map(trace) });
  });

  app.post("/restart", async (c) => {
    const q = RestartQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError("INVALID_QUERY", z.prettifyError(q.error));
    const opts = { includeTasks: q.data.includeTasks === "true", onlyFailed: q.data.onlyFailed === "true" };
    const status = await connect.restartConnector(connector, opts);
    return c.json({ restarted: connector, status: status ?? null }, 202);
  });

  app.post("/tasks/:task/restart", async (c) => {
    const task = TaskId.safeParse(c.req.param("task"));
    if (!task.success) {
      throw new ApiError("INVALID_TASK", `task must be a task id (0, 1, …), got "${c.req.param("task")}"`);
    }
    await connect.restartTask(connector, task.data);
    return c.json({ restarted: connector, task: task.data }, 202);
  });
  return app;
}

/** `GET /v1/admin/dlq` (mounted there): the last records of the dead-letter topic. */
export function dlqRoutes(s: AppState) {
  const app = new Hono<Env>();
  app.get("/", async (c) => {
    const q = PeekQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError("INVALID_QUERY", `limit must be an integer from 1 to 100`);
    const records = await s.deps.kafka.peek(s.deps.dlqTopic, q.data.limit, 15_000);
    // The last `limit` over all partitions, oldest first.
    const byTime = records.sort(
      (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
    );
    return c.json({ topic: s.deps.dlqTopic, records: byTime.slice(-q.data.limit) });
  });
  return app;
}
