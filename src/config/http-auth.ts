import { ConfigError, type Env } from "./env.ts";
import { passwordSetting, type ReadFile, readFileText, settingFile } from "./setting-file.ts";

/** How Sluice authenticates to an HTTP API: basic auth, and a private CA for its https certificate. */
export interface HttpAuth {
  readonly username?: string;
  readonly password?: string;
  /** PEM of the CA that signed the server's certificate (the system's CAs otherwise). */
  readonly ca?: string;
}

/** User and password of `prefix` (REGISTRY or CONNECT): both or neither; the password inline or from its file. */
function basic(
  env: Partial<Env>,
  prefix: "REGISTRY" | "CONNECT",
  read: ReadFile,
): { username?: string; password?: string } {
  const user = env[`${prefix}_USERNAME`];
  const password = passwordSetting(env, `${prefix}_PASSWORD`, read);
  if (user && !password)
    throw new ConfigError(
      `${prefix}_USERNAME is set but no password; set ${prefix}_PASSWORD_FILE (or ${prefix}_PASSWORD).`,
    );
  if (!user && password)
    throw new ConfigError(`a ${prefix} password is set but ${prefix}_USERNAME is not; set the user.`);
  return user ? { username: user, password } : {};
}

/** The registry's credentials (REGISTRY_USERNAME, REGISTRY_PASSWORD or _FILE), or undefined when none are set. */
export function registryAuth(env: Partial<Env>, read: ReadFile = readFileText): HttpAuth | undefined {
  const b = basic(env, "REGISTRY", read);
  return b.username ? b : undefined;
}

/** Kafka Connect's REST credentials and CA (CONNECT_USERNAME, CONNECT_PASSWORD or _FILE, CONNECT_CA_FILE). */
export function connectAuth(env: Partial<Env>, read: ReadFile = readFileText): HttpAuth | undefined {
  const b = basic(env, "CONNECT", read);
  const ca = env.CONNECT_CA_FILE ? settingFile("CONNECT_CA_FILE", env.CONNECT_CA_FILE, read) : undefined;
  return b.username || ca ? { ...b, ...(ca ? { ca } : {}) } : undefined;
}

/** The Authorization header for `auth` (none without a user). */
export function authHeaders(auth: HttpAuth | undefined): Record<string, string> {
  if (!auth?.username) return {};
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}` };
}

/** fetch options for `auth`: the header, and Bun's `tls.ca` when a private CA signed the server's certificate. */
export function fetchAuth(auth: HttpAuth | undefined): { headers: Record<string, string>; tls?: { ca: string } } {
  return { headers: authHeaders(auth), ...(auth?.ca ? { tls: { ca: auth.ca } } : {}) };
}
