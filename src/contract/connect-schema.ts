import { CONTRACT, type Contract } from "./contract.ts";
import { type JsonSchema, keyJsonSchema, valueJsonSchema } from "./json-schema.ts";
import { TIMESTAMP_MILLIS } from "./metric.ts";

/**
 * A Kafka Connect schema in the JSON form that JsonConverter reads from `schema.content` (KIP-1054). Note the JSON
 * names: `float`/`double`, not Connect's `FLOAT32`/`FLOAT64`.
 */
export type ConnectSchema =
  | {
      type: "int8" | "int16" | "int32" | "int64" | "float" | "double" | "boolean" | "string";
      optional: boolean;
      name?: string;
      version?: number;
    }
  | { type: "array"; items: ConnectSchema; optional: boolean }
  | { type: "struct"; fields: (ConnectSchema & { field: string })[]; optional: boolean; name?: string };

export const CONNECT_TIMESTAMP = "org.apache.kafka.connect.data.Timestamp";

/** Smallest Connect integer type that holds every value the JSON Schema allows. */
function integerType(s: JsonSchema): "int16" | "int32" | "int64" {
  const values = Array.isArray(s.enum) ? (s.enum as number[]) : undefined;
  const min = values ? Math.min(...values) : (s.minimum as number | undefined);
  const max = values ? Math.max(...values) : (s.maximum as number | undefined);
  if (min === undefined || max === undefined) return "int64";
  if (min >= -32768 && max <= 32767) return "int16";
  if (min >= -2147483648 && max <= 2147483647) return "int32";
  return "int64";
}

function isIntegerSchema(s: JsonSchema): boolean {
  if (s.type === "integer") return true;
  return Array.isArray(s.enum) && s.enum.every((v) => Number.isInteger(v));
}

/**
 * Renders a JSON Schema node (as produced from the zod contract) into a Connect schema. Throws on a construct the
 * contract does not use, so a contract change that Connect cannot represent fails loudly instead of drifting.
 */
export function toConnectSchema(s: JsonSchema, optional = false, path = "$"): ConnectSchema {
  if (s["x-logical-type"] === TIMESTAMP_MILLIS) return { type: "int64", name: CONNECT_TIMESTAMP, version: 1, optional };
  if (isIntegerSchema(s)) return { type: integerType(s), optional };
  switch (s.type) {
    case "number":
      return { type: "double", optional };
    case "string":
      return { type: "string", optional };
    case "boolean":
      return { type: "boolean", optional };
    case "array":
      return { type: "array", items: toConnectSchema(s.items as JsonSchema, false, `${path}[]`), optional };
    case "object": {
      const props = s.properties as Record<string, JsonSchema>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      return {
        type: "struct",
        optional,
        fields: Object.entries(props).map(([field, p]) => ({
          field,
          ...toConnectSchema(p, !required.has(field), `${path}.${field}`),
        })),
      };
    }
    default:
      throw new Error(`contract: cannot render ${path} (${JSON.stringify(s).slice(0, 120)}) as a Kafka Connect schema`);
  }
}

/** Connect schema of the record value, for `value.converter.schema.content`. */
export function valueConnectSchema(contract: Contract = CONTRACT): ConnectSchema {
  return { ...toConnectSchema(valueJsonSchema(contract)), name: "sluice.Metric" } as ConnectSchema;
}

/** Connect schema of the record key, for `key.converter.schema.content`. */
export function keyConnectSchema(contract: Contract = CONTRACT): ConnectSchema {
  return { ...toConnectSchema(keyJsonSchema(contract)), name: "sluice.MetricKey" } as ConnectSchema;
}
