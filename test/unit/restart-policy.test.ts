// The watchdog's restart decisions (pure): backoff 1 s doubling to 30 s, a crash loop stops it, a stable run forgets.
import { describe, expect, test } from "bun:test";
import { DEFAULT_RESTART_POLICY, onCrash } from "../../src/stack/restart-policy.ts";
import { afterRestart, FRESH, step } from "../../src/stack/watch-state.ts";

const S = 1000;

describe("restart policy", () => {
  test("the wait doubles per consecutive crash from 1 s and stops growing at 30 s", () => {
    let crashes: readonly number[] = [];
    const delays: number[] = [];
    // One crash a minute: never a crash loop (5 in 2 minutes), never stable (2 minutes up) either.
    for (let i = 0; i < 8; i++) {
      const d = onCrash(crashes, i === 0 ? undefined : (i - 1) * 60 * S + 1, i * 60 * S);
      expect(d.kind).toBe("restart");
      if (d.kind === "restart") delays.push(d.delayMs);
      crashes = d.crashes;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30].map((s) => s * S));
  });

  test("five crashes within two minutes is a crash loop: give up, saying so", () => {
    let crashes: readonly number[] = [];
    const kinds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = onCrash(crashes, i * 10 * S, i * 10 * S + 5 * S);
      kinds.push(d.kind);
      crashes = d.crashes;
      if (d.kind === "give-up") expect(d.reason).toContain("crashed 5 times within 120 s");
    }
    expect(kinds).toEqual(["restart", "restart", "restart", "restart", "give-up"]);
  });

  test("a component that ran two minutes since its last start is stable again: the backoff starts over", () => {
    const earlier = [0, 2 * S, 6 * S, 14 * S];
    const d = onCrash(earlier, 30 * S, 30 * S + DEFAULT_RESTART_POLICY.stableAfterMs);
    expect(d).toMatchObject({ kind: "restart", delayMs: 1 * S });
    expect(d.crashes).toHaveLength(1);
  });
});

describe("watchdog step", () => {
  const up = { managed: true, alive: true, held: false };
  const dead = { managed: true, alive: false, held: false };

  test("a crash waits out the backoff, then restarts once; a good restart counts and runs again", () => {
    const running = step(FRESH, up, 0).next;
    expect(running.state).toBe("running");
    const crashed = step(running, dead, 10 * S);
    expect(crashed.restart).toBe(false);
    expect(crashed.next).toMatchObject({ state: "waiting", nextAttemptAt: 11 * S });
    expect(crashed.next.detail).toContain("restarting in 1 s");
    expect(step(crashed.next, dead, 10.5 * S)).toMatchObject({ restart: false, next: { state: "waiting" } });
    const due = step(crashed.next, dead, 11 * S);
    expect(due).toMatchObject({ restart: true, next: { state: "restarting" } });
    // While the restart runs, nothing else happens, whatever is seen.
    expect(step(due.next, dead, 12 * S)).toMatchObject({ restart: false, next: { state: "restarting" } });
    const after = afterRestart(due.next, { ok: true }, 20 * S);
    expect(after).toMatchObject({ state: "running", restarts: 1, lastStartAt: 20 * S });
  });

  test("a failed restart is another crash with a longer wait", () => {
    const due = { ...FRESH, state: "restarting" as const, crashes: [0], lastStartAt: -1 };
    const after = afterRestart(due, { ok: false, error: "connect did not become healthy" }, 5 * S);
    expect(after).toMatchObject({ state: "waiting", restarts: 1, nextAttemptAt: 7 * S });
    expect(after.detail).toContain("restart failed: connect did not become healthy");
  });

  test("a held component is left alone; released while still down, it counts as crashed", () => {
    const running = step(FRESH, up, 0).next;
    const held = step(running, { ...dead, held: true }, 1 * S);
    expect(held).toMatchObject({ restart: false, next: { state: "held" } });
    expect(step(held.next, { ...dead, held: true }, 100 * S).next.state).toBe("held");
    expect(step(held.next, up, 101 * S).next).toMatchObject({ state: "running", lastStartAt: 101 * S });
    expect(step(held.next, dead, 101 * S).next.state).toBe("waiting");
  });

  test("no pid file (sluice down) is not a crash; after a give-up only a start by someone else brings it back", () => {
    expect(step(step(FRESH, up, 0).next, { managed: false, alive: false, held: false }, S).next.state).toBe("stopped");
    const gaveUp = { ...FRESH, state: "gave-up" as const, crashes: [1, 2, 3, 4, 5], restarts: 4 };
    expect(step(gaveUp, dead, 10 * S)).toMatchObject({ restart: false, next: { state: "gave-up" } });
    expect(step(gaveUp, up, 10 * S).next).toMatchObject({ state: "running", crashes: [], restarts: 4 });
  });
});
