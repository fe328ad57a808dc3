import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import type { HttpAuth } from "../config/http-auth.ts";
import { ACCEPTED_TIGHTENINGS, type JsonSchema } from "../contract/index.ts";
import { SluiceError } from "../errors.ts";
import { http } from "./compatibility.ts";

/**
 * The registry client: JSON Schemas validated with Ajv (draft-07, as the contract is rendered), `format`
 * keywords (ajv-formats) and tolerates the contract's `x-` annotations.
 */
export function registryClient(url: string, auth?: HttpAuth): SchemaRegistry {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // The client's types name its own ajv 7; it only calls compile() and addSchema(), which ajv 8 has alike
  // (test/e2e/registry.test.ts registers through it).
  const basic = auth?.username ? { auth: { username: auth.username, password: auth.password ?? "" } } : {};
  return new SchemaRegistry(
    { host: url, retry: { retries: 2 }, ...basic },
    { [SchemaType.JSON]: { ajvInstance: ajv as never } },
  );
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
  opts: { accepted?: readonly string[]; auth?: HttpAuth } = {},
): Promise<number> {
  const { accepted = ACCEPTED_TIGHTENINGS, auth } = opts;
  await setCompatibility(url, subject, "BACKWARD", auth);
  try {
    return await register(url, subject, schema, "BACKWARD", auth);
  } catch (e) {
    const diffs = refusedDiffs(e);
    if (!diffs || diffs.length === 0 || !diffs.every((d) => accepted.includes(d))) throw registerError(subject, e);
    // Only the listed tightenings differ: register this one version without the check, then restore BACKWARD.
    await setCompatibility(url, subject, "NONE", auth);
    try {
      return await register(url, subject, schema, "NONE", auth);
    } finally {
      await setCompatibility(url, subject, "BACKWARD", auth);
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

async function register(
  url: string,
  subject: string,
  schema: JsonSchema,
  level: Level,
  auth: HttpAuth | undefined,
): Promise<number> {
  // The client compares `compatibility` with the subject's level before it registers.
  const { id } = await registryClient(url, auth).register(
    { type: SchemaType.JSON, schema: JSON.stringify(schema) },
    { subject, compatibility: level as never },
  );
  return id;
}

type Level = "BACKWARD" | "NONE";

async function setCompatibility(url: string, subject: string, level: Level, auth: HttpAuth | undefined): Promise<void> {
  // Apicurio answers GET /config/{subject} with the global level where Confluent answers 404, so the level is set
  // explicitly before the first register instead of relying on the default.
  const res = await http(url, auth)("PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: level });
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
