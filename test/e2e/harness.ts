// Shared by the end-to-end tests: the running stack's context and isolated resources per test (own topic, table,
// connector and DLQ), so tests share one stack and never see each other's rows.
import { join } from "node:path";
import postgres from "postgres";
import { applyConnector } from "../../src/connect/apply.ts";
import { ConnectClient } from "../../src/connect/client.ts";
import { readConnectorFile, renderConnector, type ConnectorSpec } from "../../src/connect/desired.ts";
import { parseEnv } from "../../src/config/env.ts";
import { kafka } from "../../src/kafka/client.ts";
import { ensureTopics } from "../../src/kafka/topics.ts";
import type { StackContext } from "../../src/stack/component.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { bootstrap } from "../../src/stack/kafka.ts";
import { stackPaths } from "../../src/stack/paths.ts";
import { postgresUrl } from "../../src/stack/postgres.ts";
import { registryUrl } from "../../src/stack/registry.ts";
import { readVersions } from "../../src/stack/versions.ts";

const env = parseEnv(process.env);
const paths = stackPaths(env);
export const ctx: StackContext = { env, paths, versions: readVersions(paths.root), log: () => {}, childEnv: {} };
export const connect = new ConnectClient(connectUrl(ctx));
export const brokers = [bootstrap(ctx)];
export const registry = registryUrl(ctx);
export const sql = postgres(postgresUrl(ctx), { max: 4, onnotice: () => {} });
export const client = kafka(brokers, "sluice-test");

export interface Sandbox {
  readonly id: string;
  readonly topic: string;
  readonly dlq: string;
  readonly table: string;
  readonly connector: string;
  /** Applies a sink connector (from connectors/metrics-sink.json) reading `topic` into `table`; waits for RUNNING. */
  applySink(name?: string, overrides?: Record<string, string>): Promise<ConnectorSpec>;
  dispose(): Promise<void>;
}

/** A topic, a DLQ, a table shaped like `metrics`, and connector names, all unique to one test. */
export async function sandbox(label: string, partitions = 3): Promise<Sandbox> {
  const id = `${label}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const topic = `t.${id}`;
  const dlq = `t.${id}.dlq`;
  const table = `t_${id}`;
  const connector = `t-${id}`;
  const names: string[] = [];
  await sql.unsafe(`create table ${table} (like metrics including all)`);
  const admin = client.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic, numPartitions: partitions },
    { topic: dlq, numPartitions: 1 },
  ]);
  await admin.disconnect();
  const base = readConnectorFile(join(paths.root, "connectors", "metrics-sink.json"));
  return {
    id,
    topic,
    dlq,
    table,
    connector,
    async applySink(name = connector, overrides = {}) {
      const spec = renderConnector(
        base,
        { topics: topic, "collection.name.format": table, "errors.deadletterqueue.topic.name": dlq, "tasks.max": "1", ...overrides },
        name,
      );
      names.push(name);
      await applyConnector(connect, spec, 90_000);
      return spec;
    },
    async dispose() {
      for (const n of names) await connect.delete(n);
      await sql.unsafe(`drop table if exists ${table}`);
    },
  };
}

/** Polls until `check` is true (or fails after `timeoutMs` with `what`). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for: ${what}`);
}

export async function rowCount(table: string): Promise<number> {
  const [r] = await sql.unsafe(`select count(*)::int as n from ${table}`);
  return r!.n as number;
}
