import type { ConnectSchema } from "./connect-schema.ts";
import { ACCEPTED_TIGHTENINGS, type JsonSchema } from "./json-schema.ts";

/**
 * A contract change on a running pipeline as one plan, in the only safe order: the database first (migrations, then
 * `metric_codes`), then the registry, then the connector, and only then may producers send what is new. Pure: the
 * state is gathered by src/contract/rollout-live.ts, the steps are carried out by `sluice setup`.
 */

/** What a contract change adds or takes away, read from two value JSON Schemas. */
export interface ContractChange {
  readonly codesAdded: readonly number[];
  readonly codesRemoved: readonly number[];
  readonly fieldsAdded: readonly string[];
  readonly fieldsRemoved: readonly string[];
  /** Fields required now that were optional or absent. */
  readonly newlyRequired: readonly string[];
}

/** One metric code row as `metric_codes` holds it. */
export interface CodeRow {
  readonly code: number;
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

/** A table column as the catalog shows it (type without modifiers: `format_type(atttypid, null)`). */
export interface LiveColumn {
  readonly type: string;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
}

/**
 * What the registry says of a schema against what its subject holds (asked by src/registry/compatibility.ts, never
 * guessed).
 */
export type RegistryVerdict =
  /** Nothing registered under the subject yet: the schema becomes version 1. */
  | { readonly kind: "new" }
  /** This very schema is registered already. */
  | { readonly kind: "registered"; readonly version: number; readonly id: number }
  /** It may be registered after `latest` under the subject's compatibility level. */
  | { readonly kind: "compatible"; readonly latest: number; readonly registered: JsonSchema }
  /** Refused; `diffs` are the registry's reasons (`TYPE at /path`), when it gives them. */
  | {
      readonly kind: "incompatible";
      readonly latest: number;
      readonly registered: JsonSchema;
      readonly diffs: readonly string[];
    };

/** What the change should reach. */
export interface RolloutDesired {
  readonly subject: string;
  readonly table: string;
  /** The connector that writes the table with the contract converter, if any. */
  readonly connector: string | undefined;
  /** The value JSON Schema (registered) and the value Connect schema (what the sink writes, field by field). */
  readonly schema: JsonSchema;
  readonly connectSchema: ConnectSchema;
  readonly codes: readonly CodeRow[];
  /** The connector settings the contract implies (src/connect/desired.ts contractConfig). */
  readonly connectorConfig: Readonly<Record<string, string>>;
}

/** What is live, gathered before anything is touched. */
export interface RolloutState {
  readonly registry: RegistryVerdict;
  /** Columns of the table by name; undefined when it does not exist yet. */
  readonly columns: ReadonlyMap<string, LiveColumn> | undefined;
  /** Migrations not yet applied, by name. */
  readonly pendingMigrations: readonly string[];
  /** Whether the sink's role (sluice_sink) exists, and the existing contract columns it may not read. */
  readonly sinkRole: boolean;
  readonly sinkUnreadable: readonly string[];
  readonly codes: readonly CodeRow[];
  /** The connector's live config; undefined when it does not exist. */
  readonly connector: Readonly<Record<string, string>> | undefined;
}

export type RolloutStep =
  | {
      readonly phase: "database";
      readonly action: "migrate";
      readonly migrations: readonly string[];
      readonly mustAdd: readonly string[];
    }
  | { readonly phase: "database"; readonly action: "grant"; readonly columns: readonly string[] }
  | {
      readonly phase: "database";
      readonly action: "codes";
      readonly upsert: readonly CodeRow[];
      readonly remove: readonly number[];
    }
  | {
      readonly phase: "registry";
      readonly action: "register";
      readonly subject: string;
      readonly version: number;
      /** Whether the registry takes it under BACKWARD: yes, with the accepted tightenings, or no (refused). */
      readonly compatible: boolean;
      readonly tightenings: readonly string[];
    }
  | {
      readonly phase: "connector";
      readonly action: "create" | "update";
      readonly name: string;
      readonly keys: readonly string[];
    }
  | {
      readonly phase: "producers";
      readonly codes: readonly number[];
      readonly fields: readonly string[];
      readonly connector: string;
    };

export interface RolloutPlan {
  readonly change: ContractChange;
  readonly steps: readonly RolloutStep[];
  /** Why the change may not be applied at all; empty when it may. Nothing is touched when it is not. */
  readonly refusals: readonly string[];
}

const props = (s: JsonSchema | undefined) => Object.keys((s?.properties as Record<string, unknown>) ?? {});
const required = (s: JsonSchema | undefined) => new Set((s?.required as string[] | undefined) ?? []);
const codesOf = (s: JsonSchema | undefined) =>
  ((s?.properties as Record<string, JsonSchema> | undefined)?.metric_name?.enum as number[] | undefined) ?? [];
const minus = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => !b.includes(x));

