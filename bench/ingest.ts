// `bun bench/ingest.ts [--metrics N] [--batch B] [--concurrency C]`: HTTP ingest (`POST /v1/metrics` through Bun's
// server and the hono app, validation included) against its baseline measured in the same run: the producer sending
// the same metrics straight to Kafka with the same batch size and concurrency. Both write to sandbox topics (no sink),
// so only the path to Kafka's acknowledgement is measured. Prints metrics/s and the ratio; writes
// bench/results/ingest-<timestamp>.json.
import PQueue from "p-queue";
import postgres from "postgres";
import { z } from "zod";
import { countFlag } from "../src/cli/command.ts";
import { kafkaSecurity } from "../src/config/kafka-security.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "../src/contract/index.ts";
import { pgTls } from "../src/db/tls.ts";
import { kafka } from "../src/kafka/client.ts";
import { createDevicePartitioner } from "../src/producer/partitioner.ts";
import { produce } from "../src/producer/send.ts";
import { metricAt, planRun } from "../src/producer/workload.ts";
import { connectClient } from "../src/provision.ts";
import { registerContract } from "../src/registry/register.ts";
import { createSandbox } from "../src/sandbox.ts";
import { createApp } from "../src/server/app.ts";
import { serverDeps } from "../src/server/runtime.ts";
import { connectUrl } from "../src/stack/connect.ts";
import type { StackContext } from "../src/stack/context.ts";
import { brokerAddresses } from "../src/stack/kafka.ts";
import { postgresUrl } from "../src/stack/postgres.ts";
import { registryUrl } from "../src/stack/registry.ts";
import { defineBench, writeFigures } from "./lib/bench.ts";

const options = { metrics: { type: "string" }, batch: { type: "string" }, concurrency: { type: "string" } } as const;
const schema = z.object({
  metrics: countFlag(200_000, 10_000_000),
  batch: countFlag(1000, 1000),
  concurrency: countFlag(8, 64),
});
type Flags = z.infer<typeof schema>;

async function run(flags: Flags, ctx: StackContext): Promise<void> {
  const { paths, log } = ctx;
  const sql = postgres(postgresUrl(ctx), { max: 2, onnotice: () => {}, ...pgTls(ctx.env) });
  const client = kafka(brokerAddresses(ctx), "sluice-bench-ingest", kafkaSecurity(ctx.env));
  const deps = { root: paths.root, sql, kafka: client, connect: connectClient(ctx) };
  const PARTITIONS = 6;
  const N = flags.metrics;
  const run = planRun({ seed: `bench-ingest-${Date.now()}`, count: N, devices: 1000, startMs: Date.UTC(2026, 0, 1) });
  const direct = await createSandbox(deps, "bench_ingest_direct", PARTITIONS);
  const http = await createSandbox(deps, "bench_ingest_http", PARTITIONS);

  try {
    // Baseline: the producer, same batches and concurrency, straight to Kafka.
    const producer = client.producer({ createPartitioner: createDevicePartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const schemaId = await registerContract(registryUrl(ctx), VALUE_SUBJECT, valueJsonSchema());
    const base = await produce({
      producer,
      topic: direct.topic,
      partitions: PARTITIONS,
      run,
      schemaId,
      batchSize: flags.batch,
      concurrency: flags.concurrency,
    });
    await producer.disconnect();
    log(`producer: ${Math.round(base.msgPerSec)} metrics/s`);

    // HTTP ingest through a real socket.
    const key = crypto.randomUUID();
    const server = serverDeps({
      brokers: brokerAddresses(ctx),
      kafkaSecurity: kafkaSecurity(ctx.env),
      connectUrl: connectUrl(ctx),
      registryUrl: registryUrl(ctx),
      postgresUrl: postgresUrl(ctx),
      apiKeys: [{ key, scopes: ["ingest"], legacy: false }],
      topic: http.topic,
      dlqTopic: http.dlq,
      connector: http.connector,
      table: http.table,
      limits: { maxInFlight: flags.concurrency },
    });
    const srv = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(server.deps).fetch });
    const url = `http://127.0.0.1:${srv.port}/v1/metrics`;
    const queue = new PQueue({ concurrency: flags.concurrency });
    const statuses = new Map<number, number>();
    const t0 = performance.now();
    for (let from = 0; from < N; from += flags.batch) {
      await queue.onSizeLessThan(flags.concurrency);
      const body = JSON.stringify({
        metrics: Array.from({ length: Math.min(flags.batch, N - from) }, (_, i) => metricAt(run, from + i)),
      });
      void queue.add(async () => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": key },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      });
    }
    await queue.onIdle();
    const ms = performance.now() - t0;
    await srv.stop(true);
    await server.close();
    const httpRate = (N * 1000) / ms;
    log(`HTTP ingest: ${Math.round(httpRate)} metrics/s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);

    const result = {
      metrics: N,
      batch: flags.batch,
      concurrency: flags.concurrency,
      producerPerSec: Math.round(base.msgPerSec),
      httpIngestPerSec: Math.round(httpRate),
      ratioToProducer: Math.round((httpRate / base.msgPerSec) * 100) / 100,
      statuses: Object.fromEntries(statuses),
    };
    console.log(JSON.stringify(result, null, 2));
    writeFigures(ctx.paths.root, "ingest", result);
  } finally {
    await direct.dispose({ topics: true });
    await http.dispose({ topics: true });
    await sql.end();
  }
}

/** `bun bench/main.ts ingest`. */
export const bench = defineBench({
  name: "ingest",
  summary: "HTTP ingest (POST /v1/metrics) against the producer straight to Kafka, same batches, same run",
  usage: "bun bench/main.ts ingest [--metrics N] [--batch B] [--concurrency C]   (npm run bench:ingest)",
  options,
  schema,
  run,
});
