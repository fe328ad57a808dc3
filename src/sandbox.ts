import { join } from "node:path";
import type { Kafka } from "kafkajs";
import type { Sql } from "postgres";
import { applyConnector } from "./connect/apply.ts";
import type { ConnectClient } from "./connect/client.ts";
import { type ConnectorSpec, readConnectorFile, renderConnector } from "./connect/desired.ts";
import { grantSinkOn } from "./db/roles.ts";
import { ensureTopics } from "./kafka/topics.ts";

/**
 * An isolated copy of the pipeline on the shared stack: its own topic, DLQ, table (shaped like `metrics`) and
 * connector names. Tests and benchmarks use it so they share one stack and never see each other's rows.
 */
export interface Sandbox {
  readonly id: string;
  readonly topic: string;
  readonly dlq: string;
  readonly table: string;
  readonly connector: string;
  /** The sink of connectors/metrics-sink.json reading `topic` into `table`, rendered (not applied). */
  sinkSpec(name?: string, overrides?: Record<string, string>): ConnectorSpec;
  /** Applies {@link sinkSpec}; waits until RUNNING. */
  applySink(name?: string, overrides?: Record<string, string>): Promise<ConnectorSpec>;
  /** Deletes this connector with the sandbox (one applied some other way, e.g. by a contract rollout). */
  own(connector: string): void;
  /** Deletes the connectors it applied, the table and (with `topics`) the topics. */
  dispose(opts?: { topics?: boolean }): Promise<void>;
}

/** Replication of a sandbox's topics (the stack's: src/provision.ts topicReplication); one copy when undefined. */
export interface SandboxReplication {
  readonly replicationFactor: number;
  readonly minInsyncReplicas?: number;
}

export async function createSandbox(
  deps: { root: string; sql: Sql; kafka: Kafka; connect: ConnectClient; replication?: SandboxReplication },
  label: string,
  partitions = 3,
): Promise<Sandbox> {
  const { sql, kafka, connect } = deps;
  const id = `${label}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const topic = `t.${id}`;
  const dlq = `t.${id}.dlq`;
  const table = `t_${id}`;
  const connector = `t-${id}`;
  const applied: string[] = [];
  await sql.unsafe(`create table ${table} (like metrics including all)`);
  // The worker logs in as the sink role, which has rights only on what it is granted (src/db/roles.ts).
  await grantSinkOn(sql, table);
  // Right after a broker restart, metadata can lag ("does not host this topic-partition"): retry a few times.
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const r = deps.replication;
      const replicated = {
        replicationFactor: r?.replicationFactor ?? 1,
        configEntries: r?.minInsyncReplicas
          ? [{ name: "min.insync.replicas", value: String(r.minInsyncReplicas) }]
          : [],
      };
      await ensureTopics(admin, [
        { topic, numPartitions: partitions, ...replicated },
        { topic: dlq, numPartitions: 1, ...replicated },
      ]);
      break;
    } catch (e) {
      if (attempt >= 10 || !(e as { retriable?: boolean }).retriable) throw e;
      await Bun.sleep(1000);
    } finally {
      await admin.disconnect();
    }
  }
  const base = readConnectorFile(join(deps.root, "connectors", "metrics-sink.json"));
  const sinkSpec = (name = connector, overrides: Record<string, string> = {}) =>
    renderConnector(
      base,
      { topics: topic, "collection.name.format": table, "errors.deadletterqueue.topic.name": dlq, ...overrides },
      name,
    );
  return {
    id,
    topic,
    dlq,
    table,
    connector,
    sinkSpec,
    async applySink(name = connector, overrides = {}) {
      const spec = sinkSpec(name, overrides);
      applied.push(name);
      await applyConnector(connect, spec, 90_000);
      return spec;
    },
    own: (name) => void applied.push(name),
    async dispose(opts = {}) {
      for (const n of applied) await connect.delete(n);
      await sql.unsafe(`drop table if exists ${table}`);
      if (opts.topics) {
        const a = kafka.admin();
        await a.connect();
        await a.deleteTopics({ topics: [topic, dlq] }).finally(() => a.disconnect());
      }
    },
  };
}
