// The contract rollout plan (src/contract/rollout.ts): order, refusals and their messages, variant contracts.
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { contractConfig } from "../../src/connect/desired.ts";
import {
  CONTRACT,
  defineContract,
  SHIPPED_CODES,
  valueConnectSchema,
  valueJsonSchema,
} from "../../src/contract/index.ts";
import {
  columnProblems,
  contractChange,
  explainIncompatible,
  formatRollout,
  type LiveColumn,
  planRollout,
  type RolloutDesired,
  type RolloutState,
} from "../../src/contract/rollout.ts";
import { contractCodeRows } from "../../src/db/metric-codes.ts";
import { migrationStatus, orderNewest } from "../../src/db/migrate.ts";
import { judge } from "../../src/dlq/fix.ts";
import { encodeValue } from "../../src/producer/encode.ts";

const withVoltage = defineContract({
  codes: { ...SHIPPED_CODES, voltage: { code: 60, unit: "V", description: "supply voltage" } },
});
const withUnit = defineContract({ codes: SHIPPED_CODES, optional: { unit: z.string().max(16) } });

const desired = (c = CONTRACT): RolloutDesired => ({
  subject: "metrics-value",
  table: "metrics",
  connector: "metrics-sink",
  schema: valueJsonSchema(c),
  connectSchema: valueConnectSchema(c),
  codes: contractCodeRows(c),
  connectorConfig: contractConfig(c),
});

const col = (type: string, notNull = true): LiveColumn => ({ type, notNull, hasDefault: false });
const COLUMNS = new Map<string, LiveColumn>([
  ["device_id", col("uuid")],
  ["published_at", col("timestamp with time zone")],
  ["metric_name", col("smallint")],
  ["value", col("double precision")],
  ["tags", col("text[]")],
  ["created_at", { type: "timestamp with time zone", notNull: true, hasDefault: true }],
]);

/** A pipeline that runs the shipped contract, fully applied. */
const live = (over: Partial<RolloutState> = {}): RolloutState => ({
  registry: { kind: "compatible", latest: 1, registered: valueJsonSchema() },
  columns: COLUMNS,
  pendingMigrations: [],
  sinkRole: true,
  sinkUnreadable: [],
  codes: contractCodeRows(),
  connector: { name: "metrics-sink", ...contractConfig(CONTRACT) },
  ...over,
});

describe("variant contracts", () => {
  test("the shipped contract is Metric itself; a variant with an optional field leaves it out of required", () => {
    const s = valueJsonSchema(withUnit);
    expect(s.required).toEqual(["device_id", "published_at", "metric_name", "value", "tags"]);
    expect(Object.keys(s.properties as object)).toContain("unit");
    const unit = (valueConnectSchema(withUnit) as { fields: { field: string; optional: boolean }[] }).fields.at(-1);
    expect(unit).toMatchObject({ field: "unit", type: "string", optional: true });
    expect(() =>
      defineContract({
        codes: { a: { code: 1, unit: "", description: "" }, b: { code: 1, unit: "", description: "" } },
      }),
    ).toThrow("share a code");
  });

  test("the DLQ judge takes the contract: code 60 and a unit pass the variant that has them, not the shipped one", () => {
    const m = {
      device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c",
      published_at: 1,
      metric_name: 60,
      value: 3.3,
      tags: [],
    };
    expect(judge(JSON.stringify(m), null, []).ok).toBe(false);
    expect(judge(JSON.stringify(m), null, [], withVoltage)).toEqual({ ok: true, metric: m as never });
    const u = { ...m, metric_name: 0, unit: "C" };
    expect(judge(JSON.stringify(u), null, []).ok).toBe(false);
    expect(judge(JSON.stringify(u), null, [], withUnit)).toEqual({ ok: true, metric: u as never });
  });
});

test("a record's optional fields are encoded after the five, in the contract's order, only when it has them", () => {
  const m = {
    device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c",
    published_at: 1,
    metric_name: 0,
    value: 2.5,
    tags: [],
  };
  const u = { ...m, unit: 'say "V"' } as typeof m;
  expect(encodeValue(u, withUnit.optionalFields)).toBe(JSON.stringify(u));
  expect(JSON.parse(encodeValue(u, withUnit.optionalFields))).toEqual(withUnit.value.parse(u));
  expect(encodeValue(m, withUnit.optionalFields)).toBe(JSON.stringify(m));
  expect(encodeValue(u)).toBe(JSON.stringify(m)); // the shipped contract has no optional field
});

