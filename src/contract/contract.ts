import type { z } from "zod";
import { METRIC_CODES, METRIC_INFO, type MetricName } from "./codes.ts";
import { Metric, MetricKey, metricObjectsOf, OPTIONAL_FIELDS } from "./metric.ts";

/** One metric code: its number on the wire and in PostgreSQL, and what it measures (table `metric_codes`). */
export interface CodeDef {
  readonly code: number;
  readonly unit: string;
  readonly description: string;
}

/** A contract as data: its metric codes by name and, beyond the five fields, its optional fields in order. */
export interface ContractDef {
  readonly codes: Readonly<Record<string, CodeDef>>;
  readonly optional?: Readonly<Record<string, z.ZodType>>;
}

/**
 * A metric contract: the zod objects every artefact is derived from (registry JSON Schema, Connect schemas, the
 * connector's converter settings, `metric_codes`). The shipped one is {@link CONTRACT}; tests and worked examples
 * build variants with {@link defineContract} to evolve it on sandboxed subjects, topics and tables.
 */
export interface Contract {
  readonly codes: Readonly<Record<string, CodeDef>>;
  readonly value: z.ZodObject;
  readonly key: z.ZodObject;
  /** Names of the optional fields beyond the five, in order. */
  readonly optionalFields: readonly string[];
}

const codeNumbers = (codes: ContractDef["codes"]) =>
  Object.fromEntries(Object.entries(codes).map(([name, c]) => [name, c.code]));

/** Builds a contract from its definition. Throws when two names share a code. */
export function defineContract(def: ContractDef): Contract {
  const numbers = Object.values(def.codes).map((c) => c.code);
  if (new Set(numbers).size !== numbers.length) throw new Error("contract: two metric names share a code");
  const { value, key } = metricObjectsOf(codeNumbers(def.codes), def.optional ?? {});
  return { codes: def.codes, value, key, optionalFields: Object.keys(def.optional ?? {}) };
}

/** The shipped codes as a definition (src/contract/codes.ts). */
export const SHIPPED_CODES: Readonly<Record<string, CodeDef>> = Object.fromEntries(
  (Object.keys(METRIC_CODES) as MetricName[]).map((name) => {
    const { unit, description } = METRIC_INFO[name];
    return [name, { code: METRIC_CODES[name], unit, description }];
  }),
);

/** The shipped contract: {@link Metric} and {@link MetricKey} themselves. */
export const CONTRACT: Contract = {
  codes: SHIPPED_CODES,
  value: Metric,
  key: MetricKey,
  optionalFields: Object.keys(OPTIONAL_FIELDS),
};
