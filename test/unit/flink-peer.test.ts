// The Flink SQL bench peer's launch (bench/peers/flink.ts): credentials apart from the URL, a modest UTC JVM.
import { describe, expect, test } from "bun:test";
import { FLINK_JVM_OPTS, jdbcOf } from "../../bench/peers/flink.ts";

describe("flink peer", () => {
  test("a postgres:// URL becomes pgjdbc's URL without credentials, its query kept, the credentials decoded apart", () => {
    const j = jdbcOf("postgres://sluice:p%40ss%3Aw0rd@127.0.0.1:15432/sluice?sslmode=verify-full");
    expect(j).toEqual({
      url: "jdbc:postgresql://127.0.0.1:15432/sluice?sslmode=verify-full",
      user: "sluice",
      password: "p@ss:w0rd",
    });
    expect(jdbcOf("postgres://u:pw@localhost:5432/db").url).toBe("jdbc:postgresql://localhost:5432/db");
  });

  test("the JVM: a 768 MB heap, UTC (the JDBC sink writes timestamps in the JVM's zone), no credential", () => {
    expect(FLINK_JVM_OPTS).toContain("-Xmx768m");
    expect(FLINK_JVM_OPTS).toContain("-Duser.timezone=UTC");
    expect(FLINK_JVM_OPTS.join(" ")).not.toMatch(/password|postgres:\/\//i);
  });
});
