import { ConfigError, type Env } from "../config/env.ts";
import { type ReadFile, readFileText, settingFile } from "../config/setting-file.ts";

type TlsEnv = Pick<Env, "POSTGRES_SSLMODE" | "POSTGRES_SSLROOTCERT">;

/**
 * postgres.js's `ssl` option for POSTGRES_SSLMODE, as libpq means the modes: `require` encrypts without checking the
 * certificate; `verify-full` checks it against POSTGRES_SSLROOTCERT (else the system's CAs) and the host name.
 */
export function pgTls(
  env: TlsEnv,
  read: ReadFile = readFileText,
): {
  ssl?: false | { rejectUnauthorized: boolean; ca?: string };
} {
  const mode = env.POSTGRES_SSLMODE;
  if (mode !== "verify-full" && env.POSTGRES_SSLROOTCERT)
    throw new ConfigError(`POSTGRES_SSLROOTCERT is set but POSTGRES_SSLMODE is ${mode}; use verify-full, or unset it.`);
  if (mode === "disable") return {};
  if (mode === "require") return { ssl: { rejectUnauthorized: false } };
  if (!env.POSTGRES_SSLROOTCERT) return { ssl: { rejectUnauthorized: true } };
  const ca = settingFile("POSTGRES_SSLROOTCERT", env.POSTGRES_SSLROOTCERT, read, true);
  return { ssl: { rejectUnauthorized: true, ca } };
}

/**
 * The query string the sink's JDBC URL gets for POSTGRES_SSLMODE (pgjdbc's sslmode and sslrootcert). `disable` is
 * spelled out: pgjdbc's own default is `prefer`, which encrypts whenever the server offers TLS (the local stack's
 * does), at ~9 % of the worker's CPU while draining — not what `disable` says.
 */
export function jdbcTlsParams(env: TlsEnv): string {
  if (env.POSTGRES_SSLMODE === "disable") return "?sslmode=disable";
  const root = env.POSTGRES_SSLROOTCERT ? `&sslrootcert=${encodeURIComponent(env.POSTGRES_SSLROOTCERT)}` : "";
  return `?sslmode=${env.POSTGRES_SSLMODE}${root}`;
}
