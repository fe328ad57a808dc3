import type { ParseArgsConfig } from "node:util";
import { z } from "zod";
import type { Env } from "../config/env.ts";
import { CODES, type MetricCode } from "../contract/index.ts";
import { SqlIdentifier } from "../db/identifier.ts";
import { DEFAULT_COMPRESSION } from "../kafka/codecs.ts";
import { INVALID_KINDS, MALFORMED_KINDS } from "../producer/faults.ts";
import { parseThresholds } from "../producer/thresholds.ts";

/**
 * The flags of `sluice produce` (the load tester): one table gives the parser, the zod checks and the --help text,
 * so the help always shows the real defaults (several come from the environment, under the PoC's names).
 */

const num = /^(\d[\d_]*(?:\.\d+)?)([km]?)$/i;
function parseNum(s: string): number {
  const m = num.exec(s.trim());
  return m ? Number(m[1]!.replaceAll("_", "")) * ({ "": 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1) : NaN;
}

/** A whole number from `min` to `max` given as text (underscores and k/m suffixes allowed). */
const int = (min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const n = parseNum(s);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}, got "${s}"` });
      return z.NEVER;
    }
    return n;
  });

const ratio = z.string().transform((s, ctx) => {
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: "custom", message: `must be a ratio from 0 to 1 (e.g. 0.01), got "${s}"` });
    return z.NEVER;
  }
  return n;
});

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, "": 1000 };
const duration = z.string().transform((s, ctx) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? ""]! : NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > 7 * 86_400_000) {
    ctx.addIssue({
      code: "custom",
      message: `must be a duration from 1ms to 7 days like 500ms, 30s, 5m or 1h (plain number = seconds), got "${s}"`,
    });
    return z.NEVER;
  }
  return Math.round(ms);
});

/** Records per second as text: 20000, 20k, 20k/s. */
export const rate = z.string().transform((s, ctx) => {
  const n = parseNum(s.trim().replace(/\/s$/, ""));
  if (!Number.isFinite(n) || n < 1 || n > 10_000_000) {
    ctx.addIssue({
      code: "custom",
      message: `must be records per second from 1 to 10000000, like 20000/s or 20k/s, got "${s}"`,
    });
    return z.NEVER;
  }
  return n;
});

const list = <T extends string | number>(allowed: readonly T[], what: string, conv: (s: string) => T) =>
  z.string().transform((s, ctx) => {
    const items = s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)
      .map(conv);
    const bad = items.filter((x) => !allowed.includes(x));
    if (items.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `must be a comma-separated list of ${what} from ${allowed.join(", ")}, got "${s}"`,
      });
      return z.NEVER;
    }
    return [...new Set(items)];
  });

const oneOf = <const T extends string>(allowed: readonly [T, ...T[]]) =>
  z.string().transform((s, ctx) => {
    if (!(allowed as readonly string[]).includes(s)) {
      ctx.addIssue({ code: "custom", message: `must be one of ${allowed.join(", ")}, got "${s}"` });
      return z.NEVER;
    }
    return s as T;
  });

const threshold = z.string().transform((s, ctx) => {
  try {
    return parseThresholds(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly arg?: string;
  readonly help: string;
  /** Shown in --help; for env-backed flags the variable's current value. */
  readonly default?: (env: Env) => string | undefined;
  readonly env?: keyof Env;
  readonly schema: z.ZodType;
}

const e = (k: keyof Env) => (env: Env) => String(env[k]);

/** Every flag, in --help order. */
export const PRODUCE_FLAGS = {
  count: { type: "string", arg: "N", help: "stop after N records (valid and injected)", schema: int(1, 1e12) },
  duration: {
    type: "string",
    arg: "D",
    help: "stop when the schedule reaches D (500ms, 30s, 5m, 1h); without --count/--duration: until Ctrl-C",
    schema: duration,
  },
  rate: {
    type: "string",
    arg: "N/s",
    help: "open loop at N records/s (latency measured from each record's scheduled time)",
    schema: rate,
  },
  max: {
    type: "boolean",
    help: "as fast as possible (default: the PoC's cycles, one every --interval)",
    schema: z.boolean(),
  },
  devices: {
    type: "string",
    arg: "D",
    help: "a fixed pool of D devices, all publishing every cycle (instead of --min/--max-devices)",
    schema: int(1, 1_000_000),
  },
  "min-devices": {
    type: "string",
    arg: "N",
    help: "devices publishing per cycle, at least",
    env: "PRODUCER_MIN_DEVICES",
    default: e("PRODUCER_MIN_DEVICES"),
    schema: int(1, 1_000_000),
  },
  "max-devices": {
    type: "string",
    arg: "N",
    help: "devices publishing per cycle, at most (also the pool size)",
    env: "PRODUCER_MAX_DEVICES",
    default: e("PRODUCER_MAX_DEVICES"),
    schema: int(1, 1_000_000),
  },
  "min-metrics": {
    type: "string",
    arg: "N",
    help: "metrics per cycle, at least",
    env: "PRODUCER_MIN_METRICS",
    default: e("PRODUCER_MIN_METRICS"),
    schema: int(1, 10_000_000),
  },
  "max-metrics": {
    type: "string",
    arg: "N",
    help: "metrics per cycle, at most",
    env: "PRODUCER_MAX_METRICS",
    default: e("PRODUCER_MAX_METRICS"),
    schema: int(1, 10_000_000),
  },
  interval: {
    type: "string",
    arg: "MS",
    help: "milliseconds between cycles",
    env: "PRODUCER_PUBLISH_INTERVAL",
    default: e("PRODUCER_PUBLISH_INTERVAL"),
    schema: int(1, 3_600_000),
  },
  codes: {
    type: "string",
    arg: "LIST",
    help: "metric codes to publish",
    default: () => CODES.join(","),
    schema: list<MetricCode>(CODES, "metric codes", (s) => Number(s) as MetricCode),
  },
  values: {
    type: "string",
    arg: "DIST",
    help: "value distribution within each metric's realistic range: uniform, normal or walk",
    default: () => "uniform",
    schema: oneOf(["uniform", "normal", "walk"]),
  },
  tags: { type: "string", arg: "N", help: "tags per metric (0–16)", default: () => "2", schema: int(0, 16) },
  seed: {
    type: "string",
    arg: "S",
    help: "makes devices, cycle sizes, codes, values and faults reproducible (default: a new one per run)",
    schema: z.string().regex(/^[\w.-]{1,64}$/, "must be 1–64 letters, digits, '.', '_' or '-'"),
  },
  "batch-size": {
    type: "string",
    arg: "B",
    help: "messages per Kafka produce request",
    env: "KAFKA_BATCH_SIZE",
    default: e("KAFKA_BATCH_SIZE"),
    schema: int(1, 100_000),
  },
  concurrency: {
    type: "string",
    arg: "C",
    help: "batches in flight (p-queue)",
    env: "PRODUCER_QUEUE_CONCURRENCY",
    default: e("PRODUCER_QUEUE_CONCURRENCY"),
    schema: int(1, 256),
  },
  "max-in-flight": {
    type: "string",
    arg: "N",
    help: "kafkajs maxInFlightRequests per broker connection",
    env: "KAFKA_MAX_IN_FLIGHT",
    default: e("KAFKA_MAX_IN_FLIGHT"),
    schema: int(1, 100),
  },
  idempotence: {
    type: "string",
    arg: "on|off",
    help: "kafkajs's idempotent producer; on forces one batch in flight (--concurrency 1, --max-in-flight 1)",
    env: "PRODUCER_IDEMPOTENCE",
    default: (env: Env) => env.PRODUCER_IDEMPOTENCE ?? (env.SLUICE_BROKERS > 1 ? "on" : "off"),
    schema: oneOf(["on", "off"]),
  },
  compression: {
    type: "string",
    arg: "C",
    help: "none, gzip, lz4 or zstd",
    default: () => DEFAULT_COMPRESSION,
    schema: oneOf(["none", "gzip", "lz4", "zstd"]),
  },
  acks: {
    type: "string",
    arg: "A",
    help: "all (every in-sync replica), 1 (leader) or 0 (none)",
    default: () => "all",
    schema: oneOf(["all", "1", "0"]),
  },
  partitioner: {
    type: "string",
    arg: "P",
    help: "device (Sluice's, by device id) or default (kafkajs', by whole key; for comparison)",
    default: () => "device",
    schema: oneOf(["device", "default"]),
  },
  "no-schema-header": {
    type: "boolean",
    help: "omit the sluice-schema-id header on every record (~10 % more msg/s at --max)",
    schema: z.boolean(),
  },
  "linger-ms": {
    type: "string",
    arg: "MS",
    help: "wait at most this long to fill a batch when ahead of the schedule",
    default: () => "5",
    schema: int(0, 1000),
  },
  topic: { type: "string", arg: "T", help: "topic", default: e("METRICS_TOPIC"), schema: z.string().min(1) },
  "report-every": {
    type: "string",
    arg: "D",
    help: "interval of the window lines",
    default: () => "5s",
    schema: duration,
  },
  json: { type: "string", arg: "FILE", help: "also write the summary as JSON", schema: z.string().min(1) },
  manifest: {
    type: "string",
    arg: "FILE",
    help: "where to record what was acknowledged, for `sluice audit` (default <data dir>/runs/<seed>.manifest.json)",
    schema: z.string().min(1),
  },
  "no-manifest": { type: "boolean", help: "do not record a manifest (saves an md5 per record)", schema: z.boolean() },
  threshold: {
    type: "string",
    arg: "LIST",
    help: "exit 1 unless all hold, e.g. 'p99<50ms,rate>40000,errors==0' (p50 p95 p99 p99.9 max avg e2e_p50 e2e_p99 lag rate errors sent)",
    schema: threshold,
  },
  e2e: {
    type: "boolean",
    help: "measure produce → row in PostgreSQL on sampled records (needs the sink running into --table)",
    schema: z.boolean(),
  },
  table: {
    type: "string",
    arg: "T",
    help: "table the sink writes, for --e2e",
    default: () => "metrics",
    schema: SqlIdentifier,
  },
  "e2e-wait": {
    type: "string",
    arg: "D",
    help: "after the run, wait this long for sampled rows to appear",
    default: () => "30s",
    schema: duration,
  },
  "duplicate-ratio": {
    type: "string",
    arg: "R",
    help: "share of records that re-send an acknowledged record unchanged",
    default: () => "0",
    schema: ratio,
  },
  "update-ratio": {
    type: "string",
    arg: "R",
    help: "share of records that re-send an acknowledged key with a new value",
    default: () => "0",
    schema: ratio,
  },
  "malformed-ratio": {
    type: "string",
    arg: "R",
    help: "share of records that are malformed (see --malformed-kinds)",
    default: () => "0",
    schema: ratio,
  },
  "malformed-kinds": {
    type: "string",
    arg: "LIST",
    help: "kinds of malformed records, taken in turn",
    default: () => MALFORMED_KINDS.join(","),
    schema: list(MALFORMED_KINDS, "kinds", (s) => s as (typeof MALFORMED_KINDS)[number]),
  },
  "invalid-ratio": {
    type: "string",
    arg: "R",
    help: "share of records that parse but must never be stored (see --invalid-kinds)",
    default: () => "0",
    schema: ratio,
  },
  "invalid-kinds": {
    type: "string",
    arg: "LIST",
    help: "kinds of invalid records, taken in turn",
    default: () => INVALID_KINDS.join(","),
    schema: list(INVALID_KINDS, "kinds", (s) => s as (typeof INVALID_KINDS)[number]),
  },
} satisfies Record<string, FlagSpec>;

type Flags = typeof PRODUCE_FLAGS;
export type ProduceFlags = { [K in keyof Flags]: z.output<Flags[K]["schema"]> };

/** parseArgs options for the flags. */
export const produceParseOptions: ParseArgsConfig["options"] = Object.fromEntries(
  Object.entries(PRODUCE_FLAGS).map(([k, f]) => [k, { type: f.type }]),
);

/**
 * The zod schema of the flags with defaults from `env` filled in, plus the checks across flags. Input: parseArgs'
 * values (strings and booleans).
 */
export function produceFlagsSchema(env: Env) {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, f] of Object.entries(PRODUCE_FLAGS) as [string, FlagSpec][]) {
    const d = f.default?.(env);
    shape[k] =
      d !== undefined
        ? z
            .string()
            .default(d)
            .pipe(f.schema as z.ZodType<unknown, string>)
        : f.schema.optional();
  }
  return z
    .object(shape)
    .transform(
      (v) =>
        v as unknown as Partial<ProduceFlags> &
          Pick<
            ProduceFlags,
            | "min-devices"
            | "max-devices"
            | "min-metrics"
            | "max-metrics"
            | "interval"
            | "codes"
            | "values"
            | "tags"
            | "batch-size"
            | "concurrency"
            | "max-in-flight"
            | "idempotence"
            | "compression"
            | "acks"
            | "partitioner"
            | "linger-ms"
            | "topic"
            | "report-every"
            | "table"
            | "e2e-wait"
            | "duplicate-ratio"
            | "update-ratio"
            | "malformed-ratio"
            | "malformed-kinds"
            | "invalid-ratio"
            | "invalid-kinds"
          >,
    )
    .superRefine((v, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
      if (v.rate !== undefined && v.max) issue("rate", "--rate and --max exclude each other: choose one");
      if (v.idempotence === "on" && v.acks !== "all")
        issue("idempotence", `needs --acks all (Kafka refuses idempotent writes otherwise), got --acks ${v.acks}`);
      if (v["min-devices"] > v["max-devices"])
        issue("min-devices", `must not exceed --max-devices (${v["max-devices"]}), got ${v["min-devices"]}`);
      if (v["min-metrics"] > v["max-metrics"])
        issue("min-metrics", `must not exceed --max-metrics (${v["max-metrics"]}), got ${v["min-metrics"]}`);
      const faults = v["duplicate-ratio"] + v["update-ratio"] + v["malformed-ratio"] + v["invalid-ratio"];
      if (faults > 1) issue("duplicate-ratio", `the four --*-ratio flags must add up to at most 1, got ${faults}`);
    });
}

/** The --help text of the flags, with current defaults. */
export function produceFlagsHelp(env: Env): string {
  const rows = Object.entries(PRODUCE_FLAGS).map(([k, f]: [string, FlagSpec]) => {
    const left = `--${k}${f.arg ? ` ${f.arg}` : ""}`;
    const d = f.default?.(env);
    const right = `${f.help}${d !== undefined ? ` (default ${d}${f.env ? `, env ${f.env}` : ""})` : ""}`;
    return [left, right] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`).join("\n");
}
