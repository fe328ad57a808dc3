import { describe, expect, test } from "bun:test";
import { getTableConfig } from "drizzle-orm/pg-core";
import {
  CODES,
  CONNECT_TIMESTAMP,
  keyConnectSchema,
  keyJsonSchema,
  Metric,
  MetricKey,
  valueConnectSchema,
  valueJsonSchema,
  type ConnectSchema,
} from "../../src/contract/index.ts";
import { metrics } from "../../src/db/schema.ts";

const good = {
  device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c",
  published_at: Date.UTC(2026, 10, 23, 12, 0, 0, 123),
  metric_name: 30,
  value: 412.5,
  tags: ["site:7", "fw:1.2"],
};

describe("contract", () => {
  test("accepts a valid metric", () => {
    expect(Metric.parse(good)).toEqual(good);
  });

  test.each([
    ["device_id", { device_id: "not-a-uuid" }, "uuid"],
    ["device_id", { device_id: "3F2B6C1E-8A4D-4F7E-9C2A-1B3D5E7F9A0C" }, "lowercase"],
    ["metric_name", { metric_name: 40000 }, "metric codes"],
    ["metric_name", { metric_name: 11 }, "metric codes"],
    ["value", { value: Number.POSITIVE_INFINITY }, "finite"],
    ["value", { value: Number.NaN }, "finite"],
    ["published_at", { published_at: -1 }, "1970"],
    ["published_at", { published_at: 253_402_300_800_000 }, "10000"],
    ["published_at", { published_at: 1.5 }, "int"],
    ["tags", { tags: ["a\u0000b"] }, "NUL"],
    ["tags", { tags: ["x".repeat(65)] }, "64"],
    ["tags", { tags: Array(17).fill("t") }, "16"],
  ])("rejects a bad %s and names the field", (field, patch, hint) => {
    const r = Metric.safeParse({ ...good, ...patch });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path[0]).toBe(field);
    expect(issue.message).toContain(hint);
  });

  test("rejects unknown fields and missing fields", () => {
    expect(Metric.safeParse({ ...good, extra: 1 }).success).toBe(false);
    const { tags: _, ...noTags } = good;
    expect(Metric.safeParse(noTags).error?.issues[0]?.path).toEqual(["tags"]);
  });
});

/** Field name → [Connect type (with logical name), optional]. */
function connectFields(s: ConnectSchema): Record<string, [string, boolean]> {
  if (s.type !== "struct") throw new Error("not a struct");
  return Object.fromEntries(
    s.fields.map((f) => {
      const t = f.type === "array" ? `array<${f.items.type}>` : "name" in f && f.name ? `${f.type}:${f.name}` : f.type;
      return [f.field, [t, f.optional]];
    }),
  );
}

describe("renderings agree", () => {
  test("JSON Schema has every contract field, all required, no extras allowed", () => {
    const js = valueJsonSchema();
    expect(Object.keys(js.properties as object)).toEqual(Object.keys(Metric.shape));
    expect(js.required).toEqual(Object.keys(Metric.shape));
    expect(js.additionalProperties).toBe(false);
    expect(keyJsonSchema().required).toEqual(Object.keys(MetricKey.shape));
  });

  test("Connect value and key schemas", () => {
    expect(connectFields(valueConnectSchema())).toEqual({
      device_id: ["string", false],
      published_at: [`int64:${CONNECT_TIMESTAMP}`, false],
      metric_name: ["int16", false],
      value: ["double", false],
      tags: ["array<string>", false],
    });
    expect(connectFields(keyConnectSchema())).toEqual({
      device_id: ["string", false],
      metric_name: ["int16", false],
      published_at: [`int64:${CONNECT_TIMESTAMP}`, false],
    });
  });

  test("metric codes fit int16 and the table's smallint", () => {
    for (const c of CODES) expect(c).toBeLessThanOrEqual(32767);
  });

  test("drizzle table mirrors the Connect schema (names, types, nullability) and keys on the record key", () => {
    const cfg = getTableConfig(metrics);
    const pgType: Record<string, string | undefined> = {
      string: "uuid", // device_id is a uuid by the contract's pattern
      [`int64:${CONNECT_TIMESTAMP}`]: "timestamp with time zone",
      int16: "smallint",
      double: "double precision",
      "array<string>": "text[]",
    };
    const cols = Object.fromEntries(cfg.columns.map((c) => [c.name, [c.getSQLType().replace(/ ?\(\d+\)/, ""), !c.notNull]]));
    for (const [field, [type, optional]] of Object.entries(connectFields(valueConnectSchema()))) {
      expect([field, cols[field]]).toEqual([field, [pgType[type] ?? "?", optional]]);
    }
    expect(cfg.primaryKeys[0]!.columns.map((c) => c.name).sort()).toEqual(Object.keys(MetricKey.shape).sort());
  });
});
