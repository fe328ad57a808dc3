#!/usr/bin/env bun
// `bun bench/main.ts <name> [flags]` (the npm bench:* scripts are aliases of it): the one entry of every benchmark,
// and the only bench module that touches the process (argv, env, exit code). Flags go through the shared parser
// (src/cli/command.ts), the stack context through createStackContext.
import { parseFlags } from "../src/cli/command.ts";
import { SluiceError } from "../src/errors.ts";
import { timestampedLog } from "../src/log.ts";
import { createStackContext } from "../src/stack/context.ts";
import { bench as capacity } from "./capacity.ts";
import { bench as db } from "./db.ts";
import { bench as experiments } from "./experiments.ts";
import { bench as growth } from "./growth.ts";
import { bench as ingest } from "./ingest.ts";
import type { Bench } from "./lib/bench.ts";
import { bench as partitioner } from "./partitioner.ts";
import { bench as pgKnobs } from "./pg-knobs.ts";
import { bench as producer } from "./producer.ts";
import { bench as queries } from "./queries.ts";
import { bench as sink } from "./sink.ts";

/** How the bench entry is called, in usage messages. */
export const BENCH_PROGRAM = "bun bench/main.ts";

/** Every benchmark, in the order `--help` lists them. */
export const BENCHES: readonly Bench[] = [
  sink,
  db,
  pgKnobs,
  ingest,
  producer,
  partitioner,
  experiments,
  growth,
  queries,
  capacity,
];

/** The list printed for `--help` and an unknown name. */
export function benchHelp(): string {
  const width = Math.max(...BENCHES.map((b) => b.name.length));
  const lines = BENCHES.map((b) => `  ${b.name.padEnd(width)}  ${b.summary}`);
  const head = "usage: bun bench/main.ts <name> [flags]   (npm run bench:<name>; <name> --help for its flags)";
  return `${head}\n\n${lines.join("\n")}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(benchHelp());
    return name ? 0 : 2;
  }
  const bench = BENCHES.find((b) => b.name === name);
  if (!bench) {
    console.error(`bench: unknown benchmark "${name}"\n\n${benchHelp()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(bench.usage);
    return 0;
  }
  const { flags } = parseFlags(name, rest, bench.options, bench.schema, BENCH_PROGRAM);
  await bench.run(flags, createStackContext(process.env, { log: timestampedLog(name) }));
  return 0;
}

if (import.meta.main) {
  main(Bun.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof SluiceError) {
        console.error(e.message);
        process.exit(e.code === "USAGE" ? 2 : 1);
      }
      console.error(e);
      process.exit(1);
    },
  );
}
