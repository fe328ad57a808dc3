import postgres from "postgres";
import { z } from "zod";
import { metricNameOf } from "../contract/codes.ts";
import { loadPack, runPackQuery } from "../db/queries.ts";
import { parseSince } from "../db/span.ts";
import { pgTls } from "../db/tls.ts";
import { roleUrl } from "../stack/postgres.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";
import { table } from "./table.ts";

/** A cell as text: instants in ISO, metric codes with their name, intervals and numbers as PostgreSQL gives them. */
export function cell(column: string, v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (column === "metric_name" && typeof v === "number") return `${metricNameOf(v) ?? "?"} (${v})`;
  return String(v);
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export const queryCommand: Command = {
  name: "query",
  summary: "run an analyst query from the pack (src/db/queries.sql) as the read-only analyst role",
  usage: `sluice query <name> [--device UUID] [--since 1h|2026-11-23T10:00Z] [--limit N] [--exact] [--csv | --json]
sluice query --list

  --device UUID   only this device
  --since S       only data from S on: a span back from now (30m, 6h, 7d) or an ISO instant (rollup-backed
                  answers apply it at the minute, percentiles at the hour)
  --limit N       at most N rows (default 1000)
  --exact         the raw-table answer (total_rows, ingest_rate, p95_hourly, top_noisy): exact to the millisecond and the
                  value, and as slow as a scan of the table
  --csv, --json   machine-readable output instead of a table

${loadPack()
  .map((q) => `  ${q.name.padEnd(17)} ${q.about}`)
  .join("\n")}`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags(
      "query",
      argv,
      {
        device: { type: "string" },
        since: { type: "string" },
        limit: { type: "string" },
        csv: { type: "boolean" },
        json: { type: "boolean" },
        list: { type: "boolean" },
        exact: { type: "boolean" },
      },
      z.object({
        device: z.uuid().optional(),
        since: z.string().optional(),
        limit: countFlag(1000, 1_000_000),
        csv: z.boolean().optional(),
        json: z.boolean().optional(),
        list: z.boolean().optional(),
        exact: z.boolean().optional(),
      }),
    );
    const pack = loadPack();
    if (flags.list || !positionals[0]) {
      out(
        table(
          ["query", "what it answers"],
          pack.map((q) => [q.name, q.about]),
        ),
      );
      return positionals[0] || flags.list ? 0 : 2;
    }
    const sql = postgres(roleUrl(ctx, "analyst"), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
    try {
      const rows = await runPackQuery(
        sql,
        positionals[0],
        {
          device: flags.device,
          since: flags.since ? parseSince(flags.since, Date.now()) : undefined,
          limit: flags.limit,
        },
        pack,
        flags.exact,
      );
      const cols = rows.columns.map((c) => c.name);
      if (flags.json)
        out(
          JSON.stringify(
            rows.map((r) => ({ ...r })),
            null,
            0,
          ),
        );
      else if (flags.csv) {
        out(cols.join(","));
        for (const r of rows) out(cols.map((c) => csvCell(cell(c, r[c]))).join(","));
      } else {
        out(
          table(
            cols,
            rows.map((r) =>
              cols.map((c) => (typeof r[c] === "number" && c !== "metric_name" ? (r[c] as number) : cell(c, r[c]))),
            ),
          ),
        );
        out(`(${rows.length} row${rows.length === 1 ? "" : "s"})`);
      }
      return 0;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
