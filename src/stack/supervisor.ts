import { existsSync, mkdirSync } from "node:fs";
import { ConfigError } from "../config/env.ts";
import { SluiceError } from "../errors.ts";
import { adminComponent } from "./admin.ts";
import { type Component, logFile, type StackContext } from "./component.ts";
import { connectComponents } from "./connect.ts";
import { requireTools } from "./fetch.ts";
import { kafkaComponents } from "./kafka.ts";
import { postgresComponent } from "./postgres.ts";
import {
  isSameProcess,
  ownedProcess,
  type PidRecord,
  portOpen,
  readPidRecord,
  removePid,
  stopPid,
  waitUntil,
  writePid,
} from "./process.ts";
import { registryComponent } from "./registry.ts";
import { readWatchState, type WatchState } from "./watch-state.ts";
import { ensureWatchdog, stopWatchdog, WATCHDOG, watchdogHealthy } from "./watchdog-process.ts";

/** The stack's components by role: every Kafka node and Connect worker of the cluster shape (src/stack/cluster.ts). */
function roles(ctx: StackContext) {
  return {
    postgres: postgresComponent(ctx),
    kafka: kafkaComponents(ctx),
    registry: registryComponent(ctx),
    connect: connectComponents(ctx),
    admin: adminComponent(ctx),
  };
}

/** Ports two components (or one twice) would both listen on, each as "port (a, b)"; empty when all differ. Pure. */
export function portClashes(cs: readonly Component[]): string[] {
  const users = new Map<number, string[]>();
  for (const c of cs)
    for (const p of [c.port, ...(c.otherPorts ?? [])]) users.set(p, [...(users.get(p) ?? []), c.name]);
  return [...users].filter(([, names]) => names.length > 1).map(([p, names]) => `${p} (${names.join(", ")})`);
}

/** Components in start order; `down` stops them in reverse. */
export function components(ctx: StackContext): Component[] {
  const r = roles(ctx);
  return [r.postgres, ...r.kafka, r.registry, ...r.connect, r.admin];
}

const healthy = (c: Component) => c.healthy().catch(() => false);

/**
 * Removes a pid file whose process is not (or cannot be shown to be) the one this stack started, saying why. Its pid is
 * never signalled: after a restart or a reboot it may belong to anyone.
 */
function forgetStale(ctx: StackContext, name: string, record: PidRecord | undefined): void {
  if (!record) {
    removePid(ctx.paths.run, name);
    return;
  }
  if (record.kind === "legacy") {
    const pid = record.pid;
    ctx.log(
      `${name}: pid file holds a bare pid (${pid}) from an older Sluice, which cannot prove the process is still ` +
        `ours; not signalled. If \`ps -p ${pid} -o args\` shows ${name} of this stack, stop it with \`kill ${pid}\`.`,
    );
  } else {
    const pid = record.id.pid;
    ctx.log(`${name}: stale pid file (pid ${pid} is gone or now another process); removed, nothing signalled`);
  }
  removePid(ctx.paths.run, name);
}

/** Starts one component unless it already runs; waits until it is healthy (`up`, and the watchdog's restarts). */
export async function ensureRunning(ctx: StackContext, c: Component): Promise<"started" | "running"> {
  const log = logFile(ctx, c.name);
  const owned = ownedProcess(ctx.paths.run, c.name);
  if (owned) {
    await waitUntil(c.name, () => healthy(c), { timeoutMs: c.startTimeoutMs, alive: () => isSameProcess(owned), log });
    return "running";
  }
  forgetStale(ctx, c.name, readPidRecord(ctx.paths.run, c.name));
  for (const port of [c.port, ...(c.otherPorts ?? [])]) {
    if (await portOpen(ctx.env.SLUICE_HOST, port)) {
      throw new SluiceError(
        "PORT_IN_USE",
        `${c.name}: port ${port} on ${ctx.env.SLUICE_HOST} is already in use by a process this stack did not start. ` +
          `Stop that process, or give ${c.name} another port (see .env.example).`,
      );
    }
  }
  await c.prepare();
  const started = Date.now();
  ctx.log(`${c.name}: starting on port ${c.port}…`);
  const newPid = c.start();
  const id = writePid(ctx.paths.run, c.name, newPid);
  await waitUntil(c.name, () => healthy(c), { timeoutMs: c.startTimeoutMs, alive: () => isSameProcess(id), log });
  ctx.log(`${c.name}: healthy in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${newPid})`);
  return "started";
}

/**
 * Brings the local stack up in health-gated order: PostgreSQL, Kafka and the registry side by side, then Kafka
 * Connect once Kafka answers. A second call with everything running is a quick no-op.
 * Returns the names of the components it started.
 */
