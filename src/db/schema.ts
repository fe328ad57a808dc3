import { sql } from "drizzle-orm";
import { doublePrecision, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The metrics table. Its columns mirror the contract (src/contract); test/unit/contract.test.ts proves they agree.
 * The composite primary key makes a replayed or duplicated record an update of the same row, never a second row.
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
  },
  (t) => [primaryKey({ name: "metrics_pkey", columns: [t.device_id, t.published_at, t.metric_name] })],
);
