import { authHeaders, type HttpAuth } from "../config/http-auth.ts";
import type { JsonSchema } from "../contract/index.ts";
import { contractChange, describeChange, type RegistryVerdict } from "../contract/rollout.ts";
import { SluiceError } from "../errors.ts";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * Asks the registry (Confluent's API; Apicurio's `/apis/ccompat/v7`) whether `schema` may be registered under
 * `subject`, changing nothing. Confluent names its reasons with `verbose=true`; Apicurio answers only the verdict
 * there, so its reasons come from a dry run of its own API (`/apis/registry/v3`, `dryRun=true`).
 */
export async function checkCompatibility(
  url: string,
  subject: string,
  schema: JsonSchema,
  auth?: HttpAuth,
): Promise<RegistryVerdict> {
  const call = http(url, auth);
  const s = encodeURIComponent(subject);
  const body = { schemaType: "JSON", schema: JSON.stringify(schema) };
  const latest = await call("GET", `/subjects/${s}/versions/latest`);
  if (latest.status === 404) return { kind: "new" };
  if (!latest.ok) throw httpError(url, "subject lookup", latest.status, await latest.text());
  const latestBody = (await latest.json()) as { version: number; schema: string };
  const found = await call("POST", `/subjects/${s}`, body);
  if (found.ok) {
    const f = (await found.json()) as { version: number; id: number };
    return { kind: "registered", version: f.version, id: f.id };
  }
  const registered = JSON.parse(latestBody.schema) as JsonSchema;
  const verdict = await call("POST", `/compatibility/subjects/${s}/versions/latest?verbose=true`, body);
  if (!verdict.ok) throw httpError(url, "compatibility check", verdict.status, await verdict.text());
  const v = (await verdict.json()) as { is_compatible: boolean; messages?: string[] };
  if (v.is_compatible) return { kind: "compatible", latest: latestBody.version, registered };
  const diffs = v.messages?.length ? v.messages : await apicurioReasons(url, subject, schema, auth);
  return { kind: "incompatible", latest: latestBody.version, registered, diffs };
}

/** Apicurio's reasons for refusing `schema` as the subject's next version, from a dry run (nothing is created). */
async function apicurioReasons(url: string, subject: string, schema: JsonSchema, auth?: HttpAuth): Promise<string[]> {
  const native = url.replace(/\/apis\/ccompat\/v\d+\/?$/, "/apis/registry/v3");
  if (native === url) return [];
  const res = await fetch(`${native}/groups/default/artifacts/${encodeURIComponent(subject)}/versions?dryRun=true`, {
    method: "POST",
    headers: { ...authHeaders(auth), "content-type": "application/json" },
    body: JSON.stringify({ content: { content: JSON.stringify(schema), contentType: "application/json" } }),
  }).catch(() => undefined);
  if (res?.status !== 409) return [];
  const b = (await res.json().catch(() => ({}))) as { causes?: { description: string; context: string }[] };
  return (b.causes ?? []).map((c) => `${c.description} at ${c.context}`);
}

/** A call of the registry's Confluent-compatible API; an unanswered call is REGISTRY_UNREACHABLE. */
export function http(url: string, auth: HttpAuth | undefined) {
  return (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { ...authHeaders(auth), ...(body ? { "content-type": CONTENT_TYPE } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }).catch((e: Error) => {
      throw new SluiceError(
        "REGISTRY_UNREACHABLE",
        `schema registry at ${url} did not answer (${e.message}); is the stack up (sluice status)?`,
      );
    });
}

function httpError(url: string, what: string, status: number, text: string): SluiceError {
  return new SluiceError("REGISTRY_HTTP", `the schema registry at ${url} failed the ${what}: ${status} ${text}`);
}

/**
 * The id under which the setup job registered `schema`. Producers look their contract up and never register it: the
 * registry's new version is the rollout's second step, after the database (docs/contract.md). A contract that is not
 * registered yet fails with CONTRACT_NOT_REGISTERED saying what differs.
 */
export async function contractId(url: string, subject: string, schema: JsonSchema, auth?: HttpAuth): Promise<number> {
  const c = await checkCompatibility(url, subject, schema, auth);
  if (c.kind === "registered") return c.id;
  const what =
    c.kind === "new"
      ? `nothing is registered under ${subject}`
      : `${subject} holds version ${c.latest}, and this contract differs from it (${describeChange(contractChange(c.registered, schema))})`;
  throw new SluiceError(
    "CONTRACT_NOT_REGISTERED",
    `the contract this producer sends is not registered: ${what}. Roll it out first with \`sluice setup\` (database, registry, connector; docs/contract.md), then produce.`,
  );
}
