import postgres from "postgres";
import { z } from "zod";
import { registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "../contract/index.ts";
import { SqlIdentifier } from "../db/identifier.ts";
import { pgTls } from "../db/tls.ts";
import { FIXES, type FixName } from "../dlq/fix.ts";
import { readDeadLetters } from "../dlq/read.ts";
import { type ReplayReport, replayDeadLetters } from "../dlq/replay.ts";
import { SluiceError } from "../errors.ts";
import { kafka } from "../kafka/client.ts";
import { contractId } from "../registry/compatibility.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { roleUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { type Command, countFlag, parseFlags } from "./command.ts";
import { table } from "./table.ts";

const preview = (s: string | null, n = 48) => (s === null ? "(null)" : s.length > n ? `${s.slice(0, n - 1)}…` : s);

export const dlqCommand: Command = {
  name: "dlq",
  summary:
    "dead letters: `dlq peek` shows them with their reasons, `dlq replay` re-sends the ones that now pass the contract",
  usage: `sluice dlq peek [-n N] [--json]
sluice dlq replay [--where TEXT] [--fix ${Object.keys(FIXES).join(",")}] [--dry-run] [--from-beginning] [--json]

  peek      the last N records of the DLQ topic (default 20): offset, time, reason, stage, origin, payload
  replay    validates the dead letters not yet replayed against the contract (after the chosen --fix corrections)
            and sends the valid ones back to the metrics topic, skipping (and listing) keys whose stored row is
            newer than the dead letter; the others stay. Progress is the consumer group
            sluice-dlq-replay.<dlq>.to.<target>: committed per chunk, after the chunk's records are acknowledged,
            so a second replay reads only dead letters that arrived since. A read that stops short of the end
            offsets fetched at the start fails (exit 1) naming the partition and offsets.
  --where TEXT      only records whose reason contains TEXT (the others are passed over and counted)
  --fix LIST        comma-separated corrections: lowercase-ids (uppercase uuid → lowercase), drop-unknown-fields
  --dry-run         show what would be replayed, skipped and kept; send nothing, commit no progress
  --from-beginning  read the whole DLQ again, not from the recorded progress (e.g. after choosing a --fix);
                    records whose row is already stored are skipped
  --table T         table the target's sink writes, read (as the analyst role) for the newer-row check (default metrics)
  --chunk N         records per chunk (default 500)
  --timeout S       fail when the DLQ yields no record for S seconds before its end offset (default 30)
  --topic T         DLQ topic (default DLQ_TOPIC); --to T: where to replay (default METRICS_TOPIC)`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags(
      "dlq",
      argv,
      {
        n: { type: "string", short: "n" },
        json: { type: "boolean" },
        where: { type: "string" },
        fix: { type: "string" },
        "dry-run": { type: "boolean" },
        "from-beginning": { type: "boolean" },
        table: { type: "string" },
        chunk: { type: "string" },
        timeout: { type: "string" },
        topic: { type: "string" },
        to: { type: "string" },
      },
      z.object({
        n: countFlag(20, 100_000),
        json: z.boolean().optional(),
        where: z.string().min(1).optional(),
        fix: z
          .string()
          .optional()
          .transform((s, c) => {
            const names = s ? s.split(",").map((x) => x.trim()) : [];
            const bad = names.filter((x) => !(x in FIXES));
            if (bad.length)
              c.addIssue({
                code: "custom",
                message: `unknown fix ${bad.join(", ")}; choose from ${Object.keys(FIXES).join(", ")}`,
              });
            return names as FixName[];
          }),
        "dry-run": z.boolean().optional(),
        "from-beginning": z.boolean().optional(),
        table: SqlIdentifier.default("metrics"),
        chunk: countFlag(500, 100_000),
        timeout: z.coerce.number().positive().max(3600).default(30),
        topic: z.string().optional(),
        to: z.string().optional(),
      }),
    );
    const client = kafka(brokerAddresses(ctx), "sluice-dlq", kafkaSecurity(ctx.env));
    const dlq = flags.topic ?? ctx.env.DLQ_TOPIC;
    switch (positionals[0]) {
      case "peek": {
        const letters = await readDeadLetters(client, dlq, { last: flags.n });
        if (flags.json) out(JSON.stringify(letters, null, 2));
        else if (letters.length === 0) out(`${dlq} is empty`);
        else
          out(
            table(
              ["offset", "time", "stage", "reason", "origin", "payload"],
              letters.map((l) => [
                `${l.partition}/${l.offset}`,
                new Date(l.timestamp).toISOString().slice(0, 19),
                l.stage,
                preview(l.reason.replace(/^contract violation at /, ""), 60),
                `${l.origin.topic}/${l.origin.partition}/${l.origin.offset}`,
                preview(l.value),
              ]),
            ),
          );
        return 0;
      }
      case "replay": {
        const to = flags.to ?? ctx.env.METRICS_TOPIC;
        const dryRun = flags["dry-run"] ?? false;
        const schemaId = dryRun
          ? 0
          : await contractId(registryUrl(ctx), VALUE_SUBJECT, valueJsonSchema(), registryAuth(ctx.env));
        // Read-only: the newer-row check only reads the table, as the analyst role.
        const sql = postgres(roleUrl(ctx, "analyst"), { max: 1, onnotice: () => {}, ...pgTls(ctx.env) });
        let r: ReplayReport;
        try {
          r = await replayDeadLetters(
            { kafka: client, sql },
            {
              dlq,
              to,
              table: flags.table,
              fixes: flags.fix,
              where: flags.where,
              dryRun,
              fromBeginning: flags["from-beginning"],
              chunkSize: flags.chunk,
              stallMs: flags.timeout * 1000,
              schemaId,
            },
          );
        } finally {
          await sql.end({ timeout: 5 });
        }
        if (flags.json) out(JSON.stringify({ dryRun, ...r }, null, 2));
        else for (const line of replaySummary(r, { dlq, to, dryRun })) out(line);
        return 0;
      }
      default:
        throw new SluiceError(
          "USAGE",
          `sluice dlq: expected "peek" or "replay", got ${positionals[0] ? `"${positionals[0]}"` : "nothing"}`,
        );
    }
  },
};

/** Human report of a replay: the totals, then the skipped and the kept records with their reasons. */
export function replaySummary(r: ReplayReport, o: { dlq: string; to: string; dryRun: boolean }): string[] {
  const from = r.ranges.map((p) => `${p.partition}:${p.from}..${p.end}`).join(" ");
  const lines = [
    `read ${r.read} dead letter(s) of ${o.dlq} (partition:from..end ${from || "none"}); ` +
      `${o.dryRun ? "would replay" : "replayed"} ${r.sent} to ${o.to}; skipped ${r.skipped.length} (newer or same ` +
      `row stored); ${r.kept.length} stay; ${r.filtered} passed over by --where` +
      (o.dryRun ? "; nothing sent, no progress committed" : `; progress in consumer group ${r.group}`),
  ];
  if (r.expired > 0) lines.push(`${r.expired} dead letter(s) expired (retention) before any replay read them`);
  if (r.skipped.length) {
    const rows = r.skipped.slice(0, 50).map((k) => [k.offset, k.key, preview(k.reason, 100)]);
    lines.push(table(["offset", "key", "skipped because"], rows));
  }
  if (r.kept.length) {
    lines.push(
      table(
        ["offset", "why it stays"],
        r.kept.slice(0, 50).map((k) => [k.offset, preview(k.reason, 100)]),
      ),
    );
  }
  return lines;
}
