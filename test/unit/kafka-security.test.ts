// Connection settings for a secured Kafka: parsed once from the environment into kafkajs options, checked as a whole,
// errors naming the variable and the fix, never a secret.
import { describe, expect, test } from "bun:test";
import { parseEnv } from "../../src/config/env.ts";
import { kafkaSecurity } from "../../src/config/kafka-security.ts";

const files: Record<string, string> = {
  "/s/ca.pem": "-----BEGIN CERTIFICATE-----\nCA\n",
  "/s/pw": "s3cret-from-file\n",
  "/s/empty": "\n",
};
const read = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  return files[p]!;
};
const sec = (raw: Record<string, string>) => kafkaSecurity(parseEnv(raw), read);
const refusal = (raw: Record<string, string>) => {
  try {
    sec(raw);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("Kafka connection security", () => {
  test("PLAINTEXT (the default): no TLS, no SASL", () => {
    expect(sec({})).toEqual({});
  });

  test("SASL_SSL with SCRAM, the password from a file, the brokers' CA: verified TLS", () => {
    expect(
      sec({
        KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
        KAFKA_SASL_USERNAME: "producer",
        KAFKA_SASL_PASSWORD_FILE: "/s/pw",
        KAFKA_SSL_CA_FILE: "/s/ca.pem",
      }),
    ).toEqual({
      ssl: { ca: ["-----BEGIN CERTIFICATE-----\nCA"], rejectUnauthorized: true },
      sasl: { mechanism: "scram-sha-512", username: "producer", password: "s3cret-from-file" },
    });
  });

  test("SASL_SSL with PLAIN (a managed cluster's API key) and the system's CAs", () => {
    expect(
      sec({
        KAFKA_SECURITY_PROTOCOL: "SASL_SSL",
        KAFKA_SASL_MECHANISM: "PLAIN",
        KAFKA_SASL_USERNAME: "KEY",
        KAFKA_SASL_PASSWORD: "SECRET",
      }),
    ).toEqual({ ssl: { rejectUnauthorized: true }, sasl: { mechanism: "plain", username: "KEY", password: "SECRET" } });
  });

  test("SSL alone: TLS without SASL", () => {
    expect(sec({ KAFKA_SECURITY_PROTOCOL: "SSL", KAFKA_SSL_CA_FILE: "/s/ca.pem" }).sasl).toBeUndefined();
  });

  test("what is missing or contradictory is refused with the variable and the fix, never the secret", () => {
    const sasl = { KAFKA_SECURITY_PROTOCOL: "SASL_SSL", KAFKA_SASL_MECHANISM: "PLAIN", KAFKA_SASL_USERNAME: "u" };
    expect(refusal({ KAFKA_SECURITY_PROTOCOL: "SASL_SSL" })).toContain("KAFKA_SASL_MECHANISM is not set");
    expect(refusal({ ...sasl, KAFKA_SASL_USERNAME: "" })).toContain("KAFKA_SASL_USERNAME");
    expect(refusal(sasl)).toContain("set KAFKA_SASL_PASSWORD_FILE");
    const both = refusal({ ...sasl, KAFKA_SASL_PASSWORD: "p4ss", KAFKA_SASL_PASSWORD_FILE: "/s/pw" });
    expect(both).toContain("both set");
    expect(both).not.toContain("p4ss");
    expect(refusal({ ...sasl, KAFKA_SASL_PASSWORD_FILE: "/s/missing" })).toContain(
      "KAFKA_SASL_PASSWORD_FILE is /s/missing, which cannot be read (ENOENT)",
    );
    expect(refusal({ ...sasl, KAFKA_SASL_PASSWORD_FILE: "/s/empty" })).toContain("is empty");
    // Credentials with a protocol that would not use them: refused rather than silently ignored.
    expect(refusal({ KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p4ss" })).toContain(
      "KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT",
    );
    expect(refusal({ KAFKA_SSL_CA_FILE: "/s/ca.pem" })).toContain("use SSL or SASL_SSL");
    expect(refusal({ KAFKA_SECURITY_PROTOCOL: "TLS" })).toContain("KAFKA_SECURITY_PROTOCOL");
  });
});
