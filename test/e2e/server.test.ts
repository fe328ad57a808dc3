// The admin/ingest app against the real stack, on a sandbox topic/table/connector: what HTTP ingest writes lands as
// rows, refused batches write nothing, keys, their scopes and sizes are enforced, an unreachable Kafka answers 503 at
// once, and /metrics shows the pipeline (lag included) in valid Prometheus text. The app reads PostgreSQL as the
// monitoring role, as the real service does, and the service `sluice up` started is checked to log in as it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import postgres from "postgres";
import { ROLES } from "../../src/db/roles.ts";
import { SCHEMA_ID_HEADER } from "../../src/producer/send.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { createApp } from "../../src/server/app.ts";
import type { ApiKey } from "../../src/server/auth.ts";
import { SERVER_APPLICATION_NAME, serverDeps } from "../../src/server/runtime.ts";
import { sinkGroup } from "../../src/server/snapshot.ts";
import { adminApiKeys, adminUrl } from "../../src/stack/admin.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { brokers, client, ctx, eventually, registry, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

const KEY = `e2e-${crypto.randomUUID()}`;
const ADMIN_KEY = `e2e-admin-${crypto.randomUUID()}`;
const KEYS: ApiKey[] = [
  { key: KEY, scopes: ["ingest"], legacy: false },
  { key: ADMIN_KEY, scopes: ["admin"], legacy: false },
];
let box: Sandbox;
let real: ReturnType<typeof serverDeps>;
let app: ReturnType<typeof createApp>;
const admin = client.admin();

const N = 200;
const run = planRun({ seed: `server-${Date.now()}`, count: N, devices: 20, startMs: Date.UTC(2026, 4, 1, 12) });
const metrics = Array.from({ length: N }, (_, k) => metricAt(run, k));

const post = (a: typeof app, body: unknown, headers: Record<string, string> = { "x-api-key": KEY }) =>
  a.request("/v1/metrics", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const endOffsets = async (topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string> }[] };
async function scrape(a: typeof app): Promise<Map<string, Family>> {
  const res = await a.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const families = parsePrometheusTextFormat(await res.text()) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}
const sum = (f: Family | undefined) => (f?.metrics ?? []).reduce((n, m) => n + Number(m.value), 0);

beforeAll(async () => {
  box = await sandbox("server");
  await admin.connect();
  real = serverDeps({
    brokers,
    connectUrl: connectUrl(ctx),
    registryUrl: registry,
    postgresUrl: roleUrl(ctx, "monitor"),
    apiKeys: KEYS,
    topic: box.topic,
    dlqTopic: box.dlq,
    connector: box.connector,
    table: box.table,
  });
  app = createApp(real.deps);
});

afterAll(async () => {
  await real?.close();
  await box?.dispose({ topics: true });
  // Best effort: the sink's group may keep its member a few seconds after the connector is deleted.
  await admin.deleteGroups([sinkGroup(box.connector)]).catch(() => {});
  await admin.disconnect();
});

