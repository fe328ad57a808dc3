import { writeFileSync } from "node:fs";
import postgres from "postgres";
import { z } from "zod";
import { NO_DEAD_LETTERS } from "../chaos/dead-letters.ts";
import { type ChaosResult, runScenario } from "../chaos/runner.ts";
import { SCENARIOS, type Scenario } from "../chaos/scenarios.ts";
import { registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { pgTls } from "../db/tls.ts";
import { SluiceError } from "../errors.ts";
import { kafka } from "../kafka/client.ts";
import { connectClient } from "../provision.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";
import { table } from "./table.ts";

/** The chaos table: one row per scenario. */
export function chaosTable(results: readonly ChaosResult[]): string {
  return table(
    [
      "scenario",
      "produced",
      "acked",
      "expected",
      "found",
      "missing",
      "unexpected",
      "wrong",
      "poison",
      "DLQ",
      "DLQ twice",
      "restarts",
      "recovery s",
      "ok",
    ],
    results.map((r) => [
      r.scenario,
      r.produced,
      r.acked,
      r.expected,
      r.found,
      r.missing,
      r.unexpected,
      r.wrong,
      r.poisonSent,
      r.dlq,
      r.deadLetters.duplicates.length,
      r.restarts,
      +r.recoverySeconds.toFixed(1),
      r.ok ? "yes" : "NO",
    ]),
  );
}

export const chaosCommand: Command = {
  name: "chaos",
  summary: "fault scenarios while data flows, each audited row by row (exit 1 on any loss, duplicate or wrong value)",
  usage: `sluice chaos [scenario…] [--rate N] [--seconds S] [--json FILE]

Scenarios (all when none is named):
${SCENARIOS.map((s) => `  ${s.name.padEnd(20)} ${s.summary}`).join("\n")}

  --rate N      metrics per second from the paced producer (default 2000)
  --seconds S   how long it sends (default 30); the fault comes after a third of it
  --json FILE   also write the results as JSON

Scenarios marked RF 3 need a three-node stack (SLUICE_BROKERS=3), two-workers a one-worker stack; with no names,
those that do not fit the stack's shape are left out (and listed).
Runs on the local stack (kills and restarts its processes): do not run it beside other work on the same stack.`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags(
      "chaos",
      argv,
      { rate: { type: "string" }, seconds: { type: "string" }, json: { type: "string" } },
      z.object({ rate: countFlag(2000, 100_000), seconds: countFlag(30, 3600), json: z.string().optional() }),
    );
    const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
    if (unknown.length)
      throw new SluiceError(
        "USAGE",
        `sluice chaos: unknown scenario ${unknown.join(", ")}; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`,
      );
    const shape = { brokers: ctx.env.SLUICE_BROKERS, workers: ctx.env.SLUICE_CONNECT_WORKERS };
    const misfit = (s: Scenario) =>
      (s.minBrokers ?? 1) > shape.brokers
        ? `${s.name} needs ${s.minBrokers} Kafka nodes (SLUICE_BROKERS=${s.minBrokers}), this stack has ${shape.brokers}`
        : (s.maxWorkers ?? 3) < shape.workers
          ? `${s.name} runs beside at most ${s.maxWorkers} Connect worker(s), this stack has ${shape.workers}`
          : undefined;
    const refused = SCENARIOS.filter((s) => positionals.includes(s.name)).flatMap((s) => misfit(s) ?? []);
    if (refused.length) throw new SluiceError("USAGE", `sluice chaos: ${refused.join("; ")} (docs/operations.md).`);
    const chosen = positionals.length
      ? SCENARIOS.filter((s) => positionals.includes(s.name))
      : SCENARIOS.filter((s) => !misfit(s));
    const left = positionals.length ? [] : SCENARIOS.flatMap((s) => misfit(s) ?? []);
    if (left.length) ctx.log(`left out for this stack's shape: ${left.join("; ")}`);
    const sql = postgres(postgresUrl(ctx), { max: 2, onnotice: () => {}, connect_timeout: 5, ...pgTls(ctx.env) });
    const deps = {
      ctx,
      sql,
      kafka: kafka(brokerAddresses(ctx), "sluice-chaos", kafkaSecurity(ctx.env)),
      connect: connectClient(ctx),
      registryUrl: registryUrl(ctx),
      registryAuth: registryAuth(ctx.env),
      log: ctx.log,
    };
    const results: ChaosResult[] = [];
    try {
      for (const s of chosen) {
        ctx.log(`scenario ${s.name}: ${s.summary}`);
        try {
          results.push(await runScenario(deps, s, flags));
        } catch (e) {
          // One broken scenario must not hide the others' results.
          ctx.log(`scenario ${s.name} could not run: ${(e as Error).message}`);
          results.push({
            scenario: s.name,
            produced: 0,
            acked: 0,
            expected: 0,
            found: 0,
            missing: 0,
            unexpected: 0,
            wrong: 0,
            sendFailures: 0,
            poisonSent: 0,
            dlq: 0,
            deadLetters: NO_DEAD_LETTERS,
            recoverySeconds: 0,
            restarts: 0,
            ok: false,
          });
        }
        out(chaosTable(results.slice(-1)));
      }
    } finally {
      await sql.end({ timeout: 2 }).catch(() => {});
    }
    out(`\n${chaosTable(results)}`);
    if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2));
    return results.every((r) => r.ok) ? 0 : 1;
  },
};