describe("contractChange", () => {
  test("names codes and fields added, removed and newly required", () => {
    expect(contractChange(valueJsonSchema(), valueJsonSchema(withVoltage))).toEqual({
      codesAdded: [60],
      codesRemoved: [],
      fieldsAdded: [],
      fieldsRemoved: [],
      newlyRequired: [],
    });
    const noTags = structuredClone(valueJsonSchema());
    delete (noTags.properties as Record<string, unknown>).tags;
    noTags.required = (noTags.required as string[]).filter((f) => f !== "tags");
    expect(contractChange(valueJsonSchema(), noTags).fieldsRemoved).toEqual(["tags"]);
    const required = structuredClone(valueJsonSchema(withUnit));
    (required.required as string[]).push("unit");
    expect(contractChange(valueJsonSchema(), required)).toMatchObject({
      fieldsAdded: ["unit"],
      newlyRequired: ["unit"],
    });
  });
});

describe("explainIncompatible", () => {
  const change = (over = {}) => ({
    codesAdded: [],
    codesRemoved: [],
    fieldsAdded: [],
    fieldsRemoved: [],
    newlyRequired: [],
    ...over,
  });
  test("a removed field is named, with the rule and what to do instead", () => {
    const [m] = explainIncompatible(
      ["OBJECT_TYPE_PROPERTY_SCHEMAS_NARROWED at /propertySchemasRemoved"],
      change({ fieldsRemoved: ["tags"] }),
    );
    expect(m).toContain("field tags removed");
    expect(m).toContain("keep the field");
    expect(m).toContain("OBJECT_TYPE_PROPERTY_SCHEMAS_NARROWED at /propertySchemasRemoved");
  });
  test("removed codes, a required field, a narrowed type and range each get their own explanation", () => {
    expect(
      explainIncompatible(
        ["COMBINED_TYPE_SUBSCHEMA_NOT_COMPATIBLE at /properties/metric_name"],
        change({ codesRemoved: [50] }),
      )[0],
    ).toContain("metric codes removed");
    expect(
      explainIncompatible(
        ["OBJECT_TYPE_REQUIRED_PROPERTIES_MEMBER_ADDED at /required"],
        change({ newlyRequired: ["unit"] }),
      )[0],
    ).toContain("field unit made required");
    expect(
      explainIncompatible(["NUMBER_TYPE_INTEGER_REQUIRED_FALSE_TO_TRUE at /properties/value/type"], change())[0],
    ).toContain("field value: type narrowed");
    expect(explainIncompatible(["NUMBER_TYPE_MAXIMUM_DECREASED at /properties/value/maximum"], change())[0]).toContain(
      "field value: constraint narrowed",
    );
  });
  test("a registry that gives no reason: the change is described instead; other text is passed on", () => {
    expect(explainIncompatible([], change({ fieldsRemoved: ["tags"] }))[0]).toContain("fields removed tags");
    expect(explainIncompatible(["Found incompatible change: x"], change())).toEqual(["Found incompatible change: x"]);
  });
});

describe("columnProblems", () => {
  test("a new optional field needs a nullable column of a type that fits", () => {
    const d = desired(withUnit);
    expect(columnProblems(d, COLUMNS, false).refusals[0]).toContain(
      "field unit has no column in metrics: add it with a migration (column unit text",
    );
    expect(columnProblems(d, COLUMNS, true)).toEqual({ refusals: [], mustAdd: ["unit"] });
    const withCol = (c: LiveColumn) => new Map([...COLUMNS, ["unit", c]]);
    expect(columnProblems(d, withCol(col("text", false)), false).refusals).toEqual([]);
    expect(columnProblems(d, withCol(col("integer", false)), false).refusals[0]).toContain(
      "cannot be written to column metrics.unit of type integer",
    );
    expect(columnProblems(d, withCol(col("text", true)), false).refusals[0]).toContain("NOT NULL without a default");
  });
  test("no table and no migration to create it is refused; with migrations pending it is theirs to create", () => {
    expect(columnProblems(desired(), undefined, false).refusals[0]).toContain("does not exist");
    expect(columnProblems(desired(), undefined, true).refusals).toEqual([]);
  });
});

