// Restarting what FAILED, and only that: the domain step behind `sluice connectors restart`, also used by tests.
import type { Log } from "../log.ts";
import { workerCapabilities } from "../provision.ts";
import { failureOf, waitRunning } from "./apply.ts";
import type { ConnectClient } from "./client.ts";

/** Restarts what FAILED among `names` (only failed connectors/tasks) and waits until they run again. */
export async function restartFailed(
  client: ConnectClient,
  names: readonly string[],
  timeoutMs: number,
  log: Log,
): Promise<string[]> {
  const caps = await workerCapabilities(client);
  const restarted: string[] = [];
  for (const name of names) {
    const s = await client.status(name);
    if (!s || !failureOf(s)) continue;
    if (caps.restartOnlyFailed) await client.restartConnector(name, { includeTasks: true, onlyFailed: true });
    else {
      // Before KIP-745 (Connect < 3.0) a connector restart does not restart tasks: restart each failed one.
      if (s.connector.state === "FAILED") await client.restartConnector(name);
      for (const t of s.tasks) if (t.state === "FAILED") await client.restartTask(name, t.id);
    }
    log(`restarted failed parts of ${name}`);
    restarted.push(name);
  }
  for (const name of restarted) await waitRunning(client, name, timeoutMs);
  return restarted;
}
