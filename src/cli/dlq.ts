import { z } from "zod";
import { VALUE_SUBJECT, valueJsonSchema } from "../contract/index.ts";
import { FIXES, type FixName } from "../dlq/fix.ts";
import { readDeadLetters } from "../dlq/read.ts";
import { executeReplay, planReplay } from "../dlq/replay.ts";
import { SluiceError } from "../errors.ts";
import { kafka } from "../kafka/client.ts";
import { registerContract } from "../registry/register.ts";
import { bootstrap } from "../stack/kafka.ts";
import { registryUrl } from "../stack/registry.ts";
import { countFlag, parseFlags, type Command } from "./command.ts";
import { table } from "./table.ts";

const preview = (s: string | null, n = 48) => (s === null ? "(null)" : s.length > n ? `${s.slice(0, n - 1)}…` : s);

export const dlqCommand: Command = {
  name: "dlq",
  summary: "dead letters: `dlq peek` shows them with their reasons, `dlq replay` re-sends the ones that now pass the contract",
  usage: `sluice dlq peek [-n N] [--json]
sluice dlq replay [--where TEXT] [--fix ${Object.keys(FIXES).join(",")}] [--dry-run] [--json]

  peek      the last N records of the DLQ topic (default 20): offset, time, reason, stage, origin, payload
  replay    validates every dead letter against the contract (after the chosen --fix corrections) and sends the
            valid ones back to the metrics topic; the others stay. Replaying twice is harmless (upsert by key).
  --where TEXT   only records whose reason contains TEXT
  --fix LIST     comma-separated corrections: lowercase-ids (uppercase uuid → lowercase), drop-unknown-fields
  --dry-run      show what would be replayed and why the rest stays, send nothing
  --topic T      DLQ topic (default DLQ_TOPIC); --to T: where to replay (default METRICS_TOPIC)`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags(
      "dlq",
      argv,
      { n: { type: "string", short: "n" }, json: { type: "boolean" }, where: { type: "string" }, fix: { type: "string" }, "dry-run": { type: "boolean" }, topic: { type: "string" }, to: { type: "string" } },
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
            if (bad.length) c.addIssue({ code: "custom", message: `unknown fix ${bad.join(", ")}; choose from ${Object.keys(FIXES).join(", ")}` });
            return names as FixName[];
          }),
        "dry-run": z.boolean().optional(),
        topic: z.string().optional(),
        to: z.string().optional(),
      }),
    );
    const client = kafka([bootstrap(ctx)], "sluice-dlq");
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
        const plan = planReplay(await readDeadLetters(client, dlq), flags.fix, flags.where);
        const to = flags.to ?? ctx.env.METRICS_TOPIC;
        let sent = 0;
        if (!flags["dry-run"]) sent = await executeReplay(client, to, plan, await registerContract(registryUrl(ctx), VALUE_SUBJECT, valueJsonSchema()));
        if (flags.json) {
          out(JSON.stringify({ replayed: flags["dry-run"] ? 0 : sent, replayable: plan.replay.length, kept: plan.keep.map((k) => ({ offset: `${k.letter.partition}/${k.letter.offset}`, reason: k.reason })) }, null, 2));
        } else {
          out(`${flags["dry-run"] ? "would replay" : "replayed"} ${plan.replay.length} record(s) to ${to}; ${plan.keep.length} stay in ${dlq}`);
          if (plan.keep.length) out(table(["offset", "why it stays"], plan.keep.slice(0, 50).map((k) => [`${k.letter.partition}/${k.letter.offset}`, preview(k.reason, 100)])));
        }
        return 0;
      }
      default:
        throw new SluiceError("USAGE", `sluice dlq: expected "peek" or "replay", got ${positionals[0] ? `"${positionals[0]}"` : "nothing"}`);
    }
  },
};