/** What `to` adds to or takes from `from` (nothing known before: everything is added). Pure. */
export function contractChange(from: JsonSchema | undefined, to: JsonSchema): ContractChange {
  const before = required(from);
  return {
    codesAdded: minus(codesOf(to), codesOf(from)),
    codesRemoved: minus(codesOf(from), codesOf(to)),
    fieldsAdded: minus(props(to), props(from)),
    fieldsRemoved: minus(props(from), props(to)),
    newlyRequired: from ? [...required(to)].filter((f) => !before.has(f)) : [],
  };
}

/**
 * The registry's reasons in words: which field, what rule, why it would break, what to do instead. `TYPE at /path`
 * is Apicurio's form; other text (Confluent's messages) is passed on as it is. Pure.
 */
export function explainIncompatible(diffs: readonly string[], change: ContractChange): string[] {
  if (diffs.length === 0)
    return [`the registry refuses the change without naming a rule; the change: ${describeChange(change)}`];
  return diffs.map((d) => {
    const m = /^([A-Z_]+) at (\S+)$/.exec(d);
    if (!m) return d;
    const [, rule, path] = m as unknown as [string, string, string];
    return `${explainRule(rule, fieldAt(path, rule, change))} (registry rule ${rule} at ${path})`;
  });
}

function fieldAt(path: string, rule: string, change: ContractChange): string {
  const named = /\/properties\/([^/]+)/.exec(path)?.[1];
  if (named) return named;
  if (rule.includes("REQUIRED")) return change.newlyRequired.join(", ") || path;
  if (path.includes("Removed") || rule.includes("NARROWED")) return change.fieldsRemoved.join(", ") || path;
  return path;
}

function explainRule(rule: string, field: string): string {
  if ((field === "metric_name" && rule.includes("SUBSCHEMA")) || rule.startsWith("ENUM"))
    return `field ${field}: metric codes removed, so records already sent with them would no longer be valid; keep every code that was ever sent (a retired code stays in the contract)`;
  if (rule.includes("REQUIRED") && rule.includes("ADDED"))
    return `field ${field} made required: records already sent lack it; add it as an optional field instead`;
  if (rule.includes("PROPERTY") && (rule.includes("REMOVED") || rule.includes("NARROWED")))
    return `field ${field} removed: records already on the topic carry it and the contract is closed, so they would no longer be valid; keep the field (optional, if producers should stop sending it)`;
  if (rule.includes("INTEGER_REQUIRED") || rule.includes("TYPE_CHANGED") || rule.includes("TYPE_NARROWED"))
    return `field ${field}: type narrowed, so values already sent would no longer be valid; keep the type (or add a new field)`;
  if (/DECREASED|INCREASED|ADDED|CHANGED/.test(rule))
    return `field ${field}: constraint narrowed, so values already sent may no longer be valid; keep the constraint as wide as it was`;
  return `field ${field}: the new contract cannot read records the registered one allowed`;
}

/** The change in a line, for people. */
export function describeChange(c: ContractChange): string {
  const parts = [
    c.codesAdded.length ? `codes added ${c.codesAdded.join(", ")}` : "",
    c.codesRemoved.length ? `codes removed ${c.codesRemoved.join(", ")}` : "",
    c.fieldsAdded.length ? `fields added ${c.fieldsAdded.join(", ")}` : "",
    c.fieldsRemoved.length ? `fields removed ${c.fieldsRemoved.join(", ")}` : "",
    c.newlyRequired.length ? `fields now required ${c.newlyRequired.join(", ")}` : "",
  ].filter(Boolean);
  return parts.length ? parts.join("; ") : "no change to fields or codes";
}

