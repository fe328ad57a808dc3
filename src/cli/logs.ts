import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { z } from "zod";
import { SluiceError } from "../errors.ts";
import { logFile } from "../stack/component.ts";
import { components } from "../stack/supervisor.ts";
import { type Command, parseFlags } from "./command.ts";

export const logsCommand: Command = {
  name: "logs",
  summary: "show a component's log (postgres, kafka, registry, connect)",
  usage: `sluice logs <component> [-n LINES] [-f]

  -n, --lines N   how many lines from the end (default 100)
  -f, --follow    keep printing as the log grows (Ctrl-C to stop)`,
  async run(argv, { ctx, signal }) {
    const { flags, positionals } = parseFlags(
      "logs",
      argv,
      { lines: { type: "string", short: "n" }, follow: { type: "boolean", short: "f" } },
      z.object({ lines: z.coerce.number().int().min(1).default(100), follow: z.boolean().optional() }),
    );
    const names = components(ctx).map((c) => c.name);
    const name = positionals[0];
    if (!name || !names.includes(name)) {
      throw new SluiceError(
        "USAGE",
        `sluice logs: expected one of ${names.join(", ")}, got ${name ? `"${name}"` : "nothing"}`,
      );
    }
    const file = logFile(ctx, name);
    if (!existsSync(file))
      throw new SluiceError("NO_LOG", `${name} has no log yet (${file}); start it with \`sluice up\`.`);
    const tail = spawn("tail", ["-n", String(flags.lines), ...(flags.follow ? ["-F"] : []), file], {
      stdio: "inherit",
      signal,
    });
    return new Promise((resolve) => tail.on("close", (code) => resolve(code ?? 0)));
  },
};
