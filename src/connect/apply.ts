import { SluiceError } from "../errors.ts";
import type { ConnectClient, ConnectorStatus } from "./client.ts";
import type { ConnectorSpec } from "./desired.ts";

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
export async function waitRunning(client: ConnectClient, name: string, timeoutMs = 60_000, failGraceMs = 5_000): Promise<ConnectorStatus> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let last: ConnectorStatus | undefined;
  while (Date.now() < deadline) {
    last = await client.status(name);
    if (isRunning(last)) return last!;
    const failure = failureOf(last);
    if (failure && Date.now() - start >= failGraceMs) throw new SluiceError("CONNECTOR_FAILED", `connector ${name} failed:\n${failure}\nFix its config in connectors/ and apply again.`);
    await Bun.sleep(250);
  }
  throw new SluiceError("CONNECTOR_TIMEOUT", `connector ${name} was not RUNNING after ${timeoutMs / 1000} s (last state: ${JSON.stringify(last?.connector.state)}, tasks ${JSON.stringify(last?.tasks.map((t) => t.state))})`, true);
}

/**
 * Applies one connector with an idempotent `PUT /connectors/{name}/config` (retrying while the worker group
 * rebalances) and waits until it runs. Sends nothing when the live config already matches.
 */
export async function applyConnector(client: ConnectClient, spec: ConnectorSpec, timeoutMs = 60_000): Promise<"created" | "updated" | "unchanged"> {
  const live = await client.getConfig(spec.name);
  const desired: Record<string, string> = { ...spec.config, name: spec.name };
  const same = live && Object.keys({ ...live, ...desired }).every((k) => live[k] === desired[k]);
  if (!same) {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.putConfig(spec.name, spec.config);
        break;
      } catch (e) {
        if (!(e instanceof SluiceError && e.retryable) || attempt >= 8) throw e;
        await Bun.sleep(250 * 2 ** attempt);
      }
    }
  }
  await waitRunning(client, spec.name, timeoutMs, same ? 0 : 5_000);
  return same ? "unchanged" : live ? "updated" : "created";
}
