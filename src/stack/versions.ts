import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const Versions = z.object({
  KAFKA_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/),
  DEBEZIUM_VERSION: z.string().regex(/^\d+\.\d+\.\d+\.\w+$/),
  APICURIO_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/),
  POSTGRES_VERSION: z.string().regex(/^\d+\.\d+$/),
  BUN_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/),
  LOG4J_VERSION: z.string(),
  SLF4J_VERSION: z.string(),
});
export type Versions = Readonly<z.infer<typeof Versions>>;

/** Parses `KEY=value` lines, ignoring blanks and `#` comments. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The pinned component versions from services/versions.env (the one place both stacks read). */
export function readVersions(root: string): Versions {
  return Object.freeze(Versions.parse(parseEnvFile(readFileSync(join(root, "services", "versions.env"), "utf8"))));
}