describe("HTTP ingest on a sandbox topic", () => {
  test("no key or a wrong key → 401, an admin key → 403, oversize → 413; nothing reaches the topic", async () => {
    expect((await post(app, { metrics }, {})).status).toBe(401);
    expect((await post(app, { metrics }, { "x-api-key": "not-the-key" })).status).toBe(401);
    expect((await post(app, { metrics }, { "x-api-key": ADMIN_KEY })).status).toBe(403);
    const big = {
      metrics: Array.from({ length: 1000 }, (_, i) => ({
        ...metrics[0]!,
        tags: Array.from({ length: 16 }, () => `t${i}`.padEnd(64, "x")),
      })),
    };
    const res = await post(app, big);
    expect(res.status).toBe(413);
    expect(await endOffsets(box.topic)).toBe(0);
  });

  test("a batch with one bad item → 400 naming index and field, and nothing is written", async () => {
    const bad = metrics.slice(0, 10).map((m, i) => (i === 7 ? { ...m, published_at: -5 } : m));
    const res = await post(app, { metrics: bad });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { index: number; field: string; message: string }[] };
    expect(body.errors.map((e) => [e.index, e.field])).toEqual([[7, "published_at"]]);
    expect(await endOffsets(box.topic)).toBe(0);
  });

  test("a valid batch → 202 once Kafka acknowledged; the producer's encoding, partitions and schema-id header", async () => {
    const res = await post(app, { metrics }, { "x-api-key": KEY, "idempotency-key": `batch-${run.seed}` });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: N, topic: box.topic });
    expect(await endOffsets(box.topic)).toBe(N);
    // The retry of the same request is answered from memory and not re-sent.
    const retry = await post(app, { metrics }, { "x-api-key": KEY, "idempotency-key": `batch-${run.seed}` });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotency-replayed")).toBe("true");
    expect(await endOffsets(box.topic)).toBe(N);
    // Every message carries the registry's schema id, like the CLI producer's.
    const peek = await real.deps.kafka.peek(box.topic, 1, 20_000);
    // The newest record of each partition that holds any.
    const filled = (await admin.fetchTopicOffsets(box.topic)).filter((o) => Number(o.high) > 0).length;
    expect(peek.length).toBe(filled);
    const id = String(await real.deps.registry.schemaId());
    expect(peek.map((p) => p.headers[SCHEMA_ID_HEADER])).toEqual(Array<string>(filled).fill(id));
  });

  test("/metrics is valid Prometheus text and shows the connector's lag per partition before the sink runs", async () => {
    const m = await scrape(app);
    const lag = m.get("sluice_connector_consumer_lag_messages");
    expect(lag?.type).toBe("GAUGE");
    expect(lag!.metrics.length).toBe(3);
    expect(sum(lag)).toBe(N);
    expect(sum(m.get("sluice_kafka_topic_end_offset"))).toBe(N);
    const ingested = m.get("sluice_ingest_metrics_total")!.metrics.find((x) => x.labels?.outcome === "accepted");
    expect(Number(ingested?.value)).toBe(N);
    expect(m.get("sluice_ingest_request_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(m.has("process_cpu_seconds_total")).toBe(true);
    expect(m.get("sluice_dlq_depth_messages")?.metrics[0]?.value).toBe("0");
  });

  test("the rows land in PostgreSQL; lag drops to 0 and the connector reads RUNNING in /metrics and /ready", async () => {
    await box.applySink();
    await eventually("every ingested metric is a row", async () => (await rowCount(box.table)) === N, 60_000);
    const rows = await sql.unsafe(
      `select device_id, metric_name, (extract(epoch from published_at) * 1000)::bigint as ms, value from ${box.table}`,
    );
    const want = new Map(metrics.map((x) => [`${x.device_id}/${x.metric_name}/${x.published_at}`, x.value]));
    for (const r of rows) expect(r.value).toBe(want.get(`${r.device_id}/${r.metric_name}/${Number(r.ms)}`)!);
    let m = await scrape(app);
    // PostgreSQL flushes its row statistics about once a second, and the snapshot is shared for 1 s.
    await eventually(
      "lag 0 and the rows counted in /metrics",
      async () => {
        m = await scrape(app);
        return (
          sum(m.get("sluice_connector_consumer_lag_messages")) === 0 &&
          sum(m.get("sluice_postgres_rows_written_total")) >= N
        );
      },
      30_000,
    );
    expect(m.get("sluice_postgres_rows_written_total")!.metrics[0]!.labels).toEqual({ table: box.table });
    const state = m.get("sluice_connector_state")!.metrics.find((x) => x.labels?.state === "RUNNING");
    expect(state?.value).toBe("1");
    const ready = await app.request("/ready");
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
  });

  test("admin: connector status, restart behind an admin key, DLQ peek with error headers; the ingest key reaches none", async () => {
    const h = { "x-api-key": ADMIN_KEY };
    const status = await app.request("/v1/admin/connector", { headers: h });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { name: string }).name).toBe(box.connector);
    expect((await app.request("/v1/admin/connector/restart", { method: "POST" })).status).toBe(401);
    const ingestKey = { "x-api-key": KEY };
    expect((await app.request("/v1/admin/connector", { headers: ingestKey })).status).toBe(403);
    expect((await app.request("/v1/admin/connector/restart", { method: "POST", headers: ingestKey })).status).toBe(403);
    expect(
      (await app.request("/v1/admin/connector/tasks/0/restart", { method: "POST", headers: ingestKey })).status,
    ).toBe(403);
    const restart = await app.request("/v1/admin/connector/restart?includeTasks=true", { method: "POST", headers: h });
    expect(restart.status).toBe(202);
    // A record as Connect writes it to the DLQ, with its error context headers.
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: box.dlq,
      messages: [
        {
          key: "k",
          value: "not json",
          headers: {
            "__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException",
            "__connect.errors.stage": "VALUE_CONVERTER",
          },
        },
      ],
    });
    await producer.disconnect();
    expect((await app.request("/v1/admin/dlq?limit=5", { headers: ingestKey })).status).toBe(403);
    const dlq = await app.request("/v1/admin/dlq?limit=5", { headers: h });
    expect(dlq.status).toBe(200);
    const body = (await dlq.json()) as { records: { value: string; headers: Record<string, string> }[] };
    expect(body.records.length).toBe(1);
    expect(body.records[0]!.value).toBe("not json");
    expect(body.records[0]!.headers["__connect.errors.stage"]).toBe("VALUE_CONVERTER");
    expect((await app.request("/v1/admin/dlq?limit=0", { headers: h })).status).toBe(400);
  });
});

