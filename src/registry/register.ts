import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { SluiceError } from "../errors.ts";
import type { JsonSchema } from "../contract/index.ts";

/**
 * The registry client: JSON Schemas validated with Ajv (draft-07, as the contract is rendered), `format`
 * keywords (ajv-formats) and tolerates the contract's `x-` annotations.
 */
export function registryClient(url: string): SchemaRegistry {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return new SchemaRegistry({ host: url, retry: { retries: 2 } }, { [SchemaType.JSON]: { ajvInstance: ajv } });
}

/**
 * Sets BACKWARD compatibility on the subject, then registers the schema; returns its id. Registering the same
 * schema again returns the same id. An incompatible change is refused by the registry (HTTP 409).
 */
export async function registerContract(url: string, subject: string, schema: JsonSchema): Promise<number> {
  // Apicurio answers GET /config/{subject} with the global level where Confluent answers 404, so the level is set
  // explicitly before the first register instead of relying on the default.
  const res = await fetch(`${url}/config/${encodeURIComponent(subject)}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ compatibility: "BACKWARD" }),
  }).catch((e: Error) => {
    throw new SluiceError("REGISTRY_UNREACHABLE", `schema registry at ${url} did not answer (${e.message}); is the stack up (sluice status)?`, true);
  });
  if (!res.ok) throw new SluiceError("REGISTRY_CONFIG", `registry refused compatibility BACKWARD for ${subject}: ${res.status} ${await res.text()}`);
  try {
    const { id } = await registryClient(url).register(
      { type: SchemaType.JSON, schema: JSON.stringify(schema) },
      { subject, compatibility: "BACKWARD" as never },
    );
    return id;
  } catch (e) {
    const msg = (e as Error).message;
    const incompatible = /409|incompatible/i.test(msg);
    throw new SluiceError(
      incompatible ? "SCHEMA_INCOMPATIBLE" : "REGISTRY_REGISTER",
      incompatible
        ? `the contract is not BACKWARD compatible with the schema registered under ${subject}: ${msg}. Make the change compatible (add optional fields, do not narrow or remove) or register it under a new subject.`
        : `registering ${subject} failed: ${msg}`,
      !incompatible,
      { cause: e },
    );
  }
}
