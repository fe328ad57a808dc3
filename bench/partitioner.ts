/**
 * Micro-benchmark of partition choice: `bun bench/main.ts partitioner`. Prints ns/op; asserts nothing.
 * Compares the cached path the sender uses with hashing every time, and with kafkajs' own (Long-based) murmur2.
 */
import { createRequire } from "node:module";
import { z } from "zod";
import { murmur2, partitionFor, toPositive } from "../src/producer/partitioner.ts";
import { deviceIds, planRun } from "../src/producer/workload.ts";
import { defineBench } from "./lib/bench.ts";

async function run(): Promise<void> {
  const D = 1000;
  const ids = deviceIds(planRun({ seed: "bench", count: 1, devices: D, startMs: 0 }));
  const utf8 = new TextEncoder();
  const bytes = ids.map((id) => utf8.encode(id));
  const buffers = ids.map((id) => Buffer.from(id));
  const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (
    k: Buffer,
  ) => number;

  // One loop per case, each in its own function: a shared loop calling `body(i)` would make that call site
  // polymorphic and measure the dispatch, not the hash. Sums are returned so the JIT cannot drop the work.
  const cases: [name: string, ops: number, loop: (ops: number) => number][] = [
    [
      "partitionFor (cached, 1000 devices)",
      20_000_000,
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += partitionFor(ids[i % D]!, 6);
        return s;
      },
    ],
    [
      "murmur2 on pre-encoded bytes",
      20_000_000,
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += toPositive(murmur2(bytes[i % D]!)) % 6;
        return s;
      },
    ],
    [
      "TextEncoder.encode + murmur2 (uncached)",
      20_000_000,
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += toPositive(murmur2(utf8.encode(ids[i % D]!))) % 6;
        return s;
      },
    ],
    [
      "kafkajs default murmur2 (Long-based)",
      200_000,
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += toPositive(kafkajsMurmur2(buffers[i % D]!)) % 6;
        return s;
      },
    ],
  ];

  let checksum = 0;
  // Three rounds: the first includes JIT tiering; on a shared machine compare figures within one round.
  for (let round = 1; round <= 3; round++) {
    console.log(`round ${round}`);
    for (const [name, ops, loop] of cases) {
      const t0 = Bun.nanoseconds();
      checksum += loop(ops);
      const ns = (Bun.nanoseconds() - t0) / ops;
      console.log(`  ${name.padEnd(42)} ${ns.toFixed(1).padStart(8)} ns/op`);
    }
  }
  console.log(`(checksum ${checksum})`);
}

/** `bun bench/main.ts partitioner` (no stack needed). */
export const bench = defineBench({
  name: "partitioner",
  summary: "micro-benchmark of partition choice: cached murmur2, uncached, kafkajs' own (ns/op; no stack needed)",
  usage: "bun bench/main.ts partitioner   (npm run bench:partitioner)",
  options: {},
  schema: z.object({}),
  run,
});
