import { createHash, timingSafeEqual } from "node:crypto";

/** Header that carries the API key (`Authorization: Bearer <key>` works too). */
export const API_KEY_HEADER = "x-api-key";

/**
 * What a key may do. `ingest`: POST /v1/metrics only. `admin`: /v1/admin/* only (connector status and restarts, DLQ
 * payloads). Neither includes the other, so a device's key cannot restart connectors or read dead letters, and an
 * operator's key cannot write metrics; a key that needs both is listed once per scope.
 */
export const SCOPES = ["ingest", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** One configured key and the scopes it grants. */
export interface ApiKey {
  readonly key: string;
  readonly scopes: readonly Scope[];
  /** True for an entry written without a scope (before scopes existed): it keeps both scopes, and serve warns. */
  readonly legacy: boolean;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * A matcher for the configured keys: the scopes a presented key grants (empty when it is not a configured key). Both
 * sides are hashed first so the comparison is over equal-length buffers, and every key is compared (no early exit),
 * so the time taken says nothing about how much of a key was right or which key it was.
 */
export function keyMatcher(keys: readonly ApiKey[]): (given: string) => ReadonlySet<Scope> {
  const entries = keys.filter((k) => k.key.length > 0).map((k) => ({ d: digest(k.key), scopes: k.scopes }));
  return (given) => {
    const g = digest(given);
    const granted = new Set<Scope>();
    for (const e of entries) {
      const hit = timingSafeEqual(e.d, g);
      for (const s of e.scopes) if (hit) granted.add(s);
    }
    return granted;
  };
}

/** The key a request presents, from `X-API-Key` or a bearer token; undefined when it presents none. */
export function presentedKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  const direct = headers.get(API_KEY_HEADER)?.trim();
  if (direct) return direct;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m?.[1];
}

/** Splits SLUICE_API_KEYS or a key file into entries: commas, whitespace or lines; `#` starts a comment line. */
export function splitKeyList(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join(",")
    .split(/[\s,]+/)
    .filter((k) => k.length > 0);
}

/** A bad entry in a key list; the message names the entry by position, never the key. */
export class ApiKeyListError extends Error {}

/**
 * Parses a key list whose entries are `ingest:KEY`, `admin:KEY` or (legacy) a bare `KEY`, which keeps both scopes as
 * before scopes existed. `defaultScope` gives bare entries one scope instead (the generated per-scope key files).
 * An entry with another `word:` prefix is refused rather than taken as a key, so a typo never widens access.
 */
export function parseApiKeys(text: string, defaultScope?: Scope): ApiKey[] {
  return splitKeyList(text).map((entry, i) => {
    const m = /^([A-Za-z]+):(.*)$/.exec(entry);
    if (!m && defaultScope) return { key: entry, scopes: [defaultScope], legacy: false };
    if (!m) return { key: entry, scopes: [...SCOPES], legacy: true };
    const scope = m[1]!.toLowerCase();
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new ApiKeyListError(`entry ${i + 1} has the unknown scope "${m[1]}"; write ingest:KEY or admin:KEY`);
    }
    if (!m[2]) throw new ApiKeyListError(`entry ${i + 1} ("${scope}:") has no key after the scope`);
    return { key: m[2], scopes: [scope as Scope], legacy: false };
  });
}

/** The scope a route needs: admin under /v1/admin/, ingest for the rest of /v1 (the pipeline view is public). */
export const scopeOf = (path: string): Scope =>
  path === "/v1/admin" || path.startsWith("/v1/admin/") ? "admin" : "ingest";

/** A short, non-reversible name for a key (for scoping idempotency keys), never the key itself. */
export const keyId = (key: string) => digest(key).toString("hex").slice(0, 16);
