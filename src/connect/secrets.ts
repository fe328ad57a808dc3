/**
 * What counts as a secret in a connector config, and how the tool keeps secrets out of everything it prints. Connect
 * resolves `${env:…}`/`${file:…}` references inside the worker; Sluice only ever handles the references, never the
 * values, but Connect's own error texts can echo resolved configs, so those are scrubbed before they are shown.
 */

const SECRET_WORD = "(?:password|passwd|secret|token|credential|api[._-]?key|private[._-]?key)";

/** Config keys whose value is a credential. */
export const SECRET_KEY = new RegExp(SECRET_WORD, "i");

/** A value that is a whole config-provider reference such as `${env:SLUICE_SINK_DB_PASSWORD}`. */
export const PROVIDER_REF = /^\$\{[a-z]+:[^}]+\}$/;

/** True when a config entry holds a literal secret (a secret-like key whose value is not a provider reference). */
export function isLiteralSecret(key: string, value: string): boolean {
  return SECRET_KEY.test(key) && value !== "" && !PROVIDER_REF.test(value);
}

const HIDDEN = "[redacted]";
const KEY = `[A-Za-z0-9._-]*${SECRET_WORD}[A-Za-z0-9._-]*`;
/**
 * Where credentials sit inside a value or a text: (before)(secret)(after), applied in this order. A JAAS config's
 * quoted password is scrubbed before the `key=value` rule, which would stop at its first space.
 */
const SCRUBS: readonly RegExp[] = [
  // userinfo of a URL: jdbc:postgresql://user:pw@host, https://user:pw@host
  /([a-z][a-z0-9+.-]*:\/\/[^/\s:@?#]*:)([^@\s/?#]*)(@)/gi,
  // quoted assignments, as in JAAS configs: password="…" or password='…'
  new RegExp(`(${KEY}\\s*=\\s*")((?:[^"\\\\]|\\\\.)*)(")`, "gi"),
  new RegExp(`(${KEY}\\s*=\\s*')((?:[^'\\\\]|\\\\.)*)(')`, "gi"),
  // URL query or JDBC parameters: ?password=…&…, ;password=…;
  new RegExp(`([?&;]${KEY}=)([^&;#\\s"',}]*)()`, "gi"),
  // Connect's map echoes: {connection.password=…, …} (the key starts at a word boundary, not inside a URL query)
  new RegExp(`((?<![?&;\\w.-])${KEY}=)([^,}\\s]*)()`, "gi"),
  // JSON: "password": "…"
  new RegExp(`("${KEY}"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")`, "gi"),
];

/** A provider reference (possibly quoted, or cut at its `}` by the `key=value` rule) or an already hidden value. */
const NOT_SECRET = /^["']?(?:\[redacted\]|\$\{[a-z]+:)/;

/**
 * Scrubs credentials from free text or from any value: URL userinfo (`scheme://user:pw@host`), password query or
 * JDBC parameters (`?password=…`, `;password=…`), quoted assignments as in JAAS configs (`password="…"`), and
 * `key=value` / `"key":"value"` pairs with secret-like keys (Connect's error bodies echo the resolved config, e.g.
 * "Connector config {connection.password=…, …}"). Provider references (`${env:…}`) are no secret and stay.
 */
export function redact(text: string): string {
  return SCRUBS.reduce(
    (t, re) =>
      t.replace(re, (match: string, before: string, secret: string, after: string) =>
        secret === "" || NOT_SECRET.test(secret) ? match : `${before}${HIDDEN}${after}`,
      ),
    text,
  );
}

/** The value as it may be shown: literal secrets become `(sensitive)`, credentials inside any value are redacted. */
export function shown(key: string, value: string): string {
  return isLiteralSecret(key, value) ? "(sensitive)" : redact(value);
}

/** True when a value carries a credential inside it (URL userinfo, a password parameter, a JAAS password). */
export function holdsEmbeddedSecret(value: string): boolean {
  return redact(value) !== value;
}

/** What the worker's config providers may resolve (services/connect/worker.properties). */
export interface ProviderPolicy {
  /** Variables the env provider resolves: `config.providers.env.param.allowlist.pattern`, matched whole. */
  readonly envPattern: string;
  /** The one folder the file provider reads: `config.providers.file.param.allowed.paths` (absolute). */
  readonly secretsDir: string;
}

/** A reference Connect resolves: `${provider:key}` or `${provider:path:key}` (Kafka's ConfigTransformer pattern). */
const REFERENCE = /\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}/g;

/** Absolute, without `.`/`..` segments or a trailing slash; undefined for a relative path (the provider refuses it). */
function normalized(path: string): string | undefined {
  if (!path.startsWith("/")) return undefined;
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** True when `path` is `dir` or inside it, compared by whole segments as Kafka's AllowedPaths does. */
export function isInside(path: string, dir: string): boolean {
  const p = normalized(path);
  const d = normalized(dir);
  return !!p && !!d && (p === d || p.startsWith(d === "/" ? "/" : `${d}/`));
}

/** One config-provider reference of a connector config the worker would refuse to resolve, and why. */
export interface ReferenceProblem {
  readonly key: string;
  readonly reference: string;
  readonly message: string;
}

/**
 * References in `config` that the worker's providers would leave unresolved: a variable outside the env provider's
 * allowlist, a file outside the secrets folder, a provider the worker does not configure. Pure.
 */
export function referenceProblems(
  config: Readonly<Record<string, string>>,
  policy: ProviderPolicy,
): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  for (const [key, value] of Object.entries(config)) {
    for (const m of value.matchAll(REFERENCE)) {
      const message = refusal(m[1]!, m[2], m[3]!, policy);
      if (message) problems.push({ key, reference: m[0], message });
    }
  }
  return problems;
}

/** Why the worker would not resolve `${provider:path:name}` (no path: `${provider:name}`); undefined if it would. */
function refusal(provider: string, path: string | undefined, name: string, policy: ProviderPolicy): string | undefined {
  const inFolder = `\${file:${policy.secretsDir}/<file>:<key>}`;
  if (provider === "env") {
    if (path === undefined && new RegExp(`^(?:${policy.envPattern})$`).test(name)) return undefined;
    const variable = path === undefined ? name : `${path}:${name}`;
    return (
      `reads the environment variable "${variable}", which the worker does not give connectors: only variables ` +
      `matching ${policy.envPattern} resolve (the sink's own, e.g. \${env:SLUICE_SINK_DB_PASSWORD}). Use one of ` +
      `those, or put the secret in a file in ${policy.secretsDir} and reference it as ${inFolder}.`
    );
  }
  if (provider === "file") {
    if (path !== undefined && isInside(path, policy.secretsDir)) return undefined;
    const what = path === undefined ? "a file without a path" : `the file ${path}`;
    return (
      `reads ${what}, outside the only folder the worker's file provider may read (${policy.secretsDir}); ` +
      `move the file there and reference it as ${inFolder}.`
    );
  }
  return (
    `uses the config provider "${provider}", which the worker does not configure (only env and file); ` +
    `use \${env:SLUICE_SINK_…} or ${inFolder}.`
  );
}
