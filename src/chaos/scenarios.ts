import { connectAuth } from "../config/http-auth.ts";
import { ConnectClient } from "../connect/client.ts";
import { nodeMetadata } from "../kafka/node-metadata.ts";
import { encodeKey } from "../producer/encode.ts";
import { metricAt, type Run } from "../producer/workload.ts";
import type { Sandbox } from "../sandbox.ts";
import { brokerNodes } from "../stack/cluster.ts";
import type { StackContext } from "../stack/component.ts";
import { connectComponent, workerUrl } from "../stack/connect.ts";
import { isAlive, ownedProcess, readPid, removePid, waitUntil, writePid } from "../stack/process.ts";
import { components, ensureRunning, up } from "../stack/supervisor.ts";
import { holdComponent, readWatchState } from "../stack/watch-state.ts";
import { watchdogHealthy } from "../stack/watchdog-process.ts";

/** What a fault may touch. */
export interface FaultDeps {
  readonly ctx: StackContext;
  readonly connect: ConnectClient;
  readonly box: Sandbox;
  readonly log: (line: string) => void;
  /** kill -9 of the producer process (scenarios with `childProducer`). */
  readonly killProducer?: () => Promise<void>;
}

/** One chaos scenario: an optional fault injected while data flows, and optional poison mixed into the stream. */
export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Injects the fault and returns once the faulty part is back (the recovery clock starts then). */
  readonly inject?: (d: FaultDeps) => Promise<void>;
  /** A poison record to send after metric k, or undefined. */
  readonly poison?: (run: Run, k: number) => { key: string; value: string } | undefined;
  /** The producer runs in its own process (so the fault can kill it). */
  readonly childProducer?: boolean;
  /** Part of the default test run (short). */
  readonly short?: boolean;
  /** Kafka nodes the scenario needs (SLUICE_BROKERS); `sluice chaos` with no names leaves it out on a smaller stack. */
  readonly minBrokers?: number;
  /** Connect workers the scenario can run beside (SLUICE_CONNECT_WORKERS); left out on a bigger stack. */
  readonly maxWorkers?: number;
}

async function kill(d: FaultDeps, component: string, signal: NodeJS.Signals): Promise<void> {
  const pid = readPid(d.ctx.paths.run, component);
  if (!pid || !isAlive(pid)) throw new Error(`${component} is not running (no live pid): start the stack first`);
  d.log(`${component}: ${signal} pid ${pid}`);
  process.kill(pid, signal);
  while (isAlive(pid)) await Bun.sleep(100);
}

/** A deliberate outage: announced to the watchdog (so it does not undo it), then `up` brings the component back. */
async function down(d: FaultDeps, component: string, signal: NodeJS.Signals, seconds: number): Promise<void> {
  const release = holdComponent(d.ctx.paths.run, component);
  try {
    await kill(d, component, signal);
    d.log(`${component}: down for ${seconds} s`);
    await Bun.sleep(seconds * 1000);
    await up(d.ctx);
  } finally {
    release();
  }
  d.log(`${component}: back`);
}

/** A crash nobody announces: kill -9, and the watchdog (not the suite) must bring the component back, healthy. */
async function crash(d: FaultDeps, component: string): Promise<void> {
  if (!watchdogHealthy(d.ctx)) {
    throw new Error("the watchdog is not running, so nothing would restart the component: run `sluice up` first");
  }
  const restarts = () => readWatchState(d.ctx.paths.run)?.components[component]?.restarts ?? 0;
  const before = restarts();
  const victim = readPid(d.ctx.paths.run, component);
  await kill(d, component, "SIGKILL");
  const c = components(d.ctx).find((x) => x.name === component)!;
  await waitUntil(
    `the watchdog restarting ${component}`,
    async () => {
      const now = ownedProcess(d.ctx.paths.run, component);
      return !!now && now.pid !== victim && restarts() > before && (await c.healthy().catch(() => false));
    },
    { timeoutMs: c.startTimeoutMs + 30_000, intervalMs: 250 },
  );
  d.log(`${component}: restarted by the watchdog (pid ${readPid(d.ctx.paths.run, component)}, restarts ${restarts()})`);
}

