import { redact as redactConfigText } from "../connect/secrets.ts";

/**
 * A scrubber for text the server logs or shows (error messages, Connect's task traces, readiness details): the
 * connector-config scrub of src/connect/secrets.ts (`password=…`, `"token": "…"`), plus credentials inside URLs
 * (`postgres://user:pw@host`), bearer tokens, and every secret this process itself holds (its API keys, its database
 * password), wherever they appear.
 */
export function redactor(secrets: readonly string[] = []): (text: string) => string {
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redactConfigText(text)
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, "$1:[redacted]@")
      .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, "$1[redacted]");
    for (const s of known) out = out.replaceAll(s, "[redacted]");
    return out;
  };
}
