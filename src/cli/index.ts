import { auditCommand } from "./audit.ts";
import { capacityCommand } from "./capacity.ts";
import { chaosCommand } from "./chaos.ts";
import type { Command } from "./command.ts";
import { connectorsCommand } from "./connectors.ts";
import { dbCommand } from "./db.ts";
import { demoCommand } from "./demo.ts";
import { dlqCommand } from "./dlq.ts";
import { doctorCommand } from "./doctor.ts";
import { downCommand } from "./down.ts";
import { logsCommand } from "./logs.ts";
import { produceCommand } from "./produce.ts";
import { queryCommand } from "./query.ts";
import { serveCommand } from "./serve.ts";
import { setupCommand } from "./setup.ts";
import { statusCommand } from "./status.ts";
import { topicsCommand } from "./topics.ts";
import { upCommand } from "./up.ts";
import { watchdogCommand } from "./watchdog.ts";

/** Every command, in the order `sluice --help` lists them. */
export const COMMANDS: readonly Command[] = [
  upCommand,
  downCommand,
  statusCommand,
  doctorCommand,
  logsCommand,
  setupCommand,
  topicsCommand,
  connectorsCommand,
  dbCommand,
  queryCommand,
  produceCommand,
  auditCommand,
  demoCommand,
  dlqCommand,
  chaosCommand,
  capacityCommand,
  serveCommand,
  watchdogCommand,
];

export function helpText(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "sluice — Kafka Connect pipeline for IoT metrics into PostgreSQL 17",
    "",
    "usage: sluice <command> [flags]    (sluice <command> --help for its flags)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Environment variables are documented in .env.example.",
  ].join("\n");
}
