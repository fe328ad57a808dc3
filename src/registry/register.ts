import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { ACCEPTED_TIGHTENINGS, type JsonSchema } from "../contract/index.ts";
import { SluiceError } from "../errors.ts";

/**
 * The registry client: JSON Schemas validated with Ajv (draft-07, as the contract is rendered), `format`
 * keywords (ajv-formats) and tolerates the contract's `x-` annotations.
 */
export function registryClient(url: string): SchemaRegistry {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // The client's types name its own ajv 7; it only calls compile() and addSchema(), which ajv 8 has alike
  // (test/e2e/registry.test.ts registers through it).
  return new SchemaRegistry({ host: url, retry: { retries: 2 } }, { [SchemaType.JSON]: { ajvInstance: ajv as never } });
}

/**
 * Sets BACKWARD compatibility on the subject, then registers the schema; returns its id. Registering the same
 * schema again returns the same id. An incompatible change is refused by the registry (HTTP 409), unless every
 * difference the registry names is one of `accepted` (the contract's listed tightenings, ACCEPTED_TIGHTENINGS).
 */
export async function registerContract(
  url: string,
  subject: string,
  schema: JsonSchema,
  accepted: readonly string[] = ACCEPTED_TIGHTENINGS,
): Promise<number> {
  await setCompatibility(url, subject, "BACKWARD");
  try {
    return await register(url, subject, schema, "BACKWARD");
  } catch (e) {
    const diffs = refusedDiffs(e);
    if (!diffs || diffs.length === 0 || !diffs.every((d) => accepted.includes(d))) throw registerError(subject, e);
    // Only the listed tightenings differ: register this one version without the check, then restore BACKWARD.
    await setCompatibility(url, subject, "NONE");
    try {
      return await register(url, subject, schema, "NONE");
    } finally {
      await setCompatibility(url, subject, "BACKWARD");
    }
  }
}

/** The differences the registry named when it refused a schema (Apicurio: "list of diff types: [A at /p, …]"). */
function refusedDiffs(e: unknown): string[] | undefined {
  const m = /list of diff types: \[(.*?)\]/.exec((e as Error).message ?? "");
  return m
    ? m[1]!
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean)
    : undefined;
}

async function register(url: string, subject: string, schema: JsonSchema, level: Level): Promise<number> {
  // The client compares `compatibility` with the subject's level before it registers.
  const { id } = await registryClient(url).register(
    { type: SchemaType.JSON, schema: JSON.stringify(schema) },
    { subject, compatibility: level as never },
  );
  return id;
}

type Level = "BACKWARD" | "NONE";

async function setCompatibility(url: string, subject: string, level: Level): Promise<void> {
  // Apicurio answers GET /config/{subject} with the global level where Confluent answers 404, so the level is set
  // explicitly before the first register instead of relying on the default.
  const res = await fetch(`${url}/config/${encodeURIComponent(subject)}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ compatibility: level }),
  }).catch((e: Error) => {
    throw new SluiceError(
      "REGISTRY_UNREACHABLE",
      `schema registry at ${url} did not answer (${e.message}); is the stack up (sluice status)?`,
    );
  });
  if (!res.ok)
    throw new SluiceError(
      "REGISTRY_CONFIG",
      `registry refused compatibility ${level} for ${subject}: ${res.status} ${await res.text()}`,
    );
}

function registerError(subject: string, e: unknown): SluiceError {
  const msg = (e as Error).message;
  const incompatible = /409|incompatible/i.test(msg);
  return new SluiceError(
    incompatible ? "SCHEMA_INCOMPATIBLE" : "REGISTRY_REGISTER",
    incompatible
      ? `the contract is not BACKWARD compatible with the schema registered under ${subject}: ${msg}. Make the change compatible (add optional fields, do not narrow or remove) or register it under a new subject.`
      : `registering ${subject} failed: ${msg}`,
    { cause: e },
  );
}
