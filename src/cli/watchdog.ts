import { z } from "zod";
import { components, ensureRunning } from "../stack/supervisor.ts";
import { runWatchdog } from "../stack/watchdog.ts";
import { type Command, parseFlags } from "./command.ts";

export const watchdogCommand: Command = {
  name: "watchdog",
  summary: "restart crashed components of the local stack (sluice up starts it, sluice down stops it)",
  usage: `sluice watchdog

Looks at every component of the local stack each second and starts a crashed one again, health-gated as \`up\` does:
after 1 s, doubling to 30 s for consecutive crashes; 5 crashes within 2 minutes is a crash loop, and the component is
left stopped (\`sluice status\` says so) until \`sluice up\`. A component stopped by \`sluice down\` is never restarted,
and a deliberate stop announced with a hold file (<data dir>/run/<name>.hold, the chaos suite) is left alone. Its state
is in <data dir>/run/watchdog.json (restarts per component: \`sluice status\`, /metrics). Runs until SIGINT/SIGTERM.`,
  async run(argv, { ctx, out, signal }) {
    parseFlags("watchdog", argv, {}, z.object({}));
    out(
      `watchdog: watching ${components(ctx)
        .map((c) => c.name)
        .join(", ")}`,
    );
    await runWatchdog({ ctx, components: components(ctx), start: (c) => ensureRunning(ctx, c), signal });
    out("watchdog: stopped");
    return 0;
  },
};
