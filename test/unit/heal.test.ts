import { describe, expect, test } from "bun:test";
import type { ConnectorStatus } from "../../src/connect/client.ts";
import { decideHeal, EMPTY_HEAL_STATE, isTransient } from "../../src/connect/heal.ts";

const st = (name: string, tasks: [string, string?][], connector = "RUNNING"): ConnectorStatus => ({
  name,
  connector: { state: connector, worker_id: "w" },
  tasks: tasks.map(([state, trace], id) => ({ id, state, worker_id: "w", trace })),
});
const DB_DOWN =
  "ConnectException: JDBC sink connector failure\nCaused by: org.hibernate.exception.GenericJDBCException: Unable to acquire JDBC Connection [FATAL: the database system is shutting down]";
const BAD_DATA =
  "ConnectException: JDBC sink connector failure\nCaused by: org.postgresql.util.PSQLException: ERROR: invalid input syntax for type uuid";

describe("self-healing decisions", () => {
  test("transient causes are recognised, data errors are not", () => {
    expect(isTransient(DB_DOWN)).toBe(true);
    expect(isTransient("PSQLException: This connection has been closed.")).toBe(true);
    // Seen when the postmaster was killed -9 mid-commit (chaos scenario postgres-kill).
    expect(
      isTransient(
        "org.hibernate.TransactionException: Unable to commit against JDBC Connection\nCaused by: org.postgresql.util.PSQLException: FATAL: terminating connection due to unexpected postmaster exit",
      ),
    ).toBe(true);
    expect(isTransient(BAD_DATA)).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });

  test("a task failed on a database outage is restarted with growing backoff, and the streak resets once running", () => {
    const failed = [st("sink", [["RUNNING"], ["FAILED", DB_DOWN]])];
    const d1 = decideHeal(failed, EMPTY_HEAL_STATE, 0);
    expect(d1.restart).toEqual([{ connector: "sink", tasks: [1], attempt: 1 }]);
    expect(decideHeal(failed, d1.state, 4_999).restart).toEqual([]);
    const d2 = decideHeal(failed, d1.state, 5_000);
    expect(d2.restart[0]!.attempt).toBe(2);
    expect(decideHeal(failed, d2.state, 14_999).restart).toEqual([]);
    expect(decideHeal(failed, d2.state, 15_000).restart[0]!.attempt).toBe(3);
    const healthy = decideHeal([st("sink", [["RUNNING"], ["RUNNING"]])], d2.state, 16_000);
    expect(healthy.state.attempts.size).toBe(0);
    expect(decideHeal(failed, healthy.state, 16_001).restart[0]!.attempt).toBe(1);
  });

  test("a task failed on bad data is left alone and reported", () => {
    const d = decideHeal([st("sink", [["FAILED", BAD_DATA]])], EMPTY_HEAL_STATE, 0);
    expect(d.restart).toEqual([]);
    expect(d.leave).toEqual([{ connector: "sink", task: 0, why: "ConnectException: JDBC sink connector failure" }]);
  });

  test("backoff is capped at five minutes", () => {
    let state = EMPTY_HEAL_STATE;
    let now = 0;
    for (let i = 0; i < 12; i++) {
      const d = decideHeal([st("sink", [["FAILED", DB_DOWN]])], state, now);
      state = d.state;
      now = state.notBefore.get("sink")!;
    }
    const d = decideHeal([st("sink", [["FAILED", DB_DOWN]])], state, now);
    expect(d.state.notBefore.get("sink")! - now).toBe(300_000);
  });
});
