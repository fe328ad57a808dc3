import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kafka } from "kafkajs";
import type { Sql } from "postgres";
import { auditTable, type ExactAudit } from "../audit/exact.ts";
import { countLanded } from "../audit/landed.ts";
import type { HttpAuth } from "../config/http-auth.ts";
import { isRunning } from "../connect/apply.ts";
import type { ConnectClient } from "../connect/client.ts";
import { decideHeal, EMPTY_HEAL_STATE } from "../connect/heal.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "../contract/index.ts";
import { planRun } from "../producer/workload.ts";
import { topicReplication } from "../provision.ts";
import { contractId } from "../registry/compatibility.ts";
import { createSandbox } from "../sandbox.ts";
import type { StackContext } from "../stack/component.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import {
  atLeastOnce,
  countDeadLetters,
  type DeadLetterCount,
  exactlyOnce,
  originOf,
  poisonOf,
  readTopic,
  waitForDeadLetters,
} from "./dead-letters.ts";
import { type Paced, pacedProducer } from "./paced.ts";
import type { Scenario } from "./scenarios.ts";

export interface ChaosDeps {
  readonly ctx: StackContext;
  readonly sql: Sql;
  readonly kafka: Kafka;
  readonly connect: ConnectClient;
  readonly registryUrl: string;
  readonly registryAuth?: HttpAuth;
  readonly log: (line: string) => void;
}

export interface ChaosResult extends ExactAudit {
  readonly scenario: string;
  readonly produced: number;
  readonly acked: number;
  readonly sendFailures: number;
  readonly poisonSent: number;
  /** Records in the DLQ. */
  readonly dlq: number;
  /** The DLQ matched, origin by origin, against the poison records in the source topic. */
  readonly deadLetters: DeadLetterCount;
  /** Seconds from the faulty part being back (or the end of sending) to the last acknowledged row in PostgreSQL. */
  readonly recoverySeconds: number;
  /** Task restarts Sluice had to ask for (0: Connect and the sink's retries healed it alone). */
  readonly restarts: number;
  readonly ok: boolean;
}

/**
 * One scenario on the running stack, in a sandbox: a paced producer with a known-acknowledged prefix, the fault in
 * the middle, then drain and an exact row-by-row audit. A task that FAILED on a transient cause is restarted with the
 * admin service's healing policy (and counted), so the audit shows whether anything was lost, not merely that the
 * sink stopped.
 */
