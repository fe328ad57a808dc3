// Shared by the end-to-end tests: the running stack's context and isolated resources per test (own topic, table,
// connector and DLQ), so tests share one stack and never see each other's rows.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KafkaMessage } from "kafkajs";
import postgres from "postgres";
import { assertExact, roundTrip } from "../../src/audit/round-trip.ts";
import { ConnectClient } from "../../src/connect/client.ts";
import { kafka } from "../../src/kafka/client.ts";
import { produceRun } from "../../src/producer/session.ts";
import type { Run } from "../../src/producer/workload.ts";
import { topicReplication } from "../../src/provision.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { createStackContext } from "../../src/stack/context.ts";
import { brokerAddresses } from "../../src/stack/kafka.ts";
import { postgresUrl } from "../../src/stack/postgres.ts";
import { registryUrl } from "../../src/stack/registry.ts";

export type { Sandbox };

export const ctx = createStackContext(process.env);
const paths = ctx.paths;
export const connect = new ConnectClient(connectUrl(ctx));
export const brokers = brokerAddresses(ctx);
export const registry = registryUrl(ctx);
export const sql = postgres(postgresUrl(ctx), { max: 4, onnotice: () => {} });
export const client = kafka(brokers, "sluice-test");

/** A sandbox (own topic, DLQ, table, connector names) on the shared stack; one task, so order within a test is simple. */
export function sandbox(label: string, partitions = 3): Promise<Sandbox> {
  const replication = topicReplication(ctx.env);
  return createSandbox({ root: paths.root, sql, kafka: client, connect, replication }, label, partitions).then(
    (box) => ({
      ...box,
      sinkSpec: (name?: string, overrides: Record<string, string> = {}) =>
        box.sinkSpec(name, { "tasks.max": "1", ...overrides }),
      applySink: (name?: string, overrides: Record<string, string> = {}) =>
        box.applySink(name, { "tasks.max": "1", ...overrides }),
    }),
  );
}

/** Produces `run` into the box's topic; waits until every row landed exactly as sent (its sink must run). */
export async function deliver(box: Sandbox, run: Run, sample = 500): Promise<void> {
  const produce = () => produceRun({ brokers, registryUrl: registry, topic: box.topic }, run);
  assertExact(box.table, run, await roundTrip({ sql, table: box.table, run, sample, stallMs: 60_000, produce }));
}

/** A TCP port free on loopback right now (for a process a test starts itself). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

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

/** Reads `topic` from the beginning with a fresh group until `expected` messages arrived (or fails after 60 s). */
export async function readAll(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer = client.consumer({ groupId: `read-${topic}-${Date.now()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  await eventually(`${expected} messages in ${topic}`, async () => got.length >= expected, 60_000);
  await consumer.disconnect();
  return got;
}

/**
 * A stack of its own beside the test stack, driven through the CLI a user runs: its own data dir and ports
 * `<prefix>092`, `<prefix>093` (Kafka, controller), `<prefix>081` (registry), `<prefix>383`/`<prefix>384` (Connect, JMX),
 * `<prefix>432` (PostgreSQL), `<prefix>300` (admin), plus `extra` settings. `remove()` stops it and deletes the dir.
 * `prefix` is at most 32: higher ports are in Linux's ephemeral range, where a client's connection may hold one.
 */
export function ownStack(label: string, prefix: number, extra: Record<string, string>) {
  if (prefix > 32) throw new Error(`ownStack ${label}: port prefix ${prefix} is in the ephemeral range; use ≤ 32`);
  const dir = mkdtempSync(join(tmpdir(), `sluice-${label}-`));
  // As the stack's own data dir: PostgreSQL may run as another user when the tests run as root (docs/decisions).
  chmodSync(dir, 0o755);
  const port = (n: string) => `${prefix}${n}`;
  const env = {
    ...process.env,
    SLUICE_DATA_DIR: dir,
    ...extra,
    KAFKA_PORT: port("092"),
    KAFKA_CONTROLLER_PORT: port("093"),
    REGISTRY_PORT: port("081"),
    CONNECT_PORT: port("383"),
    CONNECT_JMX_PORT: port("384"),
    POSTGRES_PORT: port("432"),
    ADMIN_PORT: port("300"),
  };
  const sluice = (...args: string[]) => {
    const r = spawnSync(join(ctx.paths.root, "bin", "sluice"), args, { env, encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) console.error(`sluice ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const remove = () => {
    sluice("down");
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, env, sluice, remove };
}
