// HTTP ingest meets devices where they are: `published_at` as epoch milliseconds or as an RFC 3339 time with an
// offset lands as the same instant in PostgreSQL; a time without an offset, or finer than a millisecond, is refused
// with the field named and nothing written. Gzip bodies are read, held to the plain body's size once decompressed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { createApp } from "../../src/server/app.ts";
import { serverDeps } from "../../src/server/runtime.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { brokers, client, ctx, eventually, registry, rowCount, type Sandbox, sandbox, sql } from "./harness.ts";

const KEY = `e2e-${crypto.randomUUID()}`;
let box: Sandbox;
let real: ReturnType<typeof serverDeps>;
let app: ReturnType<typeof createApp>;
const admin = client.admin();
const run = planRun({ seed: `ingest-time-${Date.now()}`, count: 4, devices: 4, startMs: Date.UTC(2026, 4, 1, 12) });
const [a, b, c, d] = Array.from({ length: 4 }, (_, k) => metricAt(run, k));

const post = (body: unknown) =>
  app.request("/v1/metrics", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify(body),
  });
const postRaw = (body: Uint8Array | string, encoding: string) =>
  app.request("/v1/metrics", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": encoding, "x-api-key": KEY },
    body,
  });
const endOffsets = async () => (await admin.fetchTopicOffsets(box.topic)).reduce((n, o) => n + Number(o.high), 0);

beforeAll(async () => {
  box = await sandbox("ingtime");
  await admin.connect();
  real = serverDeps({
    brokers,
    connectUrl: connectUrl(ctx),
    registryUrl: registry,
    postgresUrl: roleUrl(ctx, "monitor"),
    apiKeys: [{ key: KEY, scopes: ["ingest"], legacy: false }],
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
  await admin.disconnect();
});

describe("published_at over HTTP", () => {
  test("a time without an offset or finer than a millisecond → 400 naming item and field; nothing is written", async () => {
    const res = await post({
      metrics: [
        { ...a, published_at: "2026-05-01T12:00:00" },
        b,
        { ...c, published_at: "2026-05-01T12:00:00.000001Z" },
      ],
    });
    expect(res.status).toBe(400);
    const { errors } = (await res.json()) as { errors: { index: number; field: string; message: string }[] };
    expect(errors.map((e) => [e.index, e.field])).toEqual([
      [0, "published_at"],
      [2, "published_at"],
    ]);
    expect(errors[0]!.message).toContain("no offset");
    expect(errors[1]!.message).toContain("finer than a millisecond");
    expect(await endOffsets()).toBe(0);
  });

  test("epoch ms, Z, +02:00 and -05:30 land as the same instants they name", async () => {
    const at = (m: typeof a) => new Date(m!.published_at);
    const iso = (m: typeof a, offsetMin: number) => {
      const local = new Date(at(m).getTime() + offsetMin * 60_000).toISOString().slice(0, 23);
      const sign = offsetMin < 0 ? "-" : "+";
      const abs = Math.abs(offsetMin);
      const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
      return `${local}${sign}${hhmm}`;
    };
    const sent = [
      a,
      { ...b, published_at: at(b).toISOString() },
      { ...c, published_at: iso(c, 120) },
      { ...d, published_at: iso(d, -330) },
    ];
    expect((await post({ metrics: sent })).status).toBe(202);
    await box.applySink();
    await eventually("4 rows", async () => (await rowCount(box.table)) === 4);
    const rows = await sql.unsafe(
      `select device_id::text as id, (extract(epoch from published_at) * 1000)::bigint as ms from ${box.table}`,
    );
    const stored = new Map(rows.map((r) => [r.id as string, Number(r.ms)]));
    for (const m of [a, b, c, d]) expect(stored.get(m!.device_id)).toBe(m!.published_at);
  });
});

describe("gzip bodies", () => {
  test("refused: an unknown encoding (415), broken gzip (400), a bomb past the limit (413); nothing is written", async () => {
    const before = await endOffsets();
    expect((await postRaw(JSON.stringify({ metrics: [a] }), "br")).status).toBe(415);
    const broken = await postRaw(JSON.stringify({ metrics: [a] }), "gzip");
    expect(broken.status).toBe(400);
    expect(JSON.stringify(await broken.json())).toContain("not valid gzip");
    const bomb = Bun.gzipSync(`{"metrics": [${" ".repeat(4 * 1024 * 1024)}]}`);
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const big = await postRaw(bomb, "gzip");
    expect(big.status).toBe(413);
    expect(JSON.stringify(await big.json())).toContain("decompresses to more than");
    expect(await endOffsets()).toBe(before);
  });

  test("a gzip body is accepted and its rows land", async () => {
    const e = metricAt(planRun({ seed: `${run.seed}-gz`, count: 1, devices: 1, startMs: Date.UTC(2026, 4, 2) }), 0);
    const res = await postRaw(
      Bun.gzipSync(JSON.stringify({ metrics: [{ ...e, published_at: "2026-05-02T00:00:00Z" }] })),
      "gzip",
    );
    expect(res.status).toBe(202);
    await box.applySink();
    await eventually(
      "the gzip row",
      async () => (await sql.unsafe(`select 1 from ${box.table} where device_id = '${e.device_id}'`)).length === 1,
    );
  });
});
