import { z } from "zod";
import { applyConnectors, formatProblems, planAgainstLive, validateConnectors } from "../connect/apply.ts";
import { type ConnectorAction, formatConnectorPlan, hasChanges } from "../connect/plan.ts";
import { restartFailed } from "../connect/restart.ts";
import { shown } from "../connect/secrets.ts";
import { type ConnectorReport, connectorReports } from "../connect/status.ts";
import { SluiceError } from "../errors.ts";
import { connectClient, connectorsDir, desiredConnectors, withAdmin, workerCapabilities } from "../provision.ts";
import type { StackContext } from "../stack/component.ts";
import { type Command, parseFlags } from "./command.ts";
import { table } from "./table.ts";

const SUBCOMMANDS = ["validate", "plan", "apply", "status", "restart", "prune", "pause", "resume"] as const;

const Flags = z.object({
  dir: z.string().optional(),
  prefix: z.string().default(""),
  json: z.boolean().optional(),
  "detailed-exitcode": z.boolean().optional(),
  prune: z.boolean().optional(),
  yes: z.boolean().optional(),
  timeout: z.coerce.number().int().min(1).max(3600).default(60),
});
type Flags = z.infer<typeof Flags>;

const options = {
  dir: { type: "string" },
  prefix: { type: "string" },
  json: { type: "boolean" },
  "detailed-exitcode": { type: "boolean" },
  prune: { type: "boolean" },
  yes: { type: "boolean" },
  timeout: { type: "string" },
} as const;

/** Actions for printing as JSON: secrets masked even in live values someone set by hand. */
function printable(actions: readonly ConnectorAction[]) {
  const mask = (c: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(c).map(([k, v]) => [k, shown(k, v)]));
  return actions.map((a) =>
    a.kind === "create"
      ? { ...a, config: mask(a.config) }
      : a.kind === "update"
        ? {
            ...a,
            config: mask(a.config),
            diff: a.diff.map((d) => ({
              key: d.key,
              ...(d.from !== undefined ? { from: shown(d.key, d.from) } : {}),
              ...(d.to !== undefined ? { to: shown(d.key, d.to) } : {}),
            })),
          }
        : a,
  );
}

/** The first lines of a Java trace: enough to see the cause. */
const head = (trace: string, n = 12) => trace.split("\n").slice(0, n).join("\n");

/** The status report as tables: connectors and tasks, lag per partition, then the traces of what FAILED. */
export function formatReports(reports: readonly ConnectorReport[]): string {
  const rows = reports.flatMap((r) => [
    [r.name, "connector", r.state, r.worker],
    ...r.tasks.map((t) => [r.name, `task ${t.id}`, t.state, t.worker]),
  ]);
  const out = [table(["connector", "what", "state", "worker"], rows)];
  const lag = reports.flatMap((r) =>
    r.lag.map((l) => [r.name, l.topic, l.partition, l.committed ?? "-", l.end, l.lag]),
  );
  if (lag.length) out.push("", table(["connector", "topic", "partition", "committed", "end", "lag"], lag));
  for (const r of reports) {
    if (r.trace) out.push("", `${r.name} connector ${r.state}:`, head(r.trace));
    for (const t of r.tasks) if (t.trace) out.push("", `${r.name} task ${t.id} ${t.state}:`, head(t.trace));
  }
  return out.join("\n");
}

/** Names the command acts on: the positionals, else the connectors declared in the files (within the prefix). */
function targets(ctx: StackContext, flags: Flags, positionals: string[]): string[] {
  const names = positionals.length
    ? positionals
    : desiredConnectors(ctx, flags.dir ?? connectorsDir(ctx), flags.prefix).map((s) => s.name);
  const outside = names.filter((n) => !n.startsWith(flags.prefix));
  if (outside.length)
    throw new SluiceError(
      "USAGE",
      `sluice connectors: ${outside.join(", ")} outside --prefix "${flags.prefix}"; drop the prefix or the name.`,
    );
  return names;
}

