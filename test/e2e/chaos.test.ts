import { afterAll, describe, expect, test } from "bun:test";
import { runScenario } from "../../src/chaos/runner.ts";
import { SCENARIOS } from "../../src/chaos/scenarios.ts";
import { client, connect, ctx, registry, sql } from "./harness.ts";

const deps = {
  ctx,
  sql,
  kafka: client,
  connect,
  registryUrl: registry,
  log: (l: string) => console.error(`[chaos] ${l}`),
};

afterAll(async () => {
  // The worker-kill scenario restarts Connect; leave every connector of the stack running for the files after this.
  const { up } = await import("../../src/stack/supervisor.ts");
  await up(ctx);
});

describe("chaos (short scenarios; the rest run with `npm run chaos`)", () => {
  for (const s of SCENARIOS.filter((x) => x.short)) {
    test(`${s.name}: ${s.summary} — nothing lost, duplicated or wrong`, async () => {
      const r = await runScenario(deps, s, { rate: 1000, seconds: 12 });
      console.error(JSON.stringify(r));
      expect({ missing: r.missing, unexpected: r.unexpected, wrong: r.wrong }).toEqual({
        missing: 0,
        unexpected: 0,
        wrong: 0,
      });
      expect(r.found).toBe(r.acked);
      expect(r.acked).toBe(r.produced);
      // Every poison record the broker acknowledged is in the DLQ, by its origin (topic, partition, offset), and
      // nothing else is; exactly once unless a fault made Connect re-read it (at least once by design there).
      const { missing, duplicates, foreign, poison, once } = r.deadLetters;
      expect({ missing, foreign, inTopic: poison }).toEqual({ missing: [], foreign: [], inTopic: r.poisonSent });
      if (s.inject) expect(once + duplicates.length).toBe(r.poisonSent);
      else expect({ duplicates, once, dlq: r.dlq }).toEqual({ duplicates: [], once: r.poisonSent, dlq: r.poisonSent });
      if (s.poison) expect(r.poisonSent).toBeGreaterThan(0);
      expect(r.ok).toBe(true);
    });
  }
});
