// kafkajs failures a user fixes in the connection settings become SluiceErrors naming the setting.
import { describe, expect, test } from "bun:test";
import { kafkaSettingsError } from "../../src/kafka/errors.ts";

const err = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra);

describe("kafkajs errors in settings terms", () => {
  test("refused credentials, also behind kafkajs's retry wrapper", () => {
    const sasl = err("KafkaJSSASLAuthenticationError", "SASL SCRAM SHA512 authentication failed: invalid credentials");
    const wrapped = err("KafkaJSNumberOfRetriesExceeded", "retries exceeded", { originalError: sasl });
    for (const e of [sasl, wrapped])
      expect(kafkaSettingsError(e)).toMatchObject({ code: "KAFKA_AUTH", retryable: false });
  });

  test("an untrusted certificate names KAFKA_SSL_CA_FILE", () => {
    const tls = err("KafkaJSConnectionError", "Connection error: self signed certificate in certificate chain", {
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
    expect(kafkaSettingsError(tls)?.message).toContain("set KAFKA_SSL_CA_FILE");
    expect(kafkaSettingsError(tls)?.code).toBe("KAFKA_TLS");
  });

  test("another client's untrusted certificate names every CA setting, not Kafka's alone", () => {
    const pg = Object.assign(new Error("self signed certificate in certificate chain"), {
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
    expect(kafkaSettingsError(pg)).toMatchObject({ code: "TLS_UNTRUSTED" });
    expect(kafkaSettingsError(pg)?.message).toContain("POSTGRES_SSLROOTCERT");
  });

  test("a request the user's ACLs do not allow is KAFKA_ACL", () => {
    const acl = err("KafkaJSProtocolError", "Not authorized to access topics: [Topic authorization failed]", {
      type: "TOPIC_AUTHORIZATION_FAILED",
    });
    expect(kafkaSettingsError(acl)).toMatchObject({ code: "KAFKA_ACL" });
  });

  test("anything else is left as it is", () => {
    expect(
      kafkaSettingsError(err("KafkaJSConnectionError", "connect ECONNREFUSED", { code: "ECONNREFUSED" })),
    ).toBeUndefined();
    expect(kafkaSettingsError("text")).toBeUndefined();
    expect(kafkaSettingsError(undefined)).toBeUndefined();
  });
});
