import { SluiceError } from "../errors.ts";
import { type ConnectClient, type ConnectorStatus, isConnectRefusal } from "./client.ts";
import type { ConnectorSpec } from "./desired.ts";
import { type ConnectorAction, type PlanOptions, planConnectors } from "./plan.ts";
import { redact, SECRET_KEY } from "./secrets.ts";

/** True when the connector and every task run (and there is at least one task). */
export function isRunning(s: ConnectorStatus | undefined): boolean {
  return !!s && s.connector.state === "RUNNING" && s.tasks.length > 0 && s.tasks.every((t) => t.state === "RUNNING");
}

/** The first failure trace in a status, for error messages. */
export function failureOf(s: ConnectorStatus | undefined): string | undefined {
  if (!s) return undefined;
  if (s.connector.state === "FAILED") return s.connector.trace ?? "connector FAILED";
  const t = s.tasks.find((t) => t.state === "FAILED");
  return t ? `task ${t.id} FAILED: ${t.trace?.split("\n").slice(0, 6).join("\n")}` : undefined;
}

/**
 * Waits until the connector and its tasks are RUNNING; fails with the trace when something stays FAILED. Right after
 * a config change the status can still show the old generation's FAILED tasks, so a failure only counts after
 * `failGraceMs`.
 */
export async function waitRunning(
  client: ConnectClient,
  name: string,
  timeoutMs = 60_000,
  failGraceMs = 5_000,
): Promise<ConnectorStatus> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let last: ConnectorStatus | undefined;
  while (Date.now() < deadline) {
    last = await client.status(name);
    if (isRunning(last)) return last!;
    const failure = failureOf(last);
    if (failure && Date.now() - start >= failGraceMs)
      throw new SluiceError(
        "CONNECTOR_FAILED",
        `connector ${name} failed:\n${failure}\nFix its config in connectors/ and apply again.`,
      );
    await Bun.sleep(250);
  }
  throw new SluiceError(
    "CONNECTOR_TIMEOUT",
    `connector ${name} was not RUNNING after ${timeoutMs / 1000} s (last state: ${JSON.stringify(last?.connector.state)}, tasks ${JSON.stringify(last?.tasks.map((t) => t.state))})`,
  );
}

/**
 * Applies one connector with an idempotent `PUT /connectors/{name}/config` (retrying while the worker group
 * rebalances) and waits until it runs. Sends nothing when the live config already matches.
 */
export async function applyConnector(
  client: ConnectClient,
  spec: ConnectorSpec,
  timeoutMs = 60_000,
): Promise<"created" | "updated" | "unchanged"> {
  const live = await client.getConfig(spec.name);
  const desired: Record<string, string> = { ...spec.config, name: spec.name };
  const same = live && Object.keys({ ...live, ...desired }).every((k) => live[k] === desired[k]);
  if (!same) await putWithRetry(client, spec.name, spec.config);
  await waitRunning(client, spec.name, timeoutMs, same ? 0 : 5_000);
  return same ? "unchanged" : live ? "updated" : "created";
}

/**
 * `PUT /connectors/{name}/config`, retried with exponential backoff while the worker group rebalances (409) or the
 * worker is briefly unavailable; other errors (a config Connect refuses) fail at once.
 */
export async function putWithRetry(
  client: ConnectClient,
  name: string,
  config: Record<string, string>,
  attempts = 8,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.putConfig(name, config);
      return;
    } catch (e) {
      if (!(e instanceof SluiceError && e.retryable) || attempt >= attempts) throw e;
      await Bun.sleep(250 * 2 ** attempt);
    }
  }
}

/** One finding of Connect (or of the plugin check) about a desired config. */
export interface ConfigProblem {
  /** `error`: Connect refuses the config; `warning`: a key nothing declares (a typo, or a key read undeclared). */
  readonly level: "error" | "warning";
  readonly connector: string;
  readonly key: string;
  readonly message: string;
}

/**
 * Connect's messages quote the offending value ("Invalid value X for configuration k"): hidden whole for secret keys,
 * scrubbed of credentials (a password inside a URL) for any other.
 */
function hideValue(key: string, message: string): string {
  if (!SECRET_KEY.test(key)) return redact(message);
  return message.replace(/Invalid value .*? for configuration/s, "Invalid value (hidden) for configuration");
}

/**
 * Validates desired connectors with the worker: the class must be installed, then
 * `PUT /connector-plugins/{class}/config/validate` must report no error. Creates nothing.
 */