export const connectorsCommand: Command = {
  name: "connectors",
  summary:
    "provision Kafka Connect connectors from connectors/*.json: validate, plan, apply, status, restart, prune, pause, resume",
  usage: `sluice connectors <validate|plan|apply|status|restart|prune|pause|resume> [flags] [names…]

The files are the desired state, the worker is the state (no state file).
  validate   Connect's own validation (PUT /connector-plugins/{class}/config/validate); each error by key
  plan       what apply would do: + create, ~ update (per key), - delete (with --prune), unchanged count
  apply      validate, PUT each changed config (409 retried), wait until connector and tasks are RUNNING;
             a no-op when nothing changed; with --prune --yes also deletes live connectors absent from the files
  status     connectors, tasks, worker, state, traces of FAILED ones, consumer lag per partition
  restart    restart FAILED connectors/tasks (onlyFailed) and wait until they run
  prune      delete live connectors (within --prefix) that no file declares; needs --yes
  pause / resume   the named connectors, else those declared in the files

  --dir D              directory of connector files (default connectors/)
  --prefix P           only connectors whose name starts with P, in the files and on the worker
  --json               machine-readable output (validate, plan, status)
  --detailed-exitcode  plan: exit 2 when there are changes (0 none, 1 error)
  --prune              plan/apply: include deletions of live connectors absent from the files
  --yes                confirm deletions (there is no prompt: CI has no stdin)
  --timeout S          seconds to wait for RUNNING (default 60)`,
  async run(argv, { ctx, out }) {
    const { flags, positionals } = parseFlags("connectors", argv, options, Flags);
    const [sub, ...names] = positionals;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
      throw new SluiceError(
        "USAGE",
        `sluice connectors: expected one of ${SUBCOMMANDS.join(", ")}, got ${sub ? `"${sub}"` : "nothing"}. See \`sluice connectors --help\`.`,
      );
    }
    const client = connectClient(ctx);
    const dir = flags.dir ?? connectorsDir(ctx);
    const timeoutMs = flags.timeout * 1000;
    const log = (line: string) => ctx.log(line);
    switch (sub) {
      case "validate": {
        const desired = desiredConnectors(ctx, dir, flags.prefix);
        const problems = await validateConnectors(client, desired);
        const errors = problems.filter((p) => p.level === "error").length;
        if (flags.json)
          out(JSON.stringify({ valid: errors === 0, connectors: desired.map((s) => s.name), problems }, null, 2));
        else {
          if (problems.length) out(formatProblems(problems));
          out(
            errors
              ? `${errors} error(s): Connect would refuse the config`
              : `${desired.length} connector config${desired.length === 1 ? "" : "s"} valid`,
          );
        }
        return errors ? 1 : 0;
      }
      case "plan":
      case "prune": {
        const desired = desiredConnectors(ctx, dir, flags.prefix);
        await workerCapabilities(client, desired);
        let actions = await planAgainstLive(client, desired, {
          prefix: flags.prefix,
          prune: sub === "prune" || flags.prune,
        });
        if (sub === "plan") {
          out(flags.json ? JSON.stringify(printable(actions), null, 2) : formatConnectorPlan(actions));
          return flags["detailed-exitcode"] && hasChanges(actions) ? 2 : 0;
        }
        actions = actions.filter((a) => a.kind === "delete");
        if (!actions.length) {
          out("nothing to prune");
          return 0;
        }
        if (!flags.yes) {
          out(formatConnectorPlan(actions));
          throw new SluiceError(
            "CONFIRM",
            `refusing to delete ${actions.length} connector(s) without --yes; check the list above and run again with --yes.`,
          );
        }
        for (const a of actions) {
          await client.delete(a.name);
          out(`- connector ${a.name} deleted`);
        }
        return 0;
      }
      case "apply": {
        const desired = desiredConnectors(ctx, dir, flags.prefix);
        await workerCapabilities(client, desired);
        const planned = await planAgainstLive(client, desired, { prefix: flags.prefix, prune: flags.prune });
        if (planned.some((a) => a.kind === "delete") && !flags.yes) {
          out(formatConnectorPlan(planned));
          throw new SluiceError(
            "CONFIRM",
            "the plan deletes connectors; nothing applied. Check the list above and run again with --prune --yes.",
          );
        }
        const actions = await applyConnectors(client, desired, {
          prefix: flags.prefix,
          prune: flags.prune,
          timeoutMs,
          log,
        });
        out(formatConnectorPlan(actions));
        out(hasChanges(actions) ? "Applied; every connector and task is RUNNING." : "Nothing to apply.");
        return 0;
      }
      case "status": {
        const caps = await workerCapabilities(client);
        const live = (await client.list()).filter((n) => n.startsWith(flags.prefix));
        const wanted = names.length ? live.filter((n) => names.includes(n)) : live;
        const reports = await withAdmin(ctx, (admin) => connectorReports(client, admin, wanted, caps));
        out(flags.json ? JSON.stringify({ worker: caps, connectors: reports }, null, 2) : formatReports(reports));
        return reports.every((r) => r.state === "RUNNING" && r.tasks.every((t) => t.state === "RUNNING")) ? 0 : 1;
      }
      case "restart": {
        const live = new Set(await client.list());
        const restarted = await restartFailed(
          client,
          targets(ctx, flags, names).filter((n) => live.has(n)),
          timeoutMs,
          log,
        );
        out(restarted.length ? `restarted: ${restarted.join(", ")}; RUNNING again` : "nothing FAILED");
        return 0;
      }
      case "pause":
      case "resume": {
        for (const name of targets(ctx, flags, names)) {
          await (sub === "pause" ? client.pause(name) : client.resume(name));
          out(`${name}: ${sub === "pause" ? "pause" : "resume"} requested`);
        }
        return 0;
      }
    }
    return 1;
  },
};
