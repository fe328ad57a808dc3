/**
 * When the watchdog restarts a crashed component, as `restart: unless-stopped` would, but with a backoff and a
 * crash-loop stop so a component that cannot start does not burn the machine's two cores forever. Pure: the watchdog
 * (watchdog.ts) keeps the crash times and acts on the decision.
 */

/** The knobs; {@link DEFAULT_RESTART_POLICY} holds the documented values. */
export interface RestartPolicy {
  /** Wait before the first restart after a crash. */
  readonly firstDelayMs: number;
  /** The wait doubles per consecutive crash up to this. */
  readonly maxDelayMs: number;
  /** This many crashes within `loopWindowMs` is a crash loop: the watchdog stops trying. */
  readonly loopCrashes: number;
  readonly loopWindowMs: number;
  /** A component that ran this long since its last (re)start is stable again: earlier crashes are forgotten. */
  readonly stableAfterMs: number;
}

/** 1 s doubling to 30 s; 5 crashes in 2 minutes is a crash loop; 2 minutes up forgets earlier crashes. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  loopCrashes: 5,
  loopWindowMs: 120_000,
  stableAfterMs: 120_000,
};

/** What to do about a crash. */
export type RestartDecision =
  | { readonly kind: "restart"; readonly delayMs: number; readonly crashes: readonly number[] }
  | { readonly kind: "give-up"; readonly reason: string; readonly crashes: readonly number[] };

/**
 * The decision for a crash seen at `now`, given the earlier crash times of the same component and when it was last
 * (re)started. Returns the crash times to keep (the consecutive crashes, this one included).
 */
export function onCrash(
  earlier: readonly number[],
  lastStartAt: number | undefined,
  now: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const wasStable = lastStartAt !== undefined && now - lastStartAt >= policy.stableAfterMs;
  const crashes = [...(wasStable ? [] : earlier), now];
  const inWindow = crashes.filter((t) => now - t < policy.loopWindowMs).length;
  if (inWindow >= policy.loopCrashes) {
    const window = Math.round(policy.loopWindowMs / 1000);
    return {
      kind: "give-up",
      reason: `crashed ${inWindow} times within ${window} s (a crash loop); not restarted again until \`sluice up\``,
      crashes,
    };
  }
  const delayMs = Math.min(policy.firstDelayMs * 2 ** (crashes.length - 1), policy.maxDelayMs);
  return { kind: "restart", delayMs, crashes };
}
