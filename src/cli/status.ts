import { z } from "zod";
import { type ComponentStatus, status } from "../stack/supervisor.ts";
import { type Command, parseFlags } from "./command.ts";
import { table } from "./table.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "one line per component: pid, port, health, restarts by the watchdog, version",
  usage: `sluice status [--json]

One row per component and one for the watchdog (the process that restarts crashed components; see
\`sluice watchdog --help\`). Exits 0 when every component and the watchdog are healthy, 1 otherwise.`,
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
          ["component", "pid", "port", "state", "restarts", "version"],
          rows.map((r) => [r.name, r.pid ?? "-", r.port || "-", stateText(r), r.restarts, r.version]),
        ),
      );
    return rows.every((r) => r.healthy) ? 0 : 1;
  },
};

/** What a status row says about a component's state, the watchdog's view included when it has one. */
export function stateText(r: ComponentStatus): string {
  const base = r.healthy ? "healthy" : r.running ? "starting/unhealthy" : "stopped";
  if (!r.watch || r.watch === "running" || r.watch === "stopped") return base;
  return `${base} (watchdog: ${r.watch}${r.watchDetail ? `, ${r.watchDetail}` : ""})`;
}
