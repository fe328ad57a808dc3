import { z } from "zod";
import { setup } from "../setup.ts";
import { parseFlags, type Command } from "./command.ts";

export const setupCommand: Command = {
  name: "setup",
  summary: "the setup job: migrations, topics, schema registration, connector (idempotent)",
  usage: `sluice setup

Runs against a running stack (see \`sluice up\`); with everything in place it changes nothing.`,
  async run(argv, { ctx, out }) {
    parseFlags("setup", argv, {}, z.object({}));
    const r = await setup(ctx);
    out(`setup done: topics created [${r.topicsCreated.join(", ")}], schema id ${r.schemaId}, connector ${r.connector}`);
    return 0;
  },
};
