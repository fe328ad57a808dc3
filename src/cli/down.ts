import { z } from "zod";
import { down } from "../stack/supervisor.ts";
import { type Command, parseFlags } from "./command.ts";

export const downCommand: Command = {
  name: "down",
  summary: "stop the processes the local stack started (data is kept)",
  usage: `sluice down

Stops exactly the processes recorded in the stack's pid files, in reverse start order. A pid file records the
process's start time and boot: a pid now used by another process (after a reboot) is never signalled, only its
stale file removed. Data stays in the data directory, so the next \`sluice up\` continues where this one stopped.`,
  async run(argv, { ctx, out }) {
    parseFlags("down", argv, {}, z.object({}));
    const stopped = await down(ctx);
    out(stopped.length ? `stopped ${stopped.join(", ")}` : "nothing was running");
    return 0;
  },
};
