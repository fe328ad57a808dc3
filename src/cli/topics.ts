import { z } from "zod";
import { SluiceError } from "../errors.ts";
import { formatTopicPlan, hasTopicChanges } from "../kafka/topic-plan.ts";
import { applyTopicPlan } from "../kafka/topics.ts";
import { desiredTopics, planTopicsLive, topicsFile, withAdmin } from "../provision.ts";
import { type Command, parseFlags } from "./command.ts";

export const topicsCommand: Command = {
  name: "topics",
  summary: "provision Kafka topics from services/topics.json: plan, apply",
  usage: `sluice topics <plan|apply> [flags]

The file is the desired state, the cluster is the state. Creates missing topics, alters configs that differ, adds
partitions; refuses (and applies nothing) when the file asks for fewer partitions or another replication factor.
Topics absent from the file are left alone.

  --file F             topics file (default services/topics.json)
  --prefix P           only topics whose name starts with P
  --json               plan: machine-readable output
  --detailed-exitcode  plan: exit 2 when there are changes (0 none, 1 error)`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags(
      "topics",
      argv,
      {
        file: { type: "string" },
        prefix: { type: "string" },
        json: { type: "boolean" },
        "detailed-exitcode": { type: "boolean" },
      },
      z.object({
        file: z.string().optional(),
        prefix: z.string().default(""),
        json: z.boolean().optional(),
        "detailed-exitcode": z.boolean().optional(),
      }),
    );
    const [sub] = positionals;
    if (sub !== "plan" && sub !== "apply")
      throw new SluiceError(
        "USAGE",
        `sluice topics: expected plan or apply, got ${sub ? `"${sub}"` : "nothing"}. See \`sluice topics --help\`.`,
      );
    const desired = desiredTopics(ctx, flags.file ?? topicsFile(ctx), flags.prefix);
    return withAdmin(ctx, async (admin) => {
      const actions = await planTopicsLive(admin, desired);
      if (sub === "plan") {
        out(flags.json ? JSON.stringify(actions, null, 2) : formatTopicPlan(actions));
        return flags["detailed-exitcode"] && hasTopicChanges(actions) ? 2 : 0;
      }
      await applyTopicPlan(admin, actions);
      out(formatTopicPlan(actions));
      out(hasTopicChanges(actions) ? "Applied." : "Nothing to apply.");
      return 0;
    });
  },
};
