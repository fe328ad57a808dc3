import { sql } from "drizzle-orm";
import {
  bigint,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * The metrics table. Its columns mirror the contract (src/contract); test/unit/contract.test.ts proves they agree.
 * The composite primary key makes a replayed or duplicated record an update of the same row, never a second row.
 * It is partitioned by range of published_at (migration 0001; drizzle cannot express partitioning), which is why the
 * partition key is part of the primary key. `created_at` is when the row first landed; `updated_at` when it last
 * changed (a trigger sets it on update, migration 0003): the rollups follow `updated_at`, the audit `created_at`.
 * Both get BRIN indexes: rows arrive in time order, so a BRIN costs the sink almost nothing and still lets a "since
 * T" scan skip the old blocks.
 */
export const metrics = pgTable(
  "metrics",
  {
    device_id: uuid("device_id").notNull(),
    published_at: timestamp("published_at", { withTimezone: true, precision: 3, mode: "date" }).notNull(),
    metric_name: smallint("metric_name").notNull(),
    value: doublePrecision("value").notNull(),
    tags: text("tags").array().notNull(),
    created_at: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    updated_at: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ name: "metrics_pkey", columns: [t.device_id, t.published_at, t.metric_name] }),
    index("metrics_created_at_brin").using("brin", t.created_at),
    index("metrics_updated_at_brin").using("brin", t.updated_at),
  ],
);

/** Columns shared by the rollup tables: one row per device × metric × bucket (count, min, max, avg, last). */
const rollupColumns = () => ({
  device_id: uuid("device_id").notNull(),
  metric_name: smallint("metric_name").notNull(),
  bucket: timestamp("bucket", { withTimezone: true, mode: "date" }).notNull(),
  n: bigint("n", { mode: "number" }).notNull(),
  min_value: doublePrecision("min_value").notNull(),
  max_value: doublePrecision("max_value").notNull(),
  sum_value: doublePrecision("sum_value").notNull(),
  avg_value: doublePrecision("avg_value").generatedAlwaysAs(sql`sum_value / n`),
  /** Value of the latest metric (by published_at) in the bucket, and its instant. */
  last_value: doublePrecision("last_value").notNull(),
  last_at: timestamp("last_at", { withTimezone: true, precision: 3, mode: "date" }).notNull(),
  /** Instant of the earliest metric in the bucket (null in rows rolled up before migration 0008 recomputed them). */
  first_at: timestamp("first_at", { withTimezone: true, precision: 3, mode: "date" }),
  /**
   * The bucket's values as a histogram with 1 % relative bins (`sluice_bin`, `sluice_bin_value`, migration 0008):
   * bin keys ascending and their counts, so percentiles over any set of buckets are within 1 % of the exact ones.
   */
  hist_bins: integer("hist_bins").array().notNull().default(sql`'{}'`),
  hist_counts: integer("hist_counts").array().notNull().default(sql`'{}'`),
});

/** Per-minute rollup of `metrics`, recomputed for the buckets that changed (src/db/rollup.ts). */
export const metricsRollup1m = pgTable("metrics_rollup_1m", rollupColumns(), (t) => [
  primaryKey({ name: "metrics_rollup_1m_pkey", columns: [t.device_id, t.metric_name, t.bucket] }),
  index("metrics_rollup_1m_bucket").on(t.bucket),
]);

/** Per-hour rollup, recomputed from the per-minute one. */
export const metricsRollup1h = pgTable(
  "metrics_rollup_1h",
  {
    ...rollupColumns(),
    /**
     * The minutes of the hour that have data, bit k for minute k (migration 0009): a device's active minutes are the
     * bits set in the OR of its metrics' masks, without reading the minute rollup.
     */
    minute_mask: bigint("minute_mask", { mode: "bigint" }).notNull().default(sql`0`),
  },
  (t) => [
    primaryKey({ name: "metrics_rollup_1h_pkey", columns: [t.device_id, t.metric_name, t.bucket] }),
    index("metrics_rollup_1h_bucket").on(t.bucket),
  ],
);

/**
 * Per-metric hourly histogram of a source table (all devices merged), kept by `sluice_rollup` beside the per-device
 * rollups (migration 0009): a fleet-wide percentile per hour merges a few hundred bins instead of every device's.
 */
export const metricsHist1h = pgTable(
  "metrics_hist_1h",
  {
    source: text("source").notNull(),
    metric_name: smallint("metric_name").notNull(),
    bucket: timestamp("bucket", { withTimezone: true, mode: "date" }).notNull(),
    n: bigint("n", { mode: "number" }).notNull(),
    last_at: timestamp("last_at", { withTimezone: true, precision: 3, mode: "date" }).notNull(),
    hist_bins: integer("hist_bins").array().notNull(),
    hist_counts: bigint("hist_counts", { mode: "number" }).array().notNull(),
  },
  (t) => [primaryKey({ name: "metrics_hist_1h_pkey", columns: [t.source, t.metric_name, t.bucket] })],
);

/**
 * Rows landed per minute of `created_at` (the database's clock), per source table, kept by `sluice_rollup` for the
 * rows created before its watermark: the landing rate without scanning the table.
 */
export const metricsLanded1m = pgTable(
  "metrics_landed_1m",
  {
    source: text("source").notNull(),
    minute: timestamp("minute", { withTimezone: true, mode: "date" }).notNull(),
    rows: bigint("rows", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ name: "metrics_landed_1m_pkey", columns: [t.source, t.minute] })],
);

/**
 * Freshness of the rollups of one source table: every change of the source with updated_at < watermark is rolled
 * up. Analysts read it to know how current a dashboard is.
 */
export const rollupState = pgTable("sluice_rollup_state", {
  source: text("source").primaryKey(),
  watermark: timestamp("watermark", { withTimezone: true, mode: "date" }).notNull(),
  rolled_at: timestamp("rolled_at", { withTimezone: true, mode: "date" }).notNull(),
  changed_rows: bigint("changed_rows", { mode: "number" }).notNull(),
  buckets_1m: integer("buckets_1m").notNull(),
});

/**
 * The contract's metric codes as data, so analysts see names and units instead of numbers (`metrics.metric_name`
 * holds the code). The setup job keeps it equal to src/contract/codes.ts (src/db/metric-codes.ts); the query pack
 * joins it.
 */
export const metricCodes = pgTable("metric_codes", {
  code: smallint("code").primaryKey(),
  name: text("name").notNull().unique(),
  unit: text("unit").notNull(),
  description: text("description").notNull(),
});