/** Workers the connector's running tasks are on. */
async function taskWorkers(d: FaultDeps): Promise<string[]> {
  const st = await d.connect.status(d.box.connector).catch(() => undefined);
  return [...new Set(st?.tasks.filter((t) => t.state === "RUNNING").map((t) => t.worker_id) ?? [])];
}

/**
 * kill -9 of the first worker; the watchdog brings it back. With several workers the survivors take its tasks
 * meanwhile, and once it is back the sandbox's two tasks run on two workers again.
 */
async function workerCrashed(d: FaultDeps): Promise<void> {
  await crash(d, "connect");
  if (d.ctx.env.SLUICE_CONNECT_WORKERS < 2) return;
  await waitUntil("the sink's tasks spread over two workers again", async () => (await taskWorkers(d)).length === 2, {
    timeoutMs: 180_000,
    intervalMs: 1000,
  });
  d.log(`tasks on ${(await taskWorkers(d)).join(", ")}`);
}

/** Workers that run any task of any connector (the group's view after a rebalance). */
async function busyWorkers(d: FaultDeps): Promise<Set<string>> {
  const busy = new Set<string>();
  for (const name of await d.connect.list()) {
    const st = await d.connect.status(name).catch(() => undefined);
    for (const t of st?.tasks ?? []) if (t.state === "RUNNING") busy.add(t.worker_id);
  }
  return busy;
}

/**
 * A second worker joins the group and takes a share of the tasks; then the worker running the sandbox sink's tasks
 * is killed -9 and they must move to the survivor (after scheduled.rebalance.max.delay.ms) and resume from committed
 * offsets. Afterwards the stack is left as it was: one supervised worker.
 */
