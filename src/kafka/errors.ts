import { SluiceError } from "../errors.ts";

/** TLS verification failures Node and Bun report as a connection error's code. */
export const TLS_CODES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

type KafkaJsError = Error & { code?: string; type?: unknown; originalError?: unknown; cause?: unknown };

/**
 * A kafkajs failure a user fixes in the connection settings, as a SluiceError with the setting to change: refused
 * credentials (KAFKA_AUTH) or a broker certificate the client does not trust (KAFKA_TLS). Anything else: undefined.
 * Looks through kafkajs's retry wrapper to the error that ended the retries. Never quotes a password: kafkajs's
 * messages do not carry one.
 */
export function kafkaSettingsError(e: unknown): SluiceError | undefined {
  if (!(e instanceof Error) || !e.name.startsWith("KafkaJS")) return untrustedCertificate(e);
  let err = e as KafkaJsError | undefined;
  for (let depth = 0; err && depth < 5; depth++) {
    if (err.name === "KafkaJSSASLAuthenticationError")
      return new SluiceError("KAFKA_AUTH", `Kafka refused the credentials: ${err.message}`, { cause: e });
    if (typeof err.type === "string" && /_AUTHORIZATION_FAILED$/.test(err.type))
      return new SluiceError(
        "KAFKA_ACL",
        `Kafka refused the request: ${err.message} (${err.type}); the user (KAFKA_SASL_USERNAME) has no ACL for it`,
        { cause: e },
      );
    if (err.code && TLS_CODES.has(err.code))
      return new SluiceError(
        "KAFKA_TLS",
        `the broker's certificate is not trusted (${err.code}: ${err.message}); set KAFKA_SSL_CA_FILE to the PEM of ` +
          "the CA that signed it",
        { cause: e },
      );
    err = (err.originalError ?? err.cause) as KafkaJsError | undefined;
  }
  return undefined;
}

/**
 * Another client's (PostgreSQL's, an HTTP API's) certificate failure: which server cannot be told from the error, so
 * the message names each connection's CA setting.
 */
function untrustedCertificate(e: unknown): SluiceError | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string" || !TLS_CODES.has(code)) return undefined;
  return new SluiceError(
    "TLS_UNTRUSTED",
    `a server's certificate is not trusted (${code}: ${(e as Error).message}); set the CA file of that connection: ` +
      "POSTGRES_SSLROOTCERT (the local stack's is <data dir>/secrets/tls/ca.crt), CONNECT_CA_FILE or KAFKA_SSL_CA_FILE",
    { cause: e },
  );
}