/**
 * Per Connect type: the PostgreSQL column types (as `format_type` prints them) that hold it exactly as the sink writes
 * it, the first being the one a migration gives a new field.
 */
const COLUMN_TYPES: Readonly<Record<string, readonly [string, ...string[]]>> = {
  string: ["text", "character varying", "uuid"],
  int16: ["smallint", "integer", "bigint"],
  int32: ["integer", "bigint"],
  int64: ["bigint"],
  double: ["double precision"],
  float: ["real", "double precision"],
  boolean: ["boolean"],
  timestamp: ["timestamp with time zone", "timestamp without time zone"],
  "array<string>": ["text[]", "character varying[]"],
};

function connectType(s: ConnectSchema): string {
  if (s.type === "array") return `array<${connectType(s.items)}>`;
  if (s.type === "int64" && "name" in s && s.name?.endsWith(".Timestamp")) return "timestamp";
  return s.type;
}

/** Each field of the value schema against the table: refusals, and the columns a migration must still add. Pure. */
export function columnProblems(
  desired: RolloutDesired,
  columns: ReadonlyMap<string, LiveColumn> | undefined,
  migrationsPending: boolean,
): { refusals: string[]; mustAdd: string[] } {
  const refusals: string[] = [];
  const mustAdd: string[] = [];
  if (desired.connectSchema.type !== "struct") return { refusals: ["the contract's value is not an object"], mustAdd };
  if (!columns) {
    if (!migrationsPending) refusals.push(`table ${desired.table} does not exist and no migration creates it`);
    return { refusals, mustAdd };
  }
  for (const f of desired.connectSchema.fields) {
    const type = connectType(f);
    const col = columns.get(f.field);
    const fits = COLUMN_TYPES[type] ?? [type];
    const ddl = `${f.field} ${fits[0]}${f.optional ? "" : " not null"}`;
    if (!col) {
      if (migrationsPending) mustAdd.push(f.field);
      else
        refusals.push(
          `field ${f.field} has no column in ${desired.table}: add it with a migration (column ${ddl}; for the shipped table in src/db/schema.ts, then \`sluice db generate --name ${f.field}\`), then run this again`,
        );
    } else if (!fits.includes(col.type)) {
      refusals.push(
        `field ${f.field} (${type}) cannot be written to column ${desired.table}.${f.field} of type ${col.type}: the column must be one of ${fits.join(", ")}`,
      );
    } else if (f.optional && col.notNull && !col.hasDefault) {
      refusals.push(
        `field ${f.field} is optional but column ${desired.table}.${f.field} is NOT NULL without a default: records without it would fail in PostgreSQL; make the column nullable`,
      );
    }
  }
  return { refusals, mustAdd };
}

const CONTRACT_KEY = "value.converter.contract";

