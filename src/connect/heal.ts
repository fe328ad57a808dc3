import type { ConnectorStatus } from "./client.ts";

/** Failures a restart can cure: the database or the broker was away, not a bad record or a bad config. */
const TRANSIENT = [
  /Unable to acquire JDBC Connection/i,
  /This connection has been closed/i,
  /the database system is (shutting down|starting up|in recovery mode)/i,
  /Connection (refused|reset|to .* refused)/i,
  /terminating connection due to (administrator command|unexpected postmaster exit|crash of another server process)/i,
  /Unable to (acquire|commit against|rollback against) JDBC Connection/i,
  /I\/O error/i,
  /SocketTimeoutException|TimeoutException|DisconnectException|NotLeaderOrFollowerException/,
];

/** True when a FAILED task's trace shows a transient cause. */
export function isTransient(trace: string | undefined): boolean {
  return !!trace && TRANSIENT.some((re) => re.test(trace));
}

export interface HealState {
  /** Restarts asked for so far in the current streak, per connector. */
  readonly attempts: ReadonlyMap<string, number>;
  /** When the next restart of a connector may happen (ms since epoch). */
  readonly notBefore: ReadonlyMap<string, number>;
}

export const EMPTY_HEAL_STATE: HealState = { attempts: new Map(), notBefore: new Map() };

export interface HealDecision {
  readonly restart: readonly { connector: string; tasks: number[]; attempt: number }[];
  /** FAILED tasks left alone because their cause is not transient (a restart would fail the same way). */
  readonly leave: readonly { connector: string; task: number; why: string }[];
  readonly state: HealState;
}

/**
 * Pure: which connectors to restart now. A connector whose failed tasks all show a transient cause is restarted
 * (failed tasks only) with exponential backoff — 5 s, 10 s, 20 s … capped at 5 min; the streak resets once all its
 * tasks run again.
 */
export function decideHeal(statuses: readonly ConnectorStatus[], state: HealState, now: number): HealDecision {
  const attempts = new Map(state.attempts);
  const notBefore = new Map(state.notBefore);
  const restart: { connector: string; tasks: number[]; attempt: number }[] = [];
  const leave: { connector: string; task: number; why: string }[] = [];
  for (const s of statuses) {
    const failed = s.tasks.filter((t) => t.state === "FAILED");
    if (failed.length === 0 && s.connector.state !== "FAILED") {
      attempts.delete(s.name);
      notBefore.delete(s.name);
      continue;
    }
    const permanent = failed.filter((t) => !isTransient(t.trace));
    for (const t of permanent)
      leave.push({ connector: s.name, task: t.id, why: (t.trace ?? "no trace").split("\n")[0]! });
    if (permanent.length > 0 || (failed.length === 0 && !isTransient(s.connector.trace))) continue;
    if ((notBefore.get(s.name) ?? 0) > now) continue;
    const attempt = (attempts.get(s.name) ?? 0) + 1;
    attempts.set(s.name, attempt);
    notBefore.set(s.name, now + Math.min(300_000, 5000 * 2 ** (attempt - 1)));
    restart.push({ connector: s.name, tasks: failed.map((t) => t.id), attempt });
  }
  return { restart, leave, state: { attempts, notBefore } };
}
