import { z } from "zod";
import { Metric, MetricKey } from "./metric.ts";

/** Registry subject of the record value (TopicNameStrategy). */
export const VALUE_SUBJECT = "metrics-value";
export const KEY_SUBJECT = "metrics-key";

export type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12) of the record value, as registered in the schema registry. */
export function valueJsonSchema(): JsonSchema {
  return z.toJSONSchema(Metric, { target: "draft-2020-12" }) as JsonSchema;
}

/** JSON Schema of the record key. */
export function keyJsonSchema(): JsonSchema {
  return z.toJSONSchema(MetricKey, { target: "draft-2020-12" }) as JsonSchema;
}
