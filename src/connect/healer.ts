import type { ConnectClient, ConnectorStatus } from "./client.ts";
import { decideHeal, EMPTY_HEAL_STATE, type HealDecision } from "./heal.ts";

/**
 * Runs {@link decideHeal} every `intervalMs` against the live worker and restarts what it says (failed tasks only).
 * Debezium's own flush retries cover a database that fails mid-batch, but not one that is unreachable when a task
 * opens a connection ("Unable to acquire JDBC Connection"): such a task dies and Connect never restarts it.
 */
export function startHealer(
  connect: ConnectClient,
  opts: { intervalMs?: number; log: (line: string) => void; onRestart?: (connector: string, attempt: number) => void },
): { stop(): void; tick(): Promise<HealDecision> } {
  let state = EMPTY_HEAL_STATE;
  const reported = new Set<string>();
  const tick = async (): Promise<HealDecision> => {
    const names = await connect.list();
    const statuses = (await Promise.all(names.map((n) => connect.status(n).catch(() => undefined)))).filter(
      (s): s is ConnectorStatus => !!s,
    );
    const d = decideHeal(statuses, state, Date.now());
    state = d.state;
    for (const r of d.restart) {
      opts.log(`healer: restarting failed task(s) ${r.tasks.join(", ")} of ${r.connector} (attempt ${r.attempt})`);
      await connect
        .restartConnector(r.connector, { includeTasks: true, onlyFailed: true })
        .catch((e: Error) => opts.log(`healer: restart of ${r.connector} failed: ${e.message}`));
      opts.onRestart?.(r.connector, r.attempt);
    }
    for (const l of d.leave) {
      const key = `${l.connector}/${l.task}/${l.why}`;
      if (!reported.has(key))
        opts.log(
          `healer: ${l.connector} task ${l.task} FAILED on a non-transient error, left for an operator: ${l.why}`,
        );
      reported.add(key);
    }
    return d;
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((e: Error) => opts.log(`healer: ${e.message}`))
      .finally(() => (running = false));
  }, opts.intervalMs ?? 5000);
  return { stop: () => clearInterval(timer), tick };
}
