import { z } from "zod";
import { CONTRACT, type Contract } from "./contract.ts";

/** Registry subject of the record value (TopicNameStrategy). */
export const VALUE_SUBJECT = "metrics-value";
export const KEY_SUBJECT = "metrics-key";

export type JsonSchema = Record<string, unknown>;

/**
 * Changes of the registered value schema that the registry's BACKWARD check refuses but that refuse only records the
 * sink's converter always refused (so no record that could ever land becomes invalid): the tag pattern now also
 * excludes lone surrogates, and `value` is bounded by the largest double (1e400 was always read as Infinity).
 * `registerContract` accepts exactly these differences (as the registry names them) and nothing else;
 * docs/decisions/contract-parity.md.
 */
export const ACCEPTED_TIGHTENINGS: readonly string[] = [
  "STRING_TYPE_PATTERN_CHANGED at /properties/tags/allItemSchema/pattern",
  "NUMBER_TYPE_MINIMUM_ADDED at /properties/value/minimum",
  "NUMBER_TYPE_MAXIMUM_ADDED at /properties/value/maximum",
];

/**
 * JSON Schema (draft-07) of the record value, as registered in the schema registry. Draft-07 rather than zod's
 * default 2020-12: Apicurio checks compatibility with the everit validator, which knows drafts 4–7 only and answers
 * "could not determine version" (HTTP 500) for a 2020-12 schema.
 */
export function valueJsonSchema(contract: Contract = CONTRACT): JsonSchema {
  return z.toJSONSchema(contract.value, { target: "draft-7" }) as JsonSchema;
}

/** JSON Schema of the record key. */
export function keyJsonSchema(contract: Contract = CONTRACT): JsonSchema {
  return z.toJSONSchema(contract.key, { target: "draft-7" }) as JsonSchema;
}
