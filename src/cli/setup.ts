import { z } from "zod";
import { hasChanges } from "../connect/plan.ts";
import { formatRollout } from "../contract/rollout.ts";
import { hasTopicChanges } from "../kafka/topic-plan.ts";
import { planSetup, setup } from "../setup.ts";
import { type Command, parseFlags } from "./command.ts";

export const setupCommand: Command = {
  name: "setup",
  summary: "the setup job: migrations, topics apply, schema registration, connectors apply (idempotent)",
  usage: `sluice setup [--plan] [--detailed-exitcode]

Runs against a running stack (see \`sluice up\`): the contract's preflight → migrations → topics apply
(services/topics.json) → schema registration → connectors apply (connectors/*.json). With everything in place it
changes nothing. Connectors on the worker that no file declares are kept (see \`sluice connectors prune\`).

A contract change (src/contract) is checked before anything is touched: the registry is asked whether the new schema
is BACKWARD compatible, and every field must have a column that fits (after the pending migrations). Refused: nothing
is applied, and the message names the field and the rule. docs/contract.md walks through adding a code or a field.

  --plan               print the contract's rollout in order (database, registry, connector, what producers wait
                       for) and change nothing; topics and connectors have their own plans (\`sluice topics plan\`,
                       \`sluice connectors plan\`)

Exit codes: 0 done, 1 failed or refused (nothing after the failing step ran), 2 with --detailed-exitcode when it
changed (with --plan: would change) something.`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "setup",
      argv,
      { plan: { type: "boolean" }, "detailed-exitcode": { type: "boolean" } },
      z.object({ plan: z.boolean().optional(), "detailed-exitcode": z.boolean().optional() }),
    );
    if (flags.plan) {
      const plan = await planSetup(ctx);
      out(formatRollout(plan));
      if (plan.refusals.length > 0) return 1;
      return flags["detailed-exitcode"] && plan.steps.length > 0 ? 2 : 0;
    }
    const r = await setup(ctx);
    const changed = hasTopicChanges(r.topics) || hasChanges(r.connectors);
    const topics = r.topics
      .filter((a) => a.kind !== "unchanged")
      .map((a) => `${a.kind} ${a.kind === "create" ? a.topic.name : a.name}`);
    const connectors = r.connectors.filter((a) => a.kind !== "unmanaged").map((a) => `${a.name} ${a.kind}`);
    out(
      `setup done: topics ${topics.length ? topics.join(", ") : "unchanged"}, schema id ${r.schemaId}, connectors ${connectors.join(", ") || "none"}`,
    );
    return flags["detailed-exitcode"] && changed ? 2 : 0;
  },
};
