import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { z } from "zod";
import { roundTrip } from "../audit/round-trip.ts";
import { registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { pgTls } from "../db/tls.ts";
import { produceRun } from "../producer/session.ts";
import { planRun } from "../producer/workload.ts";
import { setup } from "../setup.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { up } from "../stack/supervisor.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";
import { progress } from "./progress.ts";
import { table } from "./table.ts";

export const demoCommand: Command = {
  name: "demo",
  summary: "the main job: up → produce → wait until every row landed → verify → report",
  usage: `sluice demo [--count N] [--devices D] [--sample S]

  --count N     metrics to produce (default 1000000)
  --devices D   distinct devices (default 1000)
  --sample S    rows compared value by value with what was sent (default 1000)

Exits 1 when a row is missing or differs from what was sent. The report also goes to <data dir>/runs/<seed>.report.json.`,
  async run(argv, { ctx, out, signal }) {
    const { flags } = parseFlags(
      "demo",
      argv,
      { count: { type: "string" }, devices: { type: "string" }, sample: { type: "string" } },
      z.object({
        count: countFlag(1_000_000),
        devices: countFlag(1000, 1_000_000),
        sample: countFlag(1000, 1_000_000),
      }),
    );
    await up(ctx);
    await setup(ctx);
    const seed = `demo-${Date.now().toString(36)}`;
    const run = planRun({ seed, count: flags.count, devices: flags.devices, startMs: Date.now() - flags.count });
    const sql = postgres(postgresUrl(ctx), { max: 2, onnotice: () => {}, ...pgTls(ctx.env) });
    try {
      const produceProgress = progress("produce", run.count, ctx.log);
      const r = await roundTrip({
        sql,
        table: "metrics",
        run,
        sample: flags.sample,
        // Poll once a second: a count over a growing table every 250 ms would take CPU from the sink it measures.
        intervalMs: 1000,
        onLanded: progress("landed ", run.count, ctx.log),
        signal,
        produce: async () => {
          const target = {
            brokers: brokerAddresses(ctx),
            security: kafkaSecurity(ctx.env),
            registryUrl: registryUrl(ctx),
            registryAuth: registryAuth(ctx.env),
            topic: ctx.env.METRICS_TOPIC,
          };
          const m = await produceRun(target, run, { onProgress: produceProgress });
          const secs = (m.elapsedMs / 1000).toFixed(1);
          ctx.log(`produced ${m.sent.toLocaleString("en-US")} in ${secs} s; waiting for the sink…`);
          return m;
        },
      });
      const { produced: manifest, landed, mismatches, span } = r;
      const toLast = (r.landedAtMs - r.startMs) / 1000;
      const report = {
        seed,
        metrics: run.count,
        devices: run.devices,
        rowsLanded: landed,
        produceMsgPerSec: Math.round(manifest.msgPerSec),
        produceSeconds: +(manifest.elapsedMs / 1000).toFixed(2),
        // Rows over the span of PostgreSQL's own batch timestamps (first to last batch committed by the sink).
        sinkRowsPerSec: Math.round(landed / Math.max(0.001, (span.lastMs - span.firstMs) / 1000)),
        endToEndRowsPerSec: Math.round(landed / toLast),
        secondsToLastRow: +toLast.toFixed(2),
        spotChecked: Math.min(flags.sample, run.count),
        mismatches: mismatches.length,
      };
      const dir = join(ctx.paths.data, "runs");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${seed}.json`), JSON.stringify(manifest, null, 2));
      writeFileSync(join(dir, `${seed}.report.json`), JSON.stringify(report, null, 2));
      const n = (x: number) => x.toLocaleString("en-US");
      out(
        table(
          ["demo report", "value"],
          [
            ["metrics produced", n(report.metrics)],
            ["rows landed (exactly once)", n(report.rowsLanded)],
            ["produce msg/s", n(report.produceMsgPerSec)],
            ["sink rows/s", n(report.sinkRowsPerSec)],
            ["end-to-end rows/s", n(report.endToEndRowsPerSec)],
            ["time to last row (s)", report.secondsToLastRow.toFixed(1)],
            [
              `values checked (sample of ${n(report.spotChecked)})`,
              mismatches.length ? `${mismatches.length} MISMATCHES` : "all equal",
            ],
          ],
        ),
      );
      for (const m of mismatches.slice(0, 10))
        out(`  k=${m.k} ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.got)}`);
      return landed === run.count && mismatches.length === 0 ? 0 : 1;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