describe("planRollout", () => {
  test("nothing to do when everything holds the contract", () => {
    const p = planRollout(desired(), live({ registry: { kind: "registered", version: 1, id: 1 } }));
    expect(p).toMatchObject({ steps: [], refusals: [] });
    expect(formatRollout(p)).toContain("nothing to do");
  });

  test("a new code: codes row, registry version 2, connector update, then producers — in that order", () => {
    const p = planRollout(desired(withVoltage), live());
    expect(p.refusals).toEqual([]);
    expect(p.steps.map((s) => s.phase)).toEqual(["database", "registry", "connector", "producers"]);
    expect(p.steps[0]).toMatchObject({ action: "codes", upsert: [{ code: 60, name: "voltage" }], remove: [] });
    expect(p.steps[1]).toMatchObject({ version: 2 });
    expect(p.steps[2]).toMatchObject({
      action: "update",
      keys: ["key.converter.contract", "value.converter.contract"],
    });
    expect(p.steps[3]).toMatchObject({ codes: [60], fields: [] });
    expect(formatRollout(p)).toMatch(/1\. database.*\n.*2\. registry.*\n.*3\. connector.*\n.*4\. producers/);
  });

  test("a new field: the migration that must add its column comes first", () => {
    const p = planRollout(desired(withUnit), live({ pendingMigrations: ["0008_unit"] }));
    expect(p.refusals).toEqual([]);
    expect(p.steps[0]).toEqual({ phase: "database", action: "migrate", migrations: ["0008_unit"], mustAdd: ["unit"] });
    // The sink's upsert compares the stored unit with the new one: it must be allowed to read it.
    expect(p.steps[1]).toEqual({ phase: "database", action: "grant", columns: ["unit"] });
    expect(p.steps.at(-1)).toMatchObject({ phase: "producers", fields: ["unit"] });
    const noRole = planRollout(desired(withUnit), live({ pendingMigrations: ["0008_unit"], sinkRole: false }));
    expect(noRole.steps.some((s) => "action" in s && s.action === "grant")).toBe(false);
  });

  test("the registry's refusal refuses the plan, unless every difference is an accepted tightening", () => {
    const refused = planRollout(
      desired(),
      live({
        registry: {
          kind: "incompatible",
          latest: 1,
          registered: valueJsonSchema(),
          diffs: ["NUMBER_TYPE_MAXIMUM_DECREASED at /properties/value/maximum"],
        },
      }),
    );
    expect(refused.refusals).toHaveLength(1);
    expect(formatRollout(refused)).toContain("refused, nothing will be applied");
    expect(formatRollout(refused)).toContain("version 2 (the registry refuses it");
    const accepted = planRollout(
      desired(),
      live({
        registry: {
          kind: "incompatible",
          latest: 1,
          registered: valueJsonSchema(),
          diffs: ["NUMBER_TYPE_MAXIMUM_ADDED at /properties/value/maximum"],
        },
      }),
    );
    expect(accepted.refusals).toEqual([]);
    expect(accepted.steps[0]).toMatchObject({
      phase: "registry",
      tightenings: ["NUMBER_TYPE_MAXIMUM_ADDED at /properties/value/maximum"],
    });
  });

  test("a fresh stack: migrations, every code, version 1, connector created; producers wait for nothing new", () => {
    const p = planRollout(
      desired(),
      live({
        registry: { kind: "new" },
        columns: undefined,
        pendingMigrations: ["0000_init"],
        codes: [],
        connector: undefined,
      }),
    );
    expect(p.refusals).toEqual([]);
    expect(p.steps.map((s) => `${s.phase}:${"action" in s ? s.action : ""}`)).toEqual([
      "database:migrate",
      "database:codes",
      "registry:register",
      "connector:create",
    ]);
  });
});

describe("migrationStatus", () => {
  const journal = [
    { when: 100, tag: "0000_init" },
    { when: 300, tag: "0001_codes" },
    { when: 200, tag: "0002_unit" },
  ];
  test("pending: newer than the last applied; an older unapplied one is named as skipped, as drizzle would skip it", () => {
    expect(migrationStatus(journal, [])).toEqual({ pending: ["0000_init", "0001_codes", "0002_unit"], skipped: [] });
    expect(migrationStatus(journal, [100])).toEqual({ pending: ["0001_codes", "0002_unit"], skipped: [] });
    expect(migrationStatus(journal, [100, 300])).toEqual({ pending: [], skipped: ["0002_unit"] });
    expect(migrationStatus(journal, [100, 200, 300])).toEqual({ pending: [], skipped: [] });
  });
});

test("a migration generated while an earlier one is dated ahead of the clock is moved after it", () => {
  const a = { when: 100, tag: "0000_init", idx: 0 };
  expect(orderNewest([a, { when: 50, tag: "0001_unit", idx: 1 }])).toEqual([
    a,
    { when: 101, tag: "0001_unit", idx: 1 },
  ]);
  expect(orderNewest([a, { when: 150, tag: "0001_unit", idx: 1 }])).toEqual([
    a,
    { when: 150, tag: "0001_unit", idx: 1 },
  ]);
  expect(orderNewest([])).toEqual([]);
});
