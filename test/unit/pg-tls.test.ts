// TLS to PostgreSQL from POSTGRES_SSLMODE: postgres.js options for Sluice's clients, URL parameters for the sink's JDBC.
import { describe, expect, test } from "bun:test";
import { parseEnv } from "../../src/config/env.ts";
import { jdbcTlsParams, pgTls } from "../../src/db/tls.ts";

const read = (p: string) => {
  if (p !== "/s/ca.crt") throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  return "-----BEGIN CERTIFICATE-----\n";
};
const tls = (raw: Record<string, string>) => pgTls(parseEnv(raw), read);

describe("PostgreSQL TLS settings", () => {
  test("disable (default), require (no certificate check), verify-full (against the root certificate or the system's CAs)", () => {
    expect(tls({})).toEqual({});
    expect(tls({ POSTGRES_SSLMODE: "require" })).toEqual({ ssl: { rejectUnauthorized: false } });
    expect(tls({ POSTGRES_SSLMODE: "verify-full" })).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(tls({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: "/s/ca.crt" })).toEqual({
      ssl: { rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----\n" },
    });
  });

  test("a root certificate without verify-full, or one that cannot be read, is refused naming the variable", () => {
    expect(() => tls({ POSTGRES_SSLROOTCERT: "/s/ca.crt" })).toThrow("use verify-full");
    expect(() => tls({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: "/s/none" })).toThrow(
      "POSTGRES_SSLROOTCERT is /s/none, which cannot be read (ENOENT)",
    );
    expect(() => tls({ POSTGRES_SSLMODE: "prefer" })).toThrow("POSTGRES_SSLMODE");
  });

  test("the sink's JDBC URL carries the same mode (pgjdbc's sslmode, sslrootcert)", () => {
    // pgjdbc's default (prefer) would encrypt whenever the server offers TLS: disable is said.
    expect(jdbcTlsParams(parseEnv({}))).toBe("?sslmode=disable");
    expect(jdbcTlsParams(parseEnv({ POSTGRES_SSLMODE: "require" }))).toBe("?sslmode=require");
    expect(jdbcTlsParams(parseEnv({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: "/d/ca.crt" }))).toBe(
      "?sslmode=verify-full&sslrootcert=%2Fd%2Fca.crt",
    );
  });
});
