import { z } from "zod";
import { status } from "../stack/supervisor.ts";
import { type Command, parseFlags } from "./command.ts";
import { table } from "./table.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "one line per component: pid, port, health, version",
  usage: `sluice status [--json]

Exits 0 when every component is healthy, 1 otherwise.`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "status",
      argv,
      { json: { type: "boolean" } },
      z.object({ json: z.boolean().optional() }),
    );
    const rows = await status(ctx);
    if (flags.json) out(JSON.stringify(rows, null, 2));
    else
      out(
        table(
          ["component", "pid", "port", "state", "version"],
          rows.map((r) => [
            r.name,
            r.pid ?? "-",
            r.port,
            r.healthy ? "healthy" : r.running ? "starting/unhealthy" : "stopped",
            r.version,
          ]),
        ),
      );
    return rows.every((r) => r.healthy) ? 0 : 1;
  },
};
