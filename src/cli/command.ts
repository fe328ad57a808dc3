import { type ParseArgsConfig, parseArgs } from "node:util";
import { z } from "zod";
import { SluiceError } from "../errors.ts";
import type { StackContext } from "../stack/component.ts";

/** What a command gets: the stack context and how to print. Only main.ts touches `process`. */
export interface CommandIo {
  readonly ctx: StackContext;
  readonly out: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** One `sluice <name>` command. `run` returns the exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

/**
 * Parses flags with node's parseArgs, then validates them with zod; a bad flag is an error that names it and the
 * allowed values. `program` names the entry point in messages (bench/main.ts passes its own).
 */
export function parseFlags<S extends z.ZodType>(
  command: string,
  argv: string[],
  options: ParseArgsConfig["options"],
  schema: S,
  program = "sluice",
): { flags: z.infer<S>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SluiceError(
      "USAGE",
      `${program} ${command}: ${(e as Error).message}. See \`${program} ${command} --help\`.`,
    );
  }
  const r = schema.safeParse(parsed.values);
  if (!r.success) {
    const help = `See \`${program} ${command} --help\`.`;
    throw new SluiceError("USAGE", `${program} ${command}: invalid flags:\n${z.prettifyError(r.error)}\n${help}`);
  }
  return { flags: r.data, positionals: parsed.positionals };
}

/** A positive integer flag given as text, with underscores or a k/m suffix allowed (1_000_000, 10k, 1m). */
export const countFlag = (d: number, max = 1e9) =>
  z
    .string()
    .default(String(d))
    .transform((s, ctx) => {
      const m = /^(\d[\d_]*)([km]?)$/i.exec(s.trim());
      const n = m ? Number(m[1]!.replaceAll("_", "")) * ({ "": 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1) : NaN;
      if (!Number.isSafeInteger(n) || n < 1 || n > max) {
        ctx.addIssue({
          code: "custom",
          message: `must be a whole number from 1 to ${max} (e.g. 10000, 10k, 1m), got "${s}"`,
        });
        return z.NEVER;
      }
      return n;
    });
