import { z } from "zod";
import { setup } from "../setup.ts";
import { up } from "../stack/supervisor.ts";
import { type Command, parseFlags } from "./command.ts";

export const upCommand: Command = {
  name: "up",
  summary:
    "start the local stack (Kafka, Connect + the Sluice and Debezium sinks, registry, PostgreSQL 17) and run setup",
  usage: `sluice up [--no-setup]

Fetches what is missing (cached in ~/.cache/sluice), starts each component in health-gated order, then runs the
setup job (migrations, topics, schema registration, connector). With everything running it is a quick no-op.

  --no-setup   only start the processes`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "up",
      argv,
      { "no-setup": { type: "boolean" } },
      z.object({ "no-setup": z.boolean().optional() }),
    );
    const t0 = Date.now();
    const started = await up(ctx);
    if (!flags["no-setup"]) await setup(ctx);
    out(
      `stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s${started.length ? ` (started ${started.join(", ")})` : " (already running)"}`,
    );
    return 0;
  },
};
