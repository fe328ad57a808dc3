import type { KafkaConfig, SASLOptions } from "kafkajs";
import type { Env } from "./env.ts";
import { ConfigError } from "./env.ts";
import { passwordSetting, type ReadFile, readFileText, settingFile } from "./setting-file.ts";

/** What a kafkajs client needs to reach a secured cluster: TLS and SASL options, or nothing for PLAINTEXT. */
export type KafkaSecurity = Pick<KafkaConfig, "ssl" | "sasl">;

type SecurityEnv = Pick<
  Env,
  | "KAFKA_SECURITY_PROTOCOL"
  | "KAFKA_SASL_MECHANISM"
  | "KAFKA_SASL_USERNAME"
  | "KAFKA_SASL_PASSWORD"
  | "KAFKA_SASL_PASSWORD_FILE"
  | "KAFKA_SSL_CA_FILE"
>;

/** The SASL password: from KAFKA_SASL_PASSWORD or the file KAFKA_SASL_PASSWORD_FILE names (not both). */
function saslPassword(env: SecurityEnv, read: ReadFile): string {
  const p = passwordSetting(env, "KAFKA_SASL_PASSWORD", read);
  if (p) return p;
  throw new ConfigError(
    `KAFKA_SECURITY_PROTOCOL is ${env.KAFKA_SECURITY_PROTOCOL} but no password is set; set KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD).`,
  );
}

/**
 * The kafkajs `ssl`/`sasl` options for the environment's KAFKA_SECURITY_PROTOCOL, checked as a whole: a SASL protocol
 * needs a mechanism, a user name and a password; settings for another protocol are refused rather than ignored, so a
 * typo cannot silently send credentials in the clear. Errors name the variable and the fix, never a secret.
 */
export function kafkaSecurity(env: SecurityEnv, read: ReadFile = readFileText): KafkaSecurity {
  const protocol = env.KAFKA_SECURITY_PROTOCOL;
  const tls = protocol === "SSL" || protocol === "SASL_SSL";
  const sasl = protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
  if (!tls && env.KAFKA_SSL_CA_FILE)
    throw new ConfigError(
      `KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL is ${protocol}; use SSL or SASL_SSL, or unset it.`,
    );
  const saslSet = [
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SASL_PASSWORD_FILE",
  ].filter((k) => env[k as keyof SecurityEnv] !== undefined);
  if (!sasl && saslSet.length > 0)
    throw new ConfigError(
      `${saslSet.join(", ")} set but KAFKA_SECURITY_PROTOCOL is ${protocol}; use SASL_SSL (or SASL_PLAINTEXT), or unset them.`,
    );
  const out: { ssl?: KafkaConfig["ssl"]; sasl?: SASLOptions } = {};
  if (tls) {
    // Certificates are always verified: with a CA file against it, else against the system's CAs.
    out.ssl = env.KAFKA_SSL_CA_FILE
      ? { ca: [settingFile("KAFKA_SSL_CA_FILE", env.KAFKA_SSL_CA_FILE, read)], rejectUnauthorized: true }
      : { rejectUnauthorized: true };
  }
  if (sasl) {
    if (!env.KAFKA_SASL_MECHANISM)
      throw new ConfigError(
        `KAFKA_SECURITY_PROTOCOL is ${protocol} but KAFKA_SASL_MECHANISM is not set; set PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.`,
      );
    if (!env.KAFKA_SASL_USERNAME)
      throw new ConfigError(
        `KAFKA_SECURITY_PROTOCOL is ${protocol} but KAFKA_SASL_USERNAME is not set; set the user (or API key) name.`,
      );
    const username = env.KAFKA_SASL_USERNAME;
    const password = saslPassword(env, read);
    out.sasl =
      env.KAFKA_SASL_MECHANISM === "PLAIN"
        ? { mechanism: "plain", username, password }
        : env.KAFKA_SASL_MECHANISM === "SCRAM-SHA-256"
          ? { mechanism: "scram-sha-256", username, password }
          : { mechanism: "scram-sha-512", username, password };
  }
  return out;
}
