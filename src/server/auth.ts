import { createHash, timingSafeEqual } from "node:crypto";

/** Header that carries the API key (`Authorization: Bearer <key>` works too). */
export const API_KEY_HEADER = "x-api-key";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * A matcher for the configured keys. Both sides are hashed first so the comparison is over equal-length buffers,
 * and every key is compared (no early exit), so the time taken says nothing about how much of a key was right or
 * which key it was.
 */
export function keyMatcher(keys: readonly string[]): (given: string) => boolean {
  const digests = keys.filter((k) => k.length > 0).map(digest);
  return (given) => {
    const g = digest(given);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, g) || ok;
    return ok;
  };
}

/** The key a request presents, from `X-API-Key` or a bearer token; undefined when it presents none. */
export function presentedKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  const direct = headers.get(API_KEY_HEADER)?.trim();
  if (direct) return direct;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m?.[1];
}

/** Parses SLUICE_API_KEYS or a key file: keys separated by commas, whitespace or lines; `#` starts a comment line. */
export function parseApiKeys(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join(",")
    .split(/[\s,]+/)
    .filter((k) => k.length > 0);
}

/** A short, non-reversible name for a key (for scoping idempotency keys), never the key itself. */
export const keyId = (key: string) => digest(key).toString("hex").slice(0, 16);
