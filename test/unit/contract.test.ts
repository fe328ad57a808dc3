import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { getTableConfig } from "drizzle-orm/pg-core";
import type { z } from "zod";
import {
  CODES,
  CONNECT_TIMESTAMP,
  type ConnectSchema,
  keyConnectSchema,
  keyJsonSchema,
  MAX_TAG_LENGTH,
  Metric,
  MetricKey,
  TAG_PATTERN,
  valueConnectSchema,
  valueJsonSchema,
} from "../../src/contract/index.ts";
import { metrics } from "../../src/db/schema.ts";
import { judge } from "../../src/dlq/fix.ts";
import { validateBatch } from "../../src/server/ingest.ts";
import { renderSchemas, SCHEMAS_FILE } from "../vectors/schemas.ts";

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
    const cols = Object.fromEntries(
      cfg.columns.map((c) => [c.name, [c.getSQLType().replace(/ ?\(\d+\)/, ""), !c.notNull]]),
    );
    for (const [field, [type, optional]] of Object.entries(connectFields(valueConnectSchema()))) {
      expect([field, cols[field]]).toEqual([field, [pgType[type] ?? "?", optional]]);
    }
    expect(cfg.primaryKeys[0]!.columns.map((c) => c.name).sort()).toEqual(Object.keys(MetricKey.shape).sort());
  });
});

/** One vector of test/vectors/contract.json: the record as text and whether (and at which field) it is refused. */
interface Vector {
  readonly name: string;
  readonly json: string;
  readonly valid: boolean;
  readonly field?: string;
}
type Verdict = { valid: true } | { valid: false; field: string };

const vectors = JSON.parse(readFileSync(new URL("../vectors/contract.json", import.meta.url), "utf8")) as {
  value: Vector[];
  key: Vector[];
};
const expected = (v: Vector): Verdict => (v.valid ? { valid: true } : { valid: false, field: v.field! });

/** The zod contract's verdict on a record's text, parsed as every TypeScript entry point parses it. */
function zodVerdict(schema: z.ZodType, text: string): Verdict {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { valid: false, field: "$" };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { valid: true };
  const issue = r.error.issues[0]!;
  if (issue.code === "unrecognized_keys") return { valid: false, field: issue.keys[0]! };
  return { valid: false, field: issue.path.length ? String(issue.path[0]) : "$" };
}

// The registry's validator settings (src/registry/register.ts): draft-07, formats, `x-` annotations tolerated.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

/** The registered JSON Schema's verdict (ajv counts maxLength in code points and reads patterns with the u flag). */
function jsonSchemaVerdict(schema: object, text: string): Verdict {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { valid: false, field: "$" };
  }
  if (ajv.validate(schema, raw)) return { valid: true };
  const e = ajv.errors![0]!;
  const field =
    e.instancePath.split("/")[1] ??
    (e.params as Record<string, string | undefined>).missingProperty ??
    (e.params as Record<string, string | undefined>).additionalProperty ??
    "$";
  return { valid: false, field };
}

describe("contract vectors (test/vectors/contract.json; the Java converter runs the same file)", () => {
  test.each(vectors.value.map((v) => [v.name, v] as const))("value: %s", (_, v) => {
    expect({ zod: zodVerdict(Metric, v.json), jsonSchema: jsonSchemaVerdict(valueJsonSchema(), v.json) }).toEqual({
      zod: expected(v),
      jsonSchema: expected(v),
    });
  });

  test.each(vectors.key.map((v) => [v.name, v] as const))("key: %s", (_, v) => {
    expect({ zod: zodVerdict(MetricKey, v.json), jsonSchema: jsonSchemaVerdict(keyJsonSchema(), v.json) }).toEqual({
      zod: expected(v),
      jsonSchema: expected(v),
    });
  });

  test("the converter config the Java test reads is what src/contract renders today", () => {
    // On a difference: regenerate with `./node_modules/.bin/bun test/vectors/schemas.ts` and commit it.
    expect(readFileSync(SCHEMAS_FILE, "utf8")).toBe(renderSchemas());
  });

  test("the JSON Schema says what zod checks: tag maxLength and the well-formed, NUL-free pattern", () => {
    const tag = (valueJsonSchema().properties as Record<string, { items: Record<string, unknown> }>).tags!.items;
    expect(tag).toEqual({ type: "string", maxLength: MAX_TAG_LENGTH, pattern: TAG_PATTERN.source });
  });
});

describe("the entry points use the contract", () => {
  const loneSurrogate = vectors.value.find((v) => v.name === "tags: a lone high surrogate")!.json;

  test("HTTP ingest refuses a lone surrogate in a tag (400, naming the field), as the sink would", () => {
    const r = validateBatch(JSON.parse(`{"metrics":[${loneSurrogate}]}`), 10);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => [e.index, e.field])).toEqual([[0, "tags.0"]]);
  });

  test("dlq replay keeps a dead letter with a lone surrogate instead of re-sending it", () => {
    const v = judge(loneSurrogate, null, ["lowercase-ids", "drop-unknown-fields"]);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain("lone surrogate");
  });
});
