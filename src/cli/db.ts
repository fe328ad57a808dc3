import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { z } from "zod";
import { formatReport, maintain } from "../db/maintain.ts";
import { orderJournalFile } from "../db/migrate.ts";
import { parseSpan } from "../db/span.ts";
import { pgTls } from "../db/tls.ts";
import { SluiceError } from "../errors.ts";
import { migrateDatabase } from "../setup.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";

const span = z.string().regex(/^\d+\s*[a-z]+$/i, "must look like 1d, 6h, 30m or 1w");

export const dbCommand: Command = {
  name: "db",
  summary: "database: `db migrate`, `db maintain` (partitions, retention, rollups), `db generate --name N`",
  usage: `sluice db migrate
sluice db maintain [--interval 1d] [--ahead 7] [--retention 30d|none] [--every 60s]
sluice db generate --name NAME

  migrate    apply pending drizzle migrations, then let the sink and analyst roles log in
  maintain   one maintenance pass on \`metrics\`: create partitions ahead, drop partitions older than the retention,
             report rows that fell into the default partition, bring the 1-minute and 1-hour rollups up to date.
             Safe at any time and from a schedule (short transactions, 5 s lock timeout); --every repeats it.
             Defaults: METRICS_PARTITION_INTERVAL, METRICS_PARTITIONS_AHEAD, METRICS_RETENTION.
  generate   diff src/db/schema.ts against the migrations and write a new one (drizzle-kit)`,
  async run(argv, { ctx, out, signal }) {
    const { flags, positionals } = parseFlags(
      "db",
      argv,
      {
        name: { type: "string" },
        interval: { type: "string" },
        ahead: { type: "string" },
        retention: { type: "string" },
        every: { type: "string" },
      },
      z.object({
        name: z
          .string()
          .regex(/^[a-z0-9_]+$/, "must be lowercase letters, digits or _")
          .optional(),
        interval: span.optional(),
        ahead: countFlag(ctx.env.METRICS_PARTITIONS_AHEAD, 1000),
        retention: z.union([z.literal("none"), span]).optional(),
        every: z
          .string()
          .regex(/^\d+[smh]$/, "must look like 30s, 5m or 1h")
          .optional(),
      }),
    );
    switch (positionals[0]) {
      case "migrate":
        await migrateDatabase(ctx);
        out("migrations applied");
        return 0;
      case "maintain": {
        const retention = flags.retention ?? ctx.env.METRICS_RETENTION;
        const plan = {
          table: "metrics",
          interval: parseSpan(flags.interval ?? ctx.env.METRICS_PARTITION_INTERVAL),
          ahead: flags.ahead,
          retention: retention === "none" ? undefined : parseSpan(retention),
          rollup: { m1: "metrics_rollup_1m", h1: "metrics_rollup_1h" },
        };
        const everyMs = flags.every
          ? Number(flags.every.slice(0, -1)) *
            { s: 1000, m: 60_000, h: 3_600_000 }[flags.every.at(-1) as "s" | "m" | "h"]
          : 0;
        const sql = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
        try {
          for (;;) {
            try {
              const report = await maintain(sql, plan);
              for (const line of formatReport(plan.table, report)) out(line);
            } catch (e) {
              // On a schedule a pass that hit its lock timeout (or any other error) is reported and the next pass
              // tries again; a single run fails with the error.
              if (!everyMs) throw e;
              out(`maintain failed, retrying in ${flags.every}: ${(e as Error).message}`);
            }
            if (!everyMs || signal.aborted) return 0;
            // Ctrl-C ends the wait at once; a pass in progress is left to finish its short transaction.
            const stopped = await sleep(everyMs, false, { signal }).catch(() => true);
            if (stopped) return 0;
          }
        } finally {
          await sql.end({ timeout: 5 });
        }
      }
      case "generate": {
        const kit = join(ctx.paths.root, "node_modules", ".bin", "drizzle-kit");
        const r = spawnSync(kit, ["generate", ...(flags.name ? ["--name", flags.name] : [])], {
          cwd: ctx.paths.root,
          stdio: "inherit",
        });
        const moved = r.status === 0 ? orderJournalFile() : undefined;
        // drizzle's migrator skips a migration older than the last one applied (an earlier entry dated ahead).
        if (moved) out(`${moved}: dated after the previous migration in meta/_journal.json, so it will be applied`);
        return r.status ?? 1;
      }
      default:
        throw new SluiceError(
          "USAGE",
          `sluice db: expected "migrate", "maintain" or "generate", got ${positionals[0] ? `"${positionals[0]}"` : "nothing"}`,
        );
    }
  },
};
