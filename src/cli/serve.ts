import { join } from "node:path";
import { z } from "zod";
import { connectAuth, registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { readConnectorFile } from "../connect/desired.ts";
import { startHealer } from "../connect/healer.ts";
import { maintainerSession, maintainMetricsOnce } from "../db/maintainer.ts";
import { parseEvery, parseSpan } from "../db/span.ts";
import { pgTls } from "../db/tls.ts";
import { readE2e } from "../producer/e2e-publish.ts";
import { connectClient } from "../provision.ts";
import { createApp } from "../server/app.ts";
import type { Scope } from "../server/auth.ts";
import { startDlqReasons } from "../server/dlq-reasons.ts";
import { startHistory } from "../server/history-sampler.ts";
import { type MaintenanceSchedule, startMaintenance } from "../server/maintenance.ts";
import { redactor } from "../server/redact.ts";
import { serverDeps } from "../server/runtime.ts";
import { snapshotCache } from "../server/snapshot.ts";
import { taskPositionReader } from "../server/task-position.ts";
import { adminApiKeys } from "../stack/admin.ts";
import { workerNodes } from "../stack/cluster.ts";
import type { StackContext } from "../stack/component.ts";
import { connectUrl } from "../stack/connect.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { roleUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { readWatchState } from "../stack/watch-state.ts";
import { type Command, parseFlags } from "./command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the admin/ingest API, Prometheus metrics and the live dashboard (sluice up starts it)",
  usage: `sluice serve [--port P]

  --port P   port on SLUICE_HOST (default ADMIN_PORT, 3000)

Routes: GET /health, GET /ready, GET /metrics (Prometheus), POST /v1/metrics (ingest key), /v1/admin/* (admin key),
GET / (live dashboard), GET /openapi.json. Also restarts Connect tasks that failed on a transient cause (database or
broker away) with backoff, counted in sluice_healer_restarts_total. API keys (ingest:KEY, admin:KEY) come from
SLUICE_API_KEYS, SLUICE_API_KEY_FILE or <data dir>/secrets/{ingest,admin}-api-key (generated when none is configured).
PostgreSQL is read as the monitoring role sluice_monitor (POSTGRES_MONITOR_PASSWORD or its generated secret), never as
the superuser. Every METRICS_MAINTAIN_EVERY (default 60s, 0 = off) it runs one maintenance pass on \`metrics\`
(partitions, retention, rollups) as the role sluice_maintainer, under an advisory lock so two services never run it
at once. Runs until SIGINT/SIGTERM.`,
  async run(argv, { ctx, out, signal }) {
    const { flags } = parseFlags(
      "serve",
      argv,
      { port: { type: "string" } },
      z.object({ port: z.coerce.number().int().min(1).max(65535).optional() }),
    );
    const port = flags.port ?? ctx.env.ADMIN_PORT;
    const { keys, source } = adminApiKeys(ctx);
    const legacy = keys.filter((k) => k.legacy).length;
    if (legacy > 0) {
      ctx.log(
        `sluice serve: ${legacy} API key(s) in ${source} have no scope and keep both ingest and admin rights; ` +
          "write them as ingest:KEY or admin:KEY to give each client only what it needs",
      );
    }
    const connector = readConnectorFile(join(ctx.paths.root, "connectors", "metrics-sink.json")).name;
    const { deps, close } = serverDeps({
      brokers: brokerAddresses(ctx),
      kafkaSecurity: kafkaSecurity(ctx.env),
      connectAuth: connectAuth(ctx.env),
      registryAuth: registryAuth(ctx.env),
      postgresTls: pgTls(ctx.env),
      connectUrl: connectUrl(ctx),
      registryUrl: registryUrl(ctx),
      postgresUrl: roleUrl(ctx, "monitor"),
      apiKeys: keys,
      topic: ctx.env.METRICS_TOPIC,
      dlqTopic: ctx.env.DLQ_TOPIC,
      connector,
      table: "metrics",
    });
    // The tasks' real position, from the local workers' JMX exporters (not for a Connect elsewhere: CONNECT_URL).
    const positionLag = ctx.env.CONNECT_URL
      ? undefined
      : taskPositionReader(
          workerNodes(ctx.env).map((w) => `http://${ctx.env.SLUICE_HOST}:${w.jmxPort}/metrics`),
          connector,
          deps.topic,
        );
    // Self-healing: restart tasks that failed on a transient cause (database or broker away), with backoff.
    const healerRestarts = new Map<string, number>();
    const healer = startHealer(connectClient(ctx), {
      log: ctx.log,
      onRestart: (connector) => healerRestarts.set(connector, (healerRestarts.get(connector) ?? 0) + 1),
    });
    const schedule = startSchedule(ctx);
    const watchdog = () => readWatchState(ctx.paths.run);
    // One snapshot cache for the charts' sampler, the dashboards and Prometheus: the components are read once a second.
    const snapshot = snapshotCache({ ...deps, positionLag });
    const e2e = () => readE2e(ctx.paths.run, deps.topic, Date.now());
    const reasons = startDlqReasons({ kafka: deps.kafka, topic: deps.dlqTopic, everyMs: 10_000 });
    const history = startHistory({ snapshot, watchdog, e2e, dlqReasons: reasons.current, everyMs: 1000 });
    const app = createApp({
      ...deps,
      healerRestarts,
      maintenance: schedule?.state,
      watchdog,
      snapshot,
      history,
      positionLag,
      log: ctx.log,
    });
    // idleTimeout above the dashboard's 1 s updates, so an open event stream is never cut as idle.
    const server = Bun.serve({ hostname: ctx.env.SLUICE_HOST, port, fetch: app.fetch, idleTimeout: 60 });
    const count = (scope: Scope) => keys.filter((k) => k.scopes.includes(scope)).length;
    out(
      `sluice serve: http://${ctx.env.SLUICE_HOST}:${server.port} (topic ${deps.topic}, connector ${connector}, ` +
        `${count("ingest")} ingest and ${count("admin")} admin API key(s) from ${source})`,
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    healer.stop();
    history.stop();
    reasons.stop();
    await schedule?.stop();
    await server.stop(true);
    await close();
    return 0;
  },
};

/**
 * The maintenance schedule, when METRICS_MAINTAIN_EVERY is not 0: its own session as sluice_maintainer, passes
 * under the advisory lock, failures logged scrubbed of the URL's password.
 */
function startSchedule(ctx: StackContext): MaintenanceSchedule | undefined {
  const everyMs = parseEvery(ctx.env.METRICS_MAINTAIN_EVERY);
  if (everyMs === 0) return undefined;
  const url = roleUrl(ctx, "maintainer");
  const scrub = redactor([new URL(url).password]);
  const retention = ctx.env.METRICS_RETENTION;
  const plan = {
    interval: parseSpan(ctx.env.METRICS_PARTITION_INTERVAL),
    ahead: ctx.env.METRICS_PARTITIONS_AHEAD,
    retention: retention === "none" ? undefined : parseSpan(retention),
  };
  const sql = maintainerSession(url, pgTls(ctx.env));
  const schedule = startMaintenance({
    everyMs,
    pass: () => maintainMetricsOnce(sql, plan),
    log: (line) => ctx.log(scrub(line)),
  });
  return {
    state: schedule.state,
    async stop() {
      await schedule.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