export async function runScenario(
  d: ChaosDeps,
  s: Scenario,
  opts: { rate: number; seconds: number },
): Promise<ChaosResult> {
  const box = await createSandbox(
    {
      root: d.ctx.paths.root,
      sql: d.sql,
      kafka: d.kafka,
      connect: d.connect,
      replication: topicReplication(d.ctx.env),
    },
    `chaos_${s.name.replace(/-/g, "_")}`,
    3,
  );
  const log = (l: string) => d.log(`${s.name}: ${l}`);
  try {
    await box.applySink(undefined, { "tasks.max": "2" });
    const run = planRun({
      seed: `chaos-${s.name}-${Date.now()}`,
      count: opts.rate * opts.seconds,
      devices: 200,
      startMs: Date.UTC(2026, 10, 10),
    });
    const schemaId = await contractId(d.registryUrl, VALUE_SUBJECT, valueJsonSchema(), d.registryAuth);
    const producer = d.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 3 } });
    let paced: Paced;
    let killProducer: (() => Promise<void>) | undefined;
    if (s.childProducer) {
      // Its own process, so kill -9 is real; it records the acknowledged prefix after every acknowledgement.
      const ackFile = join(tmpdir(), `sluice-chaos-${box.id}.acked`);
      rmSync(ackFile, { force: true });
      const child = Bun.spawn(
        [
          process.execPath,
          join(d.ctx.paths.root, "src", "chaos", "child-producer.ts"),
          JSON.stringify({
            brokers: brokerAddresses(d.ctx),
            topic: box.topic,
            partitions: 3,
            rate: opts.rate,
            schemaId,
            ackFile,
            run,
          }),
        ],
        { stdout: "ignore", stderr: "inherit" },
      );
      const acked = () => (existsSync(ackFile) ? Number(readFileSync(ackFile, "utf8")) || 0 : 0);
      paced = {
        acked,
        failures: () => 0,
        poisonAcked: () => 0,
        done: child.exited.then(() => {}),
        stop: () => child.kill("SIGKILL"),
      };
      killProducer = async () => {
        log(`producer: SIGKILL pid ${child.pid} after ${acked()} acknowledged`);
        child.kill("SIGKILL");
        await child.exited;
      };
    } else {
      await producer.connect();
      paced = pacedProducer(producer, {
        topic: box.topic,
        partitions: 3,
        run,
        rate: opts.rate,
        schemaId,
        poison: s.poison && ((k) => s.poison!(run, k)),
      });
    }
    let backAt = 0;
    if (s.inject) {
      await Bun.sleep((opts.seconds * 1000) / 3);
      log("injecting the fault");
      await s.inject({ ctx: d.ctx, connect: d.connect, box, log, killProducer });
      backAt = performance.now();
    }
    await paced.done;
    await producer.disconnect().catch(() => {});
    if (!backAt) backAt = performance.now();
    const acked = paced.acked();
    log(`sent ${acked} metrics (${paced.failures()} send retries); waiting for the sink`);

    let restarts = 0;
    let heal = EMPTY_HEAL_STATE;
    let landed = 0;
    let movedAt = performance.now();
    for (;;) {
      const n = await countLanded(d.sql, box.table, run).catch(() => landed);
      if (n !== landed) [landed, movedAt] = [n, performance.now()];
      if (landed >= acked) break;
      // The same policy as the admin service's healer: restart tasks that failed on a transient cause, with backoff.
      const st = await d.connect.status(box.connector).catch(() => undefined);
      const decision = decideHeal(st ? [st] : [], heal, Date.now());
      heal = decision.state;
      for (const r of decision.restart) {
        log(`task(s) ${r.tasks.join(", ")} FAILED on a transient error; restart ${r.attempt}`);
        await d.connect.restartConnector(r.connector, { includeTasks: true, onlyFailed: true }).catch(() => {});
        restarts++;
        movedAt = performance.now();
      }
      if (performance.now() - movedAt > 180_000) break;
      await Bun.sleep(500);
    }
    const recoverySeconds = (performance.now() - backAt) / 1000;
    // The poison records as the topic holds them (a producer retry may have written one twice); without poison in
    // the scenario there is none, and the DLQ must stay empty.
    const poison = s.poison ? poisonOf(run, await readTopic(d.kafka, box.topic)) : [];
    await waitForDeadLetters(d.kafka, box.dlq, poison.length);
    // Let the sink settle, so a late duplicate, a wrong overwrite or a second dead letter would show in the audit.
    await Bun.sleep(3000);
    const audit = await auditTable(d.sql, box.table, run, acked);
    const letters = await readTopic(d.kafka, box.dlq);
    const deadLetters = countDeadLetters(poison, letters);
    if (!exactlyOnce(deadLetters)) {
      log(`dead letters not exactly once: ${JSON.stringify(deadLetters).slice(0, 2000)}`);
      // The context headers of each copy (stage, task, exception) tell where the second one came from.
      const at = (l: (typeof letters)[number]) => {
        const o = originOf(l);
        return `${o.topic}-${o.partition}@${o.offset} `;
      };
      for (const l of letters.filter((x) => deadLetters.duplicates.some((dup) => dup.startsWith(at(x))))) {
        log(`  DLQ ${l.partition}@${l.offset}: ${JSON.stringify(l.headers).slice(0, 600)}`);
      }
    }
    const running = isRunning(await d.connect.status(box.connector));
    // Without a fault every poison record is dead-lettered exactly once; a fault (crash, restart) may make Connect
    // dead-letter a record again after re-reading it from the last committed offset, which is at least once by design.
    const dlqOk = exactlyOnce(deadLetters) || (!!s.inject && atLeastOnce(deadLetters));
    const ok = audit.missing === 0 && audit.unexpected === 0 && audit.wrong === 0 && dlqOk && running;
    return {
      scenario: s.name,
      produced: run.count,
      acked,
      sendFailures: paced.failures(),
      poisonSent: paced.poisonAcked(),
      dlq: deadLetters.records,
      deadLetters,
      recoverySeconds,
      restarts,
      ok,
      ...audit,
    };
  } finally {
    await box.dispose({ topics: true }).catch(() => {});
  }
}