describe("Kafka unreachable", () => {
  test("an app pointed at a closed loopback port answers 503 with Retry-After quickly, and /ready says why", async () => {
    // A port that was free a moment ago and that nothing listens on now.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dead = serverDeps({
      brokers: [`127.0.0.1:${port}`],
      connectUrl: connectUrl(ctx),
      registryUrl: registry,
      postgresUrl: roleUrl(ctx, "monitor"),
      apiKeys: KEYS,
      topic: box.topic,
      dlqTopic: box.dlq,
      connector: box.connector,
      table: box.table,
    });
    try {
      const deadApp = createApp(dead.deps);
      // No hang: the gateway's short connection timeout and the send timeout (5 s) bound the answer; this test's own
      // 15 s limit (below) fails it if the request waits for kafkajs' default retries (about 30 s).
      const res = await post(deadApp, { metrics: metrics.slice(0, 5) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const ready = await deadApp.request("/ready");
      expect(ready.status).toBe(503);
      const r = (await ready.json()) as { components: Record<string, { ok: boolean }> };
      expect(r.components.kafka!.ok).toBe(false);
      expect(r.components.postgres!.ok).toBe(true);
    } finally {
      await dead.close();
    }
  }, 15_000);
});

describe("the admin service's database login", () => {
  test("the service `sluice up` started reads PostgreSQL as sluice_monitor, never as the superuser", async () => {
    // Each /ready runs the postgres check (cached for a second), so the service's session exists right after.
    const { keys } = adminApiKeys(ctx);
    expect(keys.map((k) => k.scopes)).toEqual([["ingest"], ["admin"]]);
    const ready = await fetch(`${adminUrl(ctx)}/ready`);
    expect([200, 503]).toContain(ready.status);
    const sessions =
      await sql`select distinct usename from pg_stat_activity where application_name = ${SERVER_APPLICATION_NAME}
                                  and pid <> pg_backend_pid() and usename is not null`;
    // This file's own apps log in as the monitor too, so every session of the name is the monitor's.
    expect(sessions.map((r) => r.usename)).toEqual([ROLES.monitor]);
    // The generated keys work on their own scopes only, on the real service.
    const [ingest, adminKey] = keys.map((k) => ({ "x-api-key": k.key }));
    expect((await fetch(`${adminUrl(ctx)}/v1/admin/connector`, { headers: ingest })).status).toBe(403);
    expect((await fetch(`${adminUrl(ctx)}/v1/admin/connector`, { headers: adminKey })).status).toBe(200);
  });

  test("sluice_monitor reads the row counters of every table but no row, and writes nothing", async () => {
    const monitor = postgres(roleUrl(ctx, "monitor"), { max: 1, onnotice: () => {} });
    const denied = (q: string) =>
      monitor.unsafe(q).then(
        () => "allowed",
        (e: { code?: string }) => e.code,
      );
    try {
      await sql.unsafe(`insert into ${box.table} (device_id, published_at, metric_name, value, tags)
                        values ('00000000-0000-4000-8000-000000000001', now(), 1, 1, '{}') on conflict do nothing`);
      // The counters as the superuser sees them, read around the monitor's own reading (they flush about once a second).
      const counted = async (db: typeof sql) => {
        const [r] = await db`select coalesce(sum(n_tup_ins + n_tup_upd), 0)::bigint as n from pg_stat_user_tables
                               where relid = ${box.table}::regclass`;
        return Number(r!.n);
      };
      await eventually(
        "the monitor reads the same row counters as the superuser",
        async () => {
          const [before, seen, after] = [await counted(sql), await counted(monitor), await counted(sql)];
          return seen > 0 && seen === before && seen === after;
        },
        15_000,
      );
      expect(await denied(`select * from ${box.table} limit 1`)).toBe("42501");
      expect(await denied(`select * from metrics limit 1`)).toBe("42501");
      expect(await denied(`select * from metrics_rollup_1m limit 1`)).toBe("42501");
      expect(await denied(`delete from ${box.table} where false`)).toBe("42501");
      expect(await denied(`create table t_monitor_may_not (x int)`)).toBe("42501");
      // No pg_read_all_stats: other sessions' query texts stay hidden.
      // (This file's superuser connection is open, so there is at least one such session.)
      const others =
        await monitor`select distinct query from pg_stat_activity where usename = ${ctx.env.POSTGRES_USER}`;
      expect(others.map((t) => t.query)).toEqual(["<insufficient privilege>"]);
    } finally {
      await monitor.end({ timeout: 5 });
    }
  });
});
