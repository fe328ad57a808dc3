import { z } from "zod";
import { hasChanges } from "../connect/plan.ts";
import { hasTopicChanges } from "../kafka/topic-plan.ts";
import { setup } from "../setup.ts";
import { type Command, parseFlags } from "./command.ts";

export const setupCommand: Command = {
  name: "setup",
  summary: "the setup job: migrations, topics apply, schema registration, connectors apply (idempotent)",
  usage: `sluice setup [--detailed-exitcode]

Runs against a running stack (see \`sluice up\`): migrations → topics apply (services/topics.json) → schema
registration → connectors apply (connectors/*.json). With everything in place it changes nothing. Connectors on the
worker that no file declares are kept (see \`sluice connectors prune\`).

Exit codes: 0 done, 1 failed (nothing after the failing step ran), 2 with --detailed-exitcode when it changed
something.`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "setup",
      argv,
      { "detailed-exitcode": { type: "boolean" } },
      z.object({ "detailed-exitcode": z.boolean().optional() }),
    );
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
