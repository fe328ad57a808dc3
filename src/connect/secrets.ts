/**
 * What counts as a secret in a connector config, and how the tool keeps secrets out of everything it prints. Connect
 * resolves `${env:…}`/`${file:…}` references inside the worker; Sluice only ever handles the references, never the
 * values, but Connect's own error texts can echo resolved configs, so those are scrubbed before they are shown.
 */

/** Config keys whose value is a credential. */
export const SECRET_KEY = /password|secret|token|credential|api[._-]?key|private[._-]?key/i;

/** A value that is a whole config-provider reference such as `${env:SLUICE_SINK_DB_PASSWORD}`. */
export const PROVIDER_REF = /^\$\{[a-z]+:[^}]+\}$/;

/** True when a config entry holds a literal secret (a secret-like key whose value is not a provider reference). */
export function isLiteralSecret(key: string, value: string): boolean {
  return SECRET_KEY.test(key) && value !== "" && !PROVIDER_REF.test(value);
}

/** The value as it may be shown: literal secrets become `(sensitive)`. */
export function shown(key: string, value: string): string {
  return isLiteralSecret(key, value) ? "(sensitive)" : value;
}

/**
 * Scrubs `key=value` and `"key":"value"` pairs with secret-like keys from free text (Connect's error bodies echo the
 * resolved config, e.g. "Connector config {connection.password=…, …}").
 */
export function redact(text: string): string {
  return text
    .replace(/([A-Za-z0-9._-]*(?:password|secret|token|credential|api[._-]?key|private[._-]?key)[A-Za-z0-9._-]*=)[^,}\s]*/gi, "$1[redacted]")
    .replace(/("[A-Za-z0-9._-]*(?:password|secret|token|credential|api[._-]?key|private[._-]?key)[A-Za-z0-9._-]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"[redacted]"');
}