/** The rollout plan: refusals first, then the steps in their safe order. Pure. */
export function planRollout(d: RolloutDesired, s: RolloutState): RolloutPlan {
  const known = s.connector?.[CONTRACT_KEY];
  const sinkKnows = known ? (JSON.parse(known) as JsonSchema) : undefined;
  const registered = "registered" in s.registry ? s.registry.registered : undefined;
  // What the registry compares against decides refusals; what the sink runs decides what producers wait for.
  const change = contractChange(registered ?? sinkKnows, d.schema);
  const refusals: string[] = [];
  let tightenings: string[] = [];
  if (s.registry.kind === "incompatible") {
    const unaccepted = s.registry.diffs.filter((x) => !ACCEPTED_TIGHTENINGS.includes(x));
    if (unaccepted.length > 0 || s.registry.diffs.length === 0)
      refusals.push(...explainIncompatible(unaccepted, change));
    else tightenings = [...s.registry.diffs];
  }
  const cols = columnProblems(d, s.columns, s.pendingMigrations.length > 0);
  refusals.push(...cols.refusals);
  const steps: RolloutStep[] = [];
  if (s.pendingMigrations.length > 0)
    steps.push({ phase: "database", action: "migrate", migrations: s.pendingMigrations, mustAdd: cols.mustAdd });
  const grant = s.sinkRole ? [...s.sinkUnreadable, ...cols.mustAdd.filter((c) => !s.sinkUnreadable.includes(c))] : [];
  if (grant.length > 0) steps.push({ phase: "database", action: "grant", columns: grant });
  const codes = codeChanges(d.codes, s.codes);
  if (codes.upsert.length > 0 || codes.remove.length > 0) steps.push({ phase: "database", action: "codes", ...codes });
  const version = s.registry.kind === "new" ? 1 : s.registry.kind === "registered" ? undefined : s.registry.latest + 1;
  if (version !== undefined)
    steps.push({
      phase: "registry",
      action: "register",
      subject: d.subject,
      version,
      compatible: s.registry.kind !== "incompatible" || tightenings.length > 0,
      tightenings,
    });
  const keys = Object.keys(d.connectorConfig).filter((k) => s.connector?.[k] !== d.connectorConfig[k]);
  if (d.connector && !s.connector) steps.push({ phase: "connector", action: "create", name: d.connector, keys });
  else if (d.connector && keys.length > 0)
    steps.push({ phase: "connector", action: "update", name: d.connector, keys });
  const forSink = contractChange(sinkKnows, d.schema);
  if (d.connector && s.connector && (forSink.codesAdded.length > 0 || forSink.fieldsAdded.length > 0))
    steps.push({ phase: "producers", codes: forSink.codesAdded, fields: forSink.fieldsAdded, connector: d.connector });
  return { change, steps, refusals };
}

function codeChanges(desired: readonly CodeRow[], live: readonly CodeRow[]) {
  const byCode = new Map(live.map((r) => [r.code, r]));
  const upsert = desired.filter((r) => {
    const l = byCode.get(r.code);
    return !l || l.name !== r.name || l.unit !== r.unit || l.description !== r.description;
  });
  const remove = live.filter((l) => !desired.some((r) => r.code === l.code)).map((l) => l.code);
  return { upsert, remove };
}

/** The plan for people: numbered steps in order, then what refuses it. Pure. */
export function formatRollout(plan: RolloutPlan): string {
  const lines = [`contract change: ${describeChange(plan.change)}`];
  lines.push(...plan.steps.map((s, i) => `  ${i + 1}. ${s.phase.padEnd(9)} ${describeStep(s)}`));
  if (plan.steps.length === 0) lines.push("  nothing to do: the database, registry and connector hold this contract");
  if (plan.refusals.length > 0) {
    lines.push("refused, nothing will be applied:");
    lines.push(...plan.refusals.map((r) => `  - ${r}`));
  }
  return lines.join("\n");
}

function describeStep(s: RolloutStep): string {
  switch (s.phase) {
    case "database":
      if (s.action === "migrate")
        return `apply migrations ${s.migrations.join(", ")}${s.mustAdd.length ? ` (they must add columns ${s.mustAdd.join(", ")}; checked after)` : ""}`;
      if (s.action === "grant")
        return `let the sink role read columns ${s.columns.join(", ")} (its upsert compares them)`;
      return `metric_codes: ${[
        ...s.upsert.map((r) => `set ${r.code} ${r.name} (${r.unit})`),
        ...s.remove.map((c) => `remove ${c}`),
      ].join(", ")}`;
    case "registry":
      return `register ${s.subject} version ${s.version}${s.version === 1 ? "" : s.compatible ? ` (BACKWARD compatible with version ${s.version - 1})` : ` (the registry refuses it: not BACKWARD compatible with version ${s.version - 1})`}${s.tightenings.length ? ` accepting ${s.tightenings.join("; ")}` : ""}`;
    case "connector":
      return `${s.action} ${s.name}: ${s.keys.join(", ") || "config"}, then wait until ${s.action === "update" ? "its tasks restarted with it" : "it is RUNNING"}`;
    case "producers":
      return `may send ${[
        s.codes.length ? `metric codes ${s.codes.join(", ")}` : "",
        s.fields.length ? `fields ${s.fields.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join(
          " and ",
        )} once ${s.connector} runs the new contract; sent earlier they go to the DLQ (replay them with \`sluice dlq replay\`)`;
  }
}
