// `bun bench/main.ts sink` (npm run bench) flags: parsed once, by the shared parser, into a typed readonly value.
import { z } from "zod";
import { countFlag, parseFlags } from "../../src/cli/command.ts";
import { COMPRESSION, type CompressionName, DEFAULT_COMPRESSION } from "../../src/kafka/codecs.ts";

/** Every scenario, in the order they run. */
export const SCENARIOS = [
  "copy-parallel",
  "copy",
  "drain",
  "drain-rf1",
  "drain-tree",
  "drain-debezium",
  "drain-raw",
  "bun-consumer",
  "flink-sql",
  "e2e",
  "e2e-rf1",
  "latency",
] as const;
/** Run only when named: on a one-node stack they repeat `drain` and `e2e` (every topic has one replica there). */
export const OPT_IN_SCENARIOS: readonly Scenario[] = ["drain-rf1", "e2e-rf1"];
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchFlags {
  readonly rows: number;
  /** Measured rounds; each runs every scenario once, in an order rotated by one per round. */
  readonly rounds: number;
  /** Rows of the unreported warm-up run of every scenario. */
  readonly warmup: number;
  readonly scenarios: readonly Scenario[];
  readonly keep: boolean;
  readonly out: string;
  /** Connector settings for the drain and end-to-end scenarios (experiments). */
  readonly overrides: Readonly<Record<string, string>>;
  readonly label: string | undefined;
  /** Seconds of the latency scenario. */
  readonly latencySeconds: number;
  /** Producer compression for the backlogs, end to end and latency (the sink decompresses). */
  readonly compression: CompressionName;
}

const raw = z.object({
  rows: countFlag(1_000_000, 50_000_000),
  rounds: countFlag(3, 20),
  warmup: countFlag(200_000, 50_000_000),
  scenario: z
    .string()
    .default(SCENARIOS.filter((x) => !OPT_IN_SCENARIOS.includes(x)).join(","))
    .transform((s, ctx) => {
      const list = s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = list.filter((x) => !(SCENARIOS as readonly string[]).includes(x));
      if (bad.length || list.length === 0) {
        ctx.addIssue({
          code: "custom",
          message: `unknown scenario ${bad.map((b) => `"${b}"`).join(", ") || "(none)"}; choose from ${SCENARIOS.join(", ")}`,
        });
        return z.NEVER;
      }
      return SCENARIOS.filter((x) => list.includes(x));
    }),
  keep: z.boolean().default(false),
  out: z.string().min(1).default("bench/results"),
  override: z
    .array(z.string().regex(/^[\w.-]+=.*$/, 'must look like key=value, e.g. --override "batch.size=5000"'))
    .default([]),
  label: z.string().min(1).optional(),
  "latency-seconds": countFlag(20, 3600),
  compression: z.enum(Object.keys(COMPRESSION) as [CompressionName, ...CompressionName[]]).default(DEFAULT_COMPRESSION),
});

/** The sink bench's flags with their defaults, as BenchFlags. */
export const benchFlagsSchema = raw.transform(
  (f): BenchFlags => ({
    rows: f.rows,
    rounds: f.rounds,
    warmup: f.warmup,
    scenarios: f.scenario,
    keep: f.keep,
    out: f.out,
    overrides: Object.fromEntries(
      f.override.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    ),
    label: f.label,
    latencySeconds: f["latency-seconds"],
    compression: f.compression,
  }),
);

/** The sink bench's flags for node's parseArgs. */
export const BENCH_OPTIONS = {
  rows: { type: "string" },
  rounds: { type: "string" },
  warmup: { type: "string" },
  scenario: { type: "string" },
  keep: { type: "boolean" },
  out: { type: "string" },
  override: { type: "string", multiple: true },
  label: { type: "string" },
  "latency-seconds": { type: "string" },
  compression: { type: "string" },
} as const;

/** Parses argv (the flags after `sink`); throws a USAGE SluiceError naming the flag and the fix. */
export function parseBenchFlags(argv: readonly string[]): BenchFlags {
  return parseFlags("sink", [...argv], BENCH_OPTIONS, benchFlagsSchema, "bun bench/main.ts").flags;
}
