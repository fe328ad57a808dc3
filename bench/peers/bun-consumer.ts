// Peer 1 of `npm run bench`: what a user might write instead of Kafka Connect — a Bun consumer (kafkajs) that
// upserts each batch with one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` and commits offsets after the
// write. Only for the benchmark, never on the main path. Configured by the bench through PEER_* variables.
import postgres from "postgres";
import { sqlIdentifier } from "../../src/db/identifier.ts";
import { kafka } from "../../src/kafka/client.ts";

const env = (k: string) => {
  const v = process.env[k];
  if (!v)
    throw new Error(`${k} is not set (the bench sets PEER_BROKERS, PEER_TOPIC, PEER_TABLE, PEER_GROUP, PEER_PG_URL)`);
  return v;
};
const table = sqlIdentifier(env("PEER_TABLE"), "PEER_TABLE");
const sql = postgres(env("PEER_PG_URL"), { max: 3, onnotice: () => {} });
const consumer = kafka(env("PEER_BROKERS").split(","), "bench-peer").consumer({
  groupId: env("PEER_GROUP"),
  maxBytesPerPartition: 4 << 20,
  maxBytes: 32 << 20,
});

interface Metric {
  device_id: string;
  published_at: number;
  metric_name: number;
  value: number;
  tags: string[];
}

/** A PostgreSQL array literal of one tag list: tags travel as one text per row, cast back to text[] in SQL. */
const tagLiteral = (tags: string[]) =>
  `{${tags.map((t) => `"${t.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;

async function upsert(rows: Metric[]) {
  // One key twice in a statement fails ("cannot affect row a second time"): the last one wins, as with Kafka order.
  const byKey = new Map<string, Metric>();
  for (const m of rows) byKey.set(`${m.device_id}|${m.published_at}|${m.metric_name}`, m);
  const ms = [...byKey.values()];
  await sql.unsafe(
    `insert into ${table} (device_id, published_at, metric_name, value, tags)
     select d, p, m, v, t::text[] from unnest($1::uuid[], $2::timestamptz[], $3::int2[], $4::float8[], $5::text[]) as u(d, p, m, v, t)
     on conflict (device_id, published_at, metric_name) do update set value = excluded.value, tags = excluded.tags`,
    [
      ms.map((m) => m.device_id),
      ms.map((m) => new Date(m.published_at).toISOString()),
      ms.map((m) => m.metric_name),
      ms.map((m) => m.value),
      ms.map((m) => tagLiteral(m.tags)),
    ],
  );
}

await consumer.connect();
await consumer.subscribe({ topic: env("PEER_TOPIC"), fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 3,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
    if (batch.messages.length === 0) return;
    await upsert(batch.messages.map((m) => JSON.parse(m.value!.toString()) as Metric));
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});

const stop = async () => {
  await consumer.disconnect().catch(() => {});
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
