// What one benchmark is to bench/main.ts: a name, its usage, its flags (parsed by the shared parser, validated with
// zod) and a run on the stack context the entry point built.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import type { z } from "zod";
import type { StackContext } from "../../src/stack/context.ts";

/** One `bun bench/main.ts <name>` benchmark. */
export interface Bench {
  readonly name: string;
  /** One line for the list of benchmarks. */
  readonly summary: string;
  /** Flags and what the benchmark does, printed by `--help`. */
  readonly usage: string;
  readonly options: ParseArgsConfig["options"];
  readonly schema: z.ZodType;
  run(flags: unknown, ctx: StackContext): Promise<void>;
}

/** Declares a benchmark whose `run` gets its flags typed by `schema`. */
export function defineBench<S extends z.ZodType>(b: {
  name: string;
  summary: string;
  usage: string;
  options: ParseArgsConfig["options"];
  schema: S;
  run(flags: z.infer<S>, ctx: StackContext): Promise<void>;
}): Bench {
  return { ...b, run: (flags, ctx) => b.run(flags as z.infer<S>, ctx) };
}

/** Writes `data` to <root>/<dir>/<stem>-<date>.json (dir default bench/results) and returns the file. */
export function writeFigures(root: string, stem: string, data: object, dir = "bench/results"): string {
  const out = resolve(root, dir);
  mkdirSync(out, { recursive: true });
  const at = new Date().toISOString();
  const file = join(out, `${stem}-${at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ at, ...data }, null, 2)}\n`);
  return file;
}