export async function validateConnectors(
  client: ConnectClient,
  specs: readonly ConnectorSpec[],
): Promise<ConfigProblem[]> {
  if (specs.length === 0) return [];
  const installed = new Set((await client.plugins()).map((p) => p.class));
  const problems: ConfigProblem[] = [];
  for (const spec of specs) {
    const cls = spec.config["connector.class"] ?? "";
    if (!installed.has(cls)) {
      problems.push({
        level: "error",
        connector: spec.name,
        key: "connector.class",
        message: `"${cls}" is not installed on the worker; installed: ${[...installed].join(", ") || "none"}`,
      });
      continue;
    }
    try {
      const r = await client.validate(cls, { ...spec.config, name: spec.name });
      for (const c of r.configs)
        for (const err of c.value.errors)
          problems.push({
            level: "error",
            connector: spec.name,
            key: c.value.name,
            message: hideValue(c.value.name, err),
          });
      // The response lists every key the connector, the framework, its converters and transforms declare.
      const known = new Set(r.configs.map((c) => c.value.name));
      for (const key of Object.keys(spec.config).sort()) {
        if (key !== "name" && !known.has(key))
          problems.push({
            level: "warning",
            connector: spec.name,
            key,
            message:
              "declared by neither the connector nor its converters or transforms; a typo? (some connectors read undeclared keys)",
          });
      }
    } catch (e) {
      // Connect answers a config it cannot even validate with 400/500 (e.g. a class that is no connector); that is a
      // problem of the file. An unreachable worker or a rebalance (409) is not.
      if (!isConnectRefusal(e)) throw e;
      problems.push({ level: "error", connector: spec.name, key: "(config)", message: e.message });
    }
  }
  return problems;
}

/** Problems as lines: `connector  key: message` (warnings marked). */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => `${p.connector}  ${p.level === "warning" ? "warning: " : ""}${p.key}: ${p.message}`)
    .join("\n");
}

/** The plan against what the worker has now (one `GET /connectors?expand=info`). */
export async function planAgainstLive(
  client: ConnectClient,
  desired: readonly ConnectorSpec[],
  opts: PlanOptions = {},
): Promise<ConnectorAction[]> {
  return planConnectors(desired, await client.listConfigs(), opts);
}

export interface ApplyOptions extends PlanOptions {
  /** How long to wait for each connector to be RUNNING. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The apply executor: plan against live, validate every create/update with the worker (nothing changes when one is
 * bad), `PUT` each with 409 backoff, delete pruned ones, then wait until every managed connector and its tasks run
 * (a FAILED task stops it with its trace). Sends no write when nothing changed.
 */
export async function applyConnectors(
  client: ConnectClient,
  desired: readonly ConnectorSpec[],
  opts: ApplyOptions = {},
): Promise<ConnectorAction[]> {
  const log = opts.log ?? (() => {});
  const actions = await planAgainstLive(client, desired, opts);
  const writes = actions.flatMap((a) => (a.kind === "create" || a.kind === "update" ? [a] : []));
  const problems = await validateConnectors(
    client,
    writes.map((a) => ({ name: a.name, config: a.config })),
  );
  const errors = problems.filter((p) => p.level === "error");
  if (errors.length)
    throw new SluiceError(
      "CONNECTOR_INVALID",
      `Kafka Connect rejects the config; nothing was changed:\n${formatProblems(errors)}\nFix the key(s) in the connector file(s) and apply again.`,
    );
  for (const w of problems.filter((p) => p.level === "warning")) log(formatProblems([w]));
  for (const a of writes) {
    await putWithRetry(client, a.name, { ...a.config });
    log(`connector ${a.name} ${a.kind === "create" ? "created" : "updated"}`);
  }
  for (const a of actions) {
    if (a.kind !== "delete") continue;
    await client.delete(a.name);
    log(`connector ${a.name} deleted`);
  }
  for (const a of actions) {
    if (a.kind !== "create" && a.kind !== "update" && a.kind !== "unchanged") continue;
    // An operator's pause/stop is a target state Connect keeps across config updates; apply does not undo it.
    const state = a.kind === "create" ? undefined : (await client.status(a.name))?.connector.state;
    if (state === "PAUSED" || state === "STOPPED") {
      log(`connector ${a.name} is ${state}; not waiting for RUNNING (sluice connectors resume ${a.name})`);
      continue;
    }
    await waitRunning(client, a.name, opts.timeoutMs ?? 60_000, a.kind === "unchanged" ? 0 : 5_000);
  }
  return actions;
}
