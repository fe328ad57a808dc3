import type { Kafka } from "kafkajs";
import { SluiceError } from "../errors.ts";

/** The consumer group of a sink connector: Connect's `connect-<name>` unless the config overrides it. */
export const sinkGroup = (name: string, config: Readonly<Record<string, string>>) =>
  config["consumer.override.group.id"] ?? `connect-${name}`;

/** The member ids of a consumer group now (empty when nobody is in it). */
export async function groupMembers(kafka: Kafka, group: string): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    return new Set((groups[0]?.members ?? []).map((m) => m.memberId));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until a sink's tasks run a new config: Connect answers a config change at once and restarts the tasks
 * after, and until then the old tasks (old converter, old contract) keep consuming and report RUNNING. A restarted
 * task's consumer joins with a new member id, so the group being stable with none of the `before` members means every
 * task runs the new config.
 */
export async function waitTasksRestarted(
  kafka: Kafka,
  group: string,
  before: ReadonlySet<string>,
  timeoutMs = 90_000,
): Promise<void> {
  if (before.size === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      const g = groups[0];
      const members = g?.members ?? [];
      if (g?.state === "Stable" && members.length > 0 && members.every((m) => !before.has(m.memberId))) return;
      if (Date.now() > deadline)
        throw new SluiceError(
          "CONNECTOR_TIMEOUT",
          `the tasks of group ${group} did not restart with the new config within ${timeoutMs / 1000} s (state ${g?.state ?? "unknown"}, ${members.length} members); check \`sluice status\``,
        );
      await Bun.sleep(250);
    }
  } finally {
    await admin.disconnect();
  }
}