export async function up(ctx: StackContext): Promise<string[]> {
  requireTools();
  for (const d of [ctx.paths.data, ctx.paths.run, ctx.paths.logs]) mkdirSync(d, { recursive: true });
  const r = roles(ctx);
  const clashes = portClashes(components(ctx));
  if (clashes.length) {
    throw new ConfigError(
      `these ports are given to more than one component: ${clashes.join("; ")}. Nodes after the first take ` +
        "KAFKA_PORT/KAFKA_CONTROLLER_PORT + 100 and CONNECT_PORT/CONNECT_JMX_PORT + 10 per node: choose base ports " +
        "whose ranges do not overlap (see .env.example).",
    );
  }
  const started: string[] = [];
  const run = async (c: Component) => {
    if ((await ensureRunning(ctx, c)) === "started") started.push(c.name);
  };
  // Kafka nodes side by side (a quorum of three needs two of them up before any is healthy), then the workers.
  // The admin service comes last: its readiness reports on all the others.
  const all = (cs: Component[]) => Promise.all(cs.map(run));
  const first = await Promise.allSettled([
    run(r.postgres),
    all(r.kafka)
      .then(() => all(r.connect))
      .then(() => run(r.admin)),
    run(r.registry),
  ]);
  const failed = first.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  if (await ensureWatchdog(ctx)) started.push(WATCHDOG);
  return started;
}

/**
 * Stops exactly the processes this stack started, in reverse start order: a pid file's process is signalled only
 * while it still has the identity recorded at start (boot, start time); any other pid file is removed unsignalled.
 */
export async function down(ctx: StackContext): Promise<string[]> {
  const stopped: string[] = [];
  if (!existsSync(ctx.paths.run)) return stopped;
  // The watchdog first, so it never restarts what is being stopped.
  if (await stopWatchdog(ctx)) stopped.push(WATCHDOG);
  const r = roles(ctx);
  // The Kafka nodes together: one stopped after the others cannot reach a quorum for its controlled shutdown.
  for (const group of [[r.admin], r.connect.toReversed(), [r.registry], r.kafka.toReversed(), [r.postgres]]) {
    const done = await Promise.all(group.map((c) => stopOne(ctx, c)));
    stopped.push(...group.filter((_, i) => done[i]).map((c) => c.name));
  }
  return stopped;
}

/** Stops one component if this stack started it (true then); a stale pid file is removed, never signalled. */
async function stopOne(ctx: StackContext, c: Component): Promise<boolean> {
  const record = readPidRecord(ctx.paths.run, c.name);
  if (!record) return false;
  const owned = ownedProcess(ctx.paths.run, c.name);
  if (!owned) {
    forgetStale(ctx, c.name, record);
    return false;
  }
  const how = await stopPid(owned, { signal: c.stopSignal });
  removePid(ctx.paths.run, c.name);
  if (how === "absent") return false;
  ctx.log(`${c.name}: ${how} (pid ${owned.pid})`);
  return true;
}

export interface ComponentStatus {
  readonly name: string;
  readonly pid: number | null;
  readonly running: boolean;
  readonly port: number;
  readonly healthy: boolean;
  readonly version: string;
  readonly log: string;
  /** Restarts by the watchdog since it started, and what it is doing about the component (undefined: no watchdog). */
  readonly restarts: number;
  readonly watch?: WatchState;
  readonly watchDetail?: string;
}

/** One line of facts per component, the watchdog last (port 0: it listens on none). */
export async function status(ctx: StackContext): Promise<ComponentStatus[]> {
  const watch = readWatchState(ctx.paths.run);
  const rows = await Promise.all(
    components(ctx).map(async (c) => {
      // A pid file whose process is not ours any more (stale, or a bare legacy pid) is not "running".
      const owned = ownedProcess(ctx.paths.run, c.name);
      const pid = owned?.pid ?? null;
      const running = owned !== undefined;
      const w = watch?.components[c.name];
      return {
        name: c.name,
        pid,
        running,
        port: c.port,
        healthy: running && (await healthy(c)),
        version: c.version,
        log: logFile(ctx, c.name),
        restarts: w?.restarts ?? 0,
        ...(w ? { watch: w.state, ...(w.detail && w.state !== "running" ? { watchDetail: w.detail } : {}) } : {}),
      };
    }),
  );
  const owned = ownedProcess(ctx.paths.run, WATCHDOG);
  const watchdog: ComponentStatus = {
    name: WATCHDOG,
    pid: owned?.pid ?? null,
    running: owned !== undefined,
    port: 0,
    healthy: owned !== undefined && watchdogHealthy(ctx),
    version: "sluice watchdog",
    log: logFile(ctx, WATCHDOG),
    restarts: 0,
  };
  return [...rows, watchdog];
}
