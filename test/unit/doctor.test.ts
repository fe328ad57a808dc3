// `sluice doctor`'s verdicts: what kind of problem a failed connection is, and the setting to look at.
import { describe, expect, test } from "bun:test";
import { advice, classify } from "../../src/doctor/classify.ts";

const err = (props: object, message = "failed") => Object.assign(new Error(message), props);

describe("doctor verdicts", () => {
  test.each([
    [err({ code: "ENOTFOUND" }), "DNS"],
    [err({ name: "KafkaJSNonRetriableError", originalError: err({ code: "ENOTFOUND" }) }), "DNS"],
    [err({ code: "ECONNREFUSED" }), "unreachable"],
    [err({ cause: err({ code: "ETIMEDOUT" }) }), "unreachable"],
    [err({ code: "SELF_SIGNED_CERT_IN_CHAIN" }), "TLS"],
    [err({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), "TLS"],
    [err({ name: "KafkaJSSASLAuthenticationError" }), "auth"],
    [err({ status: 401 }), "auth"],
    [err({ code: "28P01" }, 'password authentication failed for user "sluice"'), "auth"],
    [err({ name: "KafkaJSProtocolError", type: "TOPIC_AUTHORIZATION_FAILED" }), "ACL"],
    [err({}, "Not authorized to access topics: [metrics]"), "ACL"],
    [err({}, "something else"), "error"],
  ])("%p → %s", (e, verdict) => expect(classify(e) as string).toBe(verdict));

  test("advice names the setting of the component, never a value", () => {
    expect(advice("DNS", "kafka")).toContain("KAFKA_BOOTSTRAP");
    expect(advice("TLS", "postgres")).toContain("POSTGRES_SSLROOTCERT");
    expect(advice("auth", "connect")).toContain("CONNECT_USERNAME");
    expect(advice("ACL", "kafka")).toContain("ACLs");
  });
});
