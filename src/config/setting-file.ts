import { readFileSync } from "node:fs";
import { ConfigError, type Env } from "./env.ts";

/** Reads a file's text (injectable, so tests need no files). */
export type ReadFile = (path: string) => string;
export const readFileText: ReadFile = (p) => readFileSync(p, "utf8");

/**
 * The text of the file a setting names (trimmed unless `raw`), or a ConfigError naming the variable (never the file's
 * content).
 */
export function settingFile(variable: string, path: string, read: ReadFile = readFileText, raw = false): string {
  try {
    const text = read(path);
    return raw ? text : text.trim();
  } catch (e) {
    throw new ConfigError(
      `${variable} is ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? e}); fix the path or unset it.`,
    );
  }
}

type PasswordName = "KAFKA_SASL_PASSWORD" | "REGISTRY_PASSWORD" | "CONNECT_PASSWORD";

/**
 * A password given inline (`NAME`) or in a file (`NAME_FILE`), not both; undefined when neither is set. An empty file
 * is refused: it is a mistake, not "no password".
 */
export function passwordSetting(
  env: Partial<Env>,
  name: PasswordName,
  read: ReadFile = readFileText,
): string | undefined {
  const inline = env[name];
  const file = env[`${name}_FILE`];
  if (inline && file) throw new ConfigError(`${name} and ${name}_FILE are both set; keep one.`);
  if (!file) return inline;
  const p = settingFile(`${name}_FILE`, file, read);
  if (!p) throw new ConfigError(`${name}_FILE (${file}) is empty; write the password in it.`);
  return p;
}
