import { TLS_CODES } from "../kafka/errors.ts";

/** What kind of problem a failed connection check is: the part of the settings (or the network) to look at. */
export type Verdict = "ok" | "DNS" | "unreachable" | "TLS" | "auth" | "ACL" | "error";

const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME"]);
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
]);
// Also a TLS client meeting a plaintext server (the wrong protocol setting).
const TLS = new Set([...TLS_CODES, "ERR_SSL_WRONG_VERSION_NUMBER"]);
/** PostgreSQL SQLSTATEs of a refused login, and Kafka's authorization errors. */
const AUTH_STATES = new Set(["28P01", "28000"]);
const KAFKA_ACL = /(TOPIC|GROUP|CLUSTER|TRANSACTIONAL_ID)_AUTHORIZATION_FAILED|not authorized/i;

type Failure = {
  name?: string;
  code?: unknown;
  type?: unknown;
  message?: string;
  status?: number;
  cause?: unknown;
  originalError?: unknown;
};

/**
 * Sorts a failed check into DNS, unreachable, TLS, auth, ACL or a plain error, looking through wrapped causes
 * (kafkajs retries, fetch's cause). Pure: `sluice doctor` prints the verdict with the setting to look at.
 */
export function classify(e: unknown): Exclude<Verdict, "ok"> {
  let f = e as Failure | undefined;
  for (let depth = 0; f && depth < 6; depth++) {
    const code = typeof f.code === "string" ? f.code : undefined;
    if (f.name === "KafkaJSSASLAuthenticationError" || f.status === 401 || f.status === 403) return "auth";
    if (code && AUTH_STATES.has(code)) return "auth";
    if (code && TLS.has(code)) return "TLS";
    if (code && DNS.has(code)) return "DNS";
    if (code && NETWORK.has(code)) return "unreachable";
    if (typeof f.type === "string" && KAFKA_ACL.test(f.type)) return "ACL";
    if (f.message && KAFKA_ACL.test(f.message)) return "ACL";
    f = (f.originalError ?? f.cause) as Failure | undefined;
  }
  return "error";
}

/** The settings to look at for a verdict on one connection. */
export function advice(
  verdict: Exclude<Verdict, "ok">,
  component: "kafka" | "connect" | "registry" | "postgres",
): string {
  const target = {
    kafka: "KAFKA_BOOTSTRAP",
    connect: "CONNECT_URL",
    registry: "REGISTRY_URL",
    postgres: "POSTGRES_HOST/PORT",
  }[component];
  switch (verdict) {
    case "DNS":
      return `the host name does not resolve: check ${target}`;
    case "unreachable":
      return `nothing answers there: check ${target}, the network and that the service runs`;
    case "TLS":
      return {
        kafka: "TLS: check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_FILE",
        connect: "TLS: check CONNECT_URL (https) and CONNECT_CA_FILE",
        registry: "TLS: check REGISTRY_URL (https) and the system's CAs",
        postgres: "TLS: check POSTGRES_SSLMODE and POSTGRES_SSLROOTCERT",
      }[component];
    case "auth":
      return {
        kafka: "credentials refused: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and the password file",
        connect: "credentials refused: check CONNECT_USERNAME and CONNECT_PASSWORD(_FILE)",
        registry: "credentials refused: check REGISTRY_USERNAME and REGISTRY_PASSWORD(_FILE)",
        postgres: "login refused: check the role's password (POSTGRES_PASSWORD or its secret)",
      }[component];
    case "ACL":
      return "connected, but not allowed: the user needs ACLs on the topics (docs/clusters.md)";
    default:
      return "see the message";
  }
}
