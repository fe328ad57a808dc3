import { failureOf, isRunning } from "../connect/apply.ts";
import type { WatchdogFile } from "../stack/watch-state.ts";
import type { ServerDeps } from "./deps.ts";

/** Outcome of one readiness check. */
export interface CheckResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly detail?: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly components: Readonly<Record<"kafka" | "connect" | "registry" | "postgres" | "connector", CheckResult>>;
  /** Components the local stack's watchdog is restarting (or gave up on), with what it says; only when any. */
  readonly restarting?: Readonly<Record<string, string>>;
}

const CHECK_TIMEOUT_MS = 2500;

/** Runs one readiness check; a string it resolves to is shown as the check's detail. */
async function check(f: () => Promise<unknown>): Promise<CheckResult> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const detail = await Promise.race([
      f(),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)),
      ),
    ]);
    return {
      ok: true,
      latencyMs: Math.round((performance.now() - t0) * 10) / 10,
      ...(typeof detail === "string" && detail ? { detail } : {}),
    };
  } catch (e) {
    return { ok: false, latencyMs: Math.round((performance.now() - t0) * 10) / 10, detail: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** What the watchdog is doing about components that are not running, or undefined when all run (or no watchdog). */
export function watchdogRestarting(w: WatchdogFile | undefined): Record<string, string> | undefined {
  const busy = Object.entries(w?.components ?? {}).filter(([, c]) => WATCHDOG_BUSY.has(c.state));
  if (busy.length === 0) return undefined;
  return Object.fromEntries(busy.map(([name, c]) => [name, `${c.state}${c.detail ? `: ${c.detail}` : ""}`]));
}

const WATCHDOG_BUSY: ReadonlySet<string> = new Set(["waiting", "restarting", "gave-up"]);

/**
 * Every dependency of the pipeline, checked side by side with a time limit each: Kafka, Connect, the registry,
 * PostgreSQL, and the sink connector with all its tasks RUNNING. Ready only when all pass.
 */
export async function readiness(deps: ServerDeps): Promise<Readiness> {
  const [kafka, connect, registry, postgres, connector] = await Promise.all([
    check(() => deps.kafka.ping()),
    check(async () => `Kafka Connect ${(await deps.connect.info()).version}`),
    check(() => deps.registry.ping()),
    check(() => deps.db.ping()),
    check(async () => {
      const s = await deps.connect.status(deps.connector);
      if (!s) throw new Error(`connector ${deps.connector} does not exist; run \`sluice setup\``);
      if (!isRunning(s)) {
        const why = failureOf(s)?.split("\n")[0];
        throw new Error(
          `connector ${s.connector.state}, tasks [${s.tasks.map((t) => `${t.id}:${t.state}`).join(", ")}]${why ? `: ${why}` : ""}`,
        );
      }
      return `RUNNING with ${s.tasks.length} task(s)`;
    }),
  ]);
  const components = { kafka, connect, registry, postgres, connector };
  const restarting = watchdogRestarting(deps.watchdog?.());
  return { ready: Object.values(components).every((c) => c.ok), components, ...(restarting ? { restarting } : {}) };
}

/**
 * Shares readiness among callers: one check runs at a time (concurrent callers await the same one) and its result
 * answers every call for `maxAgeMs` after it completed, so a tight probe loop or many probes cost the components five
 * checks a second at most.
 */
export function readinessCache(
  deps: ServerDeps,
  maxAgeMs = 1000,
  now: () => number = Date.now,
): () => Promise<Readiness> {
  let running: Promise<Readiness> | undefined;
  let last: { at: number; result: Readiness } | undefined;
  return () => {
    if (last && now() - last.at < maxAgeMs) return Promise.resolve(last.result);
    running ??= readiness(deps)
      .then((result) => {
        last = { at: now(), result };
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}