async function secondWorkerKilled(d: FaultDeps): Promise<void> {
  const { env } = d.ctx;
  const extra = connectComponent(d.ctx, {
    name: "connect-2",
    port: env.CONNECT_PORT + 10,
    jmxPort: env.CONNECT_JMX_PORT + 10,
  });
  const first = `${env.SLUICE_HOST}:${env.CONNECT_PORT}`;
  let release = () => {};
  const second = `${env.SLUICE_HOST}:${extra.port}`;
  await extra.prepare();
  const pid = extra.start();
  writePid(d.ctx.paths.run, extra.name, pid);
  try {
    await waitUntil(extra.name, () => extra.healthy().catch(() => false), {
      timeoutMs: extra.startTimeoutMs,
      alive: () => isAlive(pid),
    });
    d.log(`${extra.name}: joined the group on port ${extra.port}`);
    await waitUntil("tasks spread over both workers", async () => (await busyWorkers(d)).size === 2, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    const victim = (await taskWorkers(d))[0] ?? first;
    const survivor = victim === first ? second : first;
    d.log(`sink tasks on ${(await taskWorkers(d)).join(", ")}; killing the worker at ${victim}`);
    if (victim === first) {
      // Announced, so the watchdog leaves it down while the tasks move; `up` below brings it back.
      release = holdComponent(d.ctx.paths.run, "connect");
      const p = readPid(d.ctx.paths.run, "connect")!;
      process.kill(p, "SIGKILL");
      while (isAlive(p)) await Bun.sleep(100);
    } else {
      process.kill(pid, "SIGKILL");
      while (isAlive(pid)) await Bun.sleep(100);
    }
    // Ask the survivor: the killed worker's REST API is gone with it.
    const via = victim === first ? new ConnectClient(workerUrl(d.ctx, second), connectAuth(env)) : d.connect;
    await waitUntil(
      `tasks moved to ${survivor}`,
      async () => {
        const st = await via.status(d.box.connector).catch(() => undefined);
        return !!st && st.tasks.length > 0 && st.tasks.every((t) => t.state === "RUNNING" && t.worker_id === survivor);
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    d.log(`all sink tasks running on ${survivor}`);
  } finally {
    // Back to one supervised worker: restart the first if it was the victim, then let the second leave cleanly.
    await up(d.ctx);
    release();
    if (isAlive(pid)) {
      process.kill(pid, "SIGTERM");
      while (isAlive(pid)) await Bun.sleep(100);
    }
    removePid(d.ctx.paths.run, extra.name);
  }
}

/**
 * Partitions of `topic` per leading node id, and their in-sync state, as the first node that answers reports them
 * (asked one node at a time: kafkajs fails while a node in the metadata is down).
 */
async function topicLeaders(d: FaultDeps, topic: string) {
  let last: unknown;
  for (const node of brokerNodes(d.ctx.env)) {
    try {
      const partitions = (await nodeMetadata(d.ctx.env.SLUICE_HOST, node.port, 2000, [topic])).topics[topic] ?? [];
      if (partitions.length === 0) throw new Error(`${node.name} knows no partitions of ${topic}`);
      const leaders = new Map<number, number>();
      for (const p of partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      const underReplicated = partitions.filter((p) => p.isr.length < p.replicas.length).length;
      const minIsr = Math.min(...partitions.map((p) => p.isr.length));
      const replicas = Math.min(...partitions.map((p) => p.replicas.length));
      return { leaders, underReplicated, minIsr, replicas };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** kill -9 of the node leading the most partitions of the sandbox topic; the watchdog restarts it. */
async function leaderKilled(d: FaultDeps): Promise<void> {
  const { leaders, replicas } = await topicLeaders(d, d.box.topic);
  if (replicas < 3) throw new Error(`${d.box.topic} has ${replicas} replica(s) per partition; the scenario needs 3`);
  const [id, count] = [...leaders].sort((a, b) => b[1] - a[1])[0] ?? [];
  const node = brokerNodes(d.ctx.env).find((n) => n.id === id);
  if (!node) throw new Error(`no leader found for ${d.box.topic} (leaders: ${JSON.stringify([...leaders])})`);
  d.log(`${node.name} (node ${id}) leads ${count} of the topic's partitions`);
  await crash(d, node.name);
  await waitUntil(
    "every partition in sync again",
    async () => (await topicLeaders(d, d.box.topic)).underReplicated === 0,
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
}

/**
 * An upgrade's rolling restart: every node in turn stopped cleanly (announced to the watchdog) and started again,
 * the next only once every partition of the sandbox topic is back in sync.
 */
async function rollingRestart(d: FaultDeps): Promise<void> {
  const { replicas } = await topicLeaders(d, d.box.topic);
  if (replicas < 3) throw new Error(`${d.box.topic} has ${replicas} replica(s) per partition; the scenario needs 3`);
  for (const node of brokerNodes(d.ctx.env)) {
    await down(d, node.name, "SIGTERM", 0);
    await waitUntil(
      `${node.name}'s partitions in sync`,
      async () => (await topicLeaders(d, d.box.topic)).underReplicated === 0,
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    d.log(`${node.name}: restarted, every partition in sync`);
  }
}

/**
 * Two of three nodes lost (kill -9, announced): no quorum and fewer replicas than min.insync.replicas, so every send
 * fails (the producer retries); one node back restores a quorum and two in-sync replicas and writes resume before the
 * third returns.
 */
async function quorumLost(d: FaultDeps): Promise<void> {
  const [, second, third] = brokerNodes(d.ctx.env);
  const releases = [second!, third!].map((n) => holdComponent(d.ctx.paths.run, n.name));
  try {
    for (const n of [second!, third!]) await kill(d, n.name, "SIGKILL");
    d.log("two of three nodes down for 15 s: no quorum, sends refused");
    await Bun.sleep(15_000);
    const node = components(d.ctx).find((c) => c.name === second!.name)!;
    await ensureRunning(d.ctx, node);
    await waitUntil(
      "a leader and two in-sync replicas for every partition",
      async () => {
        const t = await topicLeaders(d, d.box.topic);
        return t.minIsr >= 2 && !t.leaders.has(-1);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    d.log(`${second!.name} back: quorum and two in-sync replicas again; ${third!.name} still down for 10 s`);
    await Bun.sleep(10_000);
    await up(d.ctx);
  } finally {
    for (const release of releases) release();
  }
}

/** Every 10th metric is followed by a poison record of a rotating kind. */
function flood(run: Run, k: number) {
  if (k % 10 !== 9) return undefined;
  const m = metricAt(run, k);
  const key = encodeKey(m);
  const kinds = [
    "{not json",
    JSON.stringify({ ...m, value: "hot" }),
    JSON.stringify({ ...m, metric_name: 40000 }),
    JSON.stringify({ ...m, device_id: "device-7" }),
    JSON.stringify({ ...m, tags: ["a\u0000b"] }),
    JSON.stringify({ ...m, published_at: 253_402_300_800_000 }),
    JSON.stringify({ device_id: m.device_id, published_at: m.published_at, metric_name: m.metric_name }),
  ];
  return { key, value: kinds[Math.floor(k / 10) % kinds.length]! };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "worker-kill",
    summary: "Kafka Connect worker kill -9, restarted by the watchdog (with several workers: tasks spread again)",
    short: true,
    inject: workerCrashed,
  },
  { name: "poison-flood", summary: "10 % of records malformed or invalid, at full rate", short: true, poison: flood },
  {
    name: "producer-kill",
    summary: "the producer kill -9 mid-run: every metric the broker acknowledged lands",
    childProducer: true,
    inject: (d) => d.killProducer!(),
  },
  {
    name: "two-workers",
    summary: "two Connect workers in one group, one killed -9: its tasks move, nothing lost",
    maxWorkers: 1,
    inject: secondWorkerKilled,
  },
  {
    name: "postgres-stop",
    summary: "PostgreSQL stopped (fast shutdown) for 60 s, then started",
    inject: (d) => down(d, "postgres", "SIGINT", 60),
  },
  {
    name: "postgres-kill",
    summary: "PostgreSQL postmaster kill -9, restarted by the watchdog",
    inject: (d) => crash(d, "postgres"),
  },
  {
    name: "broker-kill",
    summary: "Kafka broker kill -9, restarted after 10 s",
    inject: (d) => down(d, "kafka", "SIGKILL", 10),
  },
  {
    name: "leader-kill",
    summary: "kill -9 of the Kafka node leading the most partitions (RF 3), restarted by the watchdog",
    minBrokers: 3,
    inject: leaderKilled,
  },
  {
    name: "rolling-restart",
    summary: "every Kafka node restarted in turn under load, the next once all partitions are in sync (RF 3)",
    minBrokers: 3,
    inject: rollingRestart,
  },
  {
    name: "quorum-loss",
    summary:
      "two of three Kafka nodes killed -9: sends refused, nothing acknowledged lost; writes resume with one back",
    minBrokers: 3,
    inject: quorumLost,
  },
  {
    name: "connector-recreate",
    summary: "connector deleted and re-created from its file: resumes from committed offsets",
    inject: async (d) => {
      await d.connect.delete(d.box.connector);
      d.log(`${d.box.connector}: deleted`);
      await Bun.sleep(5000);
      await d.box.applySink(undefined, { "tasks.max": "2" });
      d.log(`${d.box.connector}: re-created`);
    },
  },
  {
    name: "replay-from-zero",
    summary: "the whole topic replayed from offset 0 (Connect offsets API: stop, reset, resume)",
    inject: async (d) => {
      const name = d.box.connector;
      await d.connect.stop(name);
      for (let i = 0; i < 120 && (await d.connect.status(name))?.connector.state !== "STOPPED"; i++)
        await Bun.sleep(250);
      await d.connect.resetOffsets(name);
      const left = (await d.connect.offsets(name))?.offsets.length ?? 0;
      d.log(`${name}: offsets reset (${left} partition offsets left); resuming from the beginning of the topic`);
      await d.connect.resume(name);
    },
  },
];
