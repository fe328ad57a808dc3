import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { SluiceError } from "../../src/errors.ts";
import { adminApiKeys, apiKeyFile } from "../../src/stack/admin.ts";
import type { StackContext } from "../../src/stack/component.ts";
import { stackPaths } from "../../src/stack/paths.ts";
import { readVersions } from "../../src/stack/versions.ts";

function ctxWith(env: Record<string, string>): { ctx: StackContext; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-keys-"));
  const e = parseEnv({ SLUICE_DATA_DIR: dir, ...env });
  const paths = stackPaths(e);
  return { ctx: { env: e, paths, versions: readVersions(paths.root), log: () => {}, childEnv: {} }, dir };
}

describe("admin API keys", () => {
  test("none configured: one is generated on first use into <data>/secrets (mode 600) and kept", () => {
    const { ctx, dir } = ctxWith({});
    try {
      const first = adminApiKeys(ctx);
      expect(first.keys.length).toBe(1);
      expect(first.keys[0]!.length).toBeGreaterThanOrEqual(32);
      expect(first.source).toBe(apiKeyFile(ctx));
      expect(statSync(apiKeyFile(ctx)).mode & 0o777).toBe(0o600);
      expect(adminApiKeys(ctx).keys).toEqual(first.keys);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("SLUICE_API_KEYS wins; SLUICE_API_KEY_FILE is read; an empty or missing file is a config error", () => {
    const a = ctxWith({ SLUICE_API_KEYS: "k1,k2" });
    const keyFile = join(a.dir, "keys.txt");
    writeFileSync(keyFile, "# ops team\nk3\nk4\n");
    const b = ctxWith({ SLUICE_API_KEY_FILE: keyFile });
    const c = ctxWith({ SLUICE_API_KEY_FILE: join(a.dir, "absent") });
    try {
      expect(adminApiKeys(a.ctx)).toEqual({ keys: ["k1", "k2"], source: "SLUICE_API_KEYS" });
      expect(adminApiKeys(b.ctx).keys).toEqual(["k3", "k4"]);
      expect(() => adminApiKeys(c.ctx)).toThrow(SluiceError);
      writeFileSync(keyFile, "# nothing\n");
      expect(() => adminApiKeys(b.ctx)).toThrow(/holds no key/);
      // Nothing was generated when keys are configured.
      expect(() => readFileSync(apiKeyFile(a.ctx))).toThrow();
    } finally {
      for (const x of [a, b, c]) rmSync(x.dir, { recursive: true, force: true });
    }
  });
});
