import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { parseEnv } from "../config/env.ts";
import { E2eProbe } from "../producer/e2e-latency.ts";
import { publishE2e } from "../producer/e2e-publish.ts";
import { FaultInjector } from "../producer/faults.ts";
import { workload } from "../producer/generator.ts";
import { type Mode, runLoad } from "../producer/loadtest.ts";
import { ManifestBuilder } from "../producer/manifest.ts";
import { summaryLines, thresholdValues, windowLine } from "../producer/report.ts";
import { rng } from "../producer/rng.ts";
import { openLoadProducer } from "../producer/session.ts";
import { evaluate } from "../producer/thresholds.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { type Command, parseFlags } from "./command.ts";
import { produceFlagsHelp, produceFlagsSchema, produceParseOptions } from "./produce-flags.ts";
import "../kafka/codecs.ts";
import { registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { pgTls } from "../db/tls.ts";

export const produceCommand: Command = {
  name: "produce",
  summary: "the load tester: send metrics at a rate or flat out, report latency percentiles, record a manifest",
  // A getter: the help is rendered from the flag table only when asked for.
  get usage() {
    return `sluice produce [--count N] [--duration D] [--rate N/s | --max] [flags]

Sends contract-valid metrics (plus optional injected faults) to Kafka, partitioned by device. Prints a window line
every few seconds and a summary at the end; Ctrl-C stops the schedule, waits for every batch in flight and prints
the summary (a second Ctrl-C aborts). Records what was acknowledged per device × metric × minute for \`sluice audit\`.

${produceFlagsHelp(parseEnv({}))}

Defaults marked env come from that variable when it is set (see .env.example).

Exit 1 when a --threshold fails or a send failed.`;
  },
  async run(argv, { ctx, out, signal }) {
    const { flags: f } = parseFlags("produce", argv, produceParseOptions, produceFlagsSchema(ctx.env));
    const seed = f.seed ?? `load-${Date.now().toString(36)}`;
    const mode: Mode = f.max
      ? { kind: "max" }
      : f.rate !== undefined
        ? { kind: "rate", perSec: f.rate }
        : { kind: "cycle", intervalMs: f.interval };
    const wl = workload({
      seed,
      devices: f.devices !== undefined ? { fixed: f.devices } : { min: f["min-devices"], max: f["max-devices"] },
      metrics: { min: f["min-metrics"], max: f["max-metrics"] },
      codes: f.codes,
      values: f.values,
      tags: f.tags,
    });
    const faults = new FaultInjector(
      {
        duplicate: f["duplicate-ratio"],
        update: f["update-ratio"],
        malformed: f["malformed-ratio"],
        invalid: f["invalid-ratio"],
        malformedKinds: f["malformed-kinds"],
        invalidKinds: f["invalid-kinds"],
      },
      rng(`${seed}:faults`),
    );
    const manifest = f["no-manifest"] ? undefined : new ManifestBuilder();
    const manifestFile = f.manifest ?? join(ctx.paths.data, "runs", `${seed}.manifest.json`);
    const sql = f.e2e ? postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) }) : undefined;
    const probe = sql ? new E2eProbe(sql, f.table) : undefined;
    const lp = await openLoadProducer(
      {
        brokers: brokerAddresses(ctx),
        security: kafkaSecurity(ctx.env),
        registryUrl: registryUrl(ctx),
        registryAuth: registryAuth(ctx.env),
        topic: f.topic,
      },
      { maxInFlight: f["max-in-flight"], partitioner: f.partitioner, idempotent: f.idempotence === "on" },
    );
    const startedAt = new Date();
    try {
      probe?.start();
      const bound =
        [f.count !== undefined ? `${f.count} records` : "", f.duration !== undefined ? `${f.duration / 1000} s` : ""]
          .filter(Boolean)
          .join(" or ") || "Ctrl-C";
      ctx.log(
        `producing to ${f.topic} (${lp.partitions} partitions), mode ${mode.kind}${f.rate ? ` ${f.rate}/s` : ""}, until ${bound}; seed ${seed}${f.idempotence === "on" ? "; idempotent, one batch in flight" : ""}`,
      );
      const summary = await runLoad({
        producer: lp.producer,
        topic: f.topic,
        partitions: lp.partitions,
        schemaId: lp.schemaId,
        mode,
        workload: wl,
        faults,
        count: f.count,
        durationMs: f.duration,
        batchSize: f["batch-size"],
        // kafkajs's idempotent producer is safe with one batch in flight only (docs/decisions/producer-delivery.md).
        concurrency: f.idempotence === "on" ? 1 : f.concurrency,
        compression: f.compression,
        acks: f.acks === "all" ? -1 : f.acks === "1" ? 1 : 0,
        partitioner: f.partitioner,
        lingerMs: f["linger-ms"],
        schemaHeader: !f["no-schema-header"],
        manifest,
        signal,
        windowMs: f["report-every"],
        onWindow: (w) => {
          ctx.log(windowLine(w));
          if (probe)
            publishE2e(ctx.paths.run, { at: Date.now(), topic: f.topic, table: f.table, ...probe.takeWindow() });
        },
        onSample: probe ? (m, at) => probe.sample(m, at) : undefined,
      });
      if (probe) {
        ctx.log("waiting for sampled rows in PostgreSQL…");
        await probe.drain(f["e2e-wait"], signal.aborted ? undefined : signal);
        summary.e2e = probe.stats();
      }
      if (manifest) {
        mkdirSync(dirname(manifestFile), { recursive: true });
        writeFileSync(
          manifestFile,
          JSON.stringify(manifest.build({ topic: f.topic, seed, startedAt, finishedAt: new Date() })),
        );
      }
      for (const line of summaryLines(summary)) out(line);
      if (manifest)
        out(
          `manifest ${manifestFile} (${manifest.size.toLocaleString("en-US")} rows expected; check with: sluice audit --manifest ${manifestFile})`,
        );
      const results = f.threshold ? evaluate(f.threshold, thresholdValues(summary)) : [];
      for (const r of results)
        out(`threshold ${r.text}: ${r.ok ? "ok" : "FAILED"} (actual ${r.actual ?? "not measured"})`);
      if (f.json) {
        mkdirSync(dirname(f.json), { recursive: true });
        writeFileSync(f.json, JSON.stringify({ seed, topic: f.topic, ...summary, thresholds: results }, null, 2));
      }
      return results.some((r) => !r.ok) || summary.errors > 0 ? 1 : 0;
    } finally {
      await lp.close();
      await sql?.end({ timeout: 5 });
    }
  },
};
