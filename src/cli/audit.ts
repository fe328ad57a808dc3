import { writeFileSync } from "node:fs";
import postgres from "postgres";
import { z } from "zod";
import { auditUntilClean } from "../audit/audit.ts";
import { readManifest } from "../audit/buckets.ts";
import type { AuditResult } from "../audit/diff.ts";
import { SqlIdentifier } from "../db/identifier.ts";
import { pgTls } from "../db/tls.ts";
import { MINUTE_MS } from "../producer/manifest.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";
import { table as render } from "./table.ts";

const n = (x: number) => x.toLocaleString("en-US");

/** Human report of an audit: one line per differing device/metric/minute (up to `limit`), then totals. */
export function auditReport(r: AuditResult, limit: number): string[] {
  const lines: string[] = [];
  if (r.diffs.length > 0) {
    lines.push(
      render(
        ["device", "metric", "minute (UTC)", "problem", "expected", "in table"],
        r.diffs
          .slice(0, limit)
          .map((d) => [
            d.device_id,
            d.metric_name,
            new Date(d.minute * MINUTE_MS).toISOString().slice(0, 16),
            d.kind,
            d.expectedRows,
            d.actualRows,
          ]),
      ),
    );
    if (r.diffs.length > limit) lines.push(`… and ${n(r.diffs.length - limit)} more buckets (--limit)`);
  }
  lines.push(
    `rows expected ${n(r.expectedRows)}, in table ${n(r.actualRows)}; missing ${n(r.missingRows)}, unexpected ${n(r.unexpectedRows)}, ` +
      `buckets with wrong values ${n(r.wrongValueBuckets)} (${n(r.buckets.differing)} of ${n(r.buckets.expected)} buckets differ)`,
  );
  lines.push(r.ok ? "audit: clean" : "audit: DIFFERENCES");
  return lines;
}

export const auditCommand: Command = {
  name: "audit",
  summary: "compare what `sluice produce` recorded with the table: missing, unexpected and wrong rows",
  usage: `sluice audit --manifest FILE [--table T] [--wait D] [--limit N] [--json FILE]

  --manifest FILE  the manifest \`sluice produce\` wrote (per device × metric × minute: rows and a checksum)
  --table T        table to check (default metrics)
  --wait S         retry for up to S seconds while the table differs (the sink may still be draining; default 0)
  --limit N        differing buckets listed (default 50)
  --json FILE      also write the result as JSON

Only the manifest's devices and minutes are read, so other runs' rows in the same table do not count. Exit 1 when
anything differs.`,
  async run(argv, { ctx, out, signal }) {
    const { flags } = parseFlags(
      "audit",
      argv,
      {
        manifest: { type: "string" },
        table: { type: "string" },
        wait: { type: "string" },
        limit: { type: "string" },
        json: { type: "string" },
      },
      z.object({
        manifest: z.string({ error: "is required: the file `sluice produce` wrote" }).min(1),
        table: SqlIdentifier.default("metrics"),
        wait: z.coerce.number().min(0).max(86_400).default(0),
        limit: countFlag(50, 1_000_000),
        json: z.string().optional(),
      }),
    );
    const manifest = readManifest(flags.manifest);
    const sql = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
    try {
      const r = await auditUntilClean(sql, flags.table, manifest, { waitMs: flags.wait * 1000, signal });
      for (const line of auditReport(r, flags.limit)) out(line);
      if (flags.json) writeFileSync(flags.json, JSON.stringify(r, null, 2));
      return r.ok ? 0 : 1;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
