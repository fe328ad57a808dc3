import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SluiceError } from "../../src/errors.ts";
import { adminApiKeys, adminChildEnv, apiKeyFile } from "../../src/stack/admin.ts";
import type { StackContext } from "../../src/stack/component.ts";
import { createStackContext } from "../../src/stack/context.ts";

function ctxWith(env: Record<string, string>): { ctx: StackContext; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-keys-"));
  return { ctx: createStackContext({ SLUICE_DATA_DIR: dir, ...env }), dir };
}

const plain = (keys: { key: string; scopes: readonly string[] }[]) => keys.map((k) => `${k.scopes.join("+")}:${k.key}`);

describe("admin API keys", () => {
  test("none configured: one key per scope is generated on first use into <data>/secrets (mode 600) and kept", () => {
    const { ctx, dir } = ctxWith({});
    try {
      const first = adminApiKeys(ctx);
      expect(first.keys.map((k) => k.scopes)).toEqual([["ingest"], ["admin"]]);
      for (const scope of ["ingest", "admin"] as const) {
        const key = readFileSync(apiKeyFile(ctx, scope), "utf8").trim();
        expect(key.length).toBeGreaterThanOrEqual(32);
        expect(first.keys.find((k) => k.scopes[0] === scope)!.key).toBe(key);
        expect(statSync(apiKeyFile(ctx, scope)).mode & 0o777).toBe(0o600);
      }
      expect(first.keys[0]!.key).not.toBe(first.keys[1]!.key);
      expect(adminApiKeys(ctx).keys).toEqual(first.keys);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("SLUICE_API_KEYS wins; SLUICE_API_KEY_FILE is read; an empty or missing file is a config error", () => {
    const a = ctxWith({ SLUICE_API_KEYS: "ingest:k1,admin:k2" });
    const keyFile = join(a.dir, "keys.txt");
    writeFileSync(keyFile, "# ops team\nadmin:k3\ningest:k4\n");
    const b = ctxWith({ SLUICE_API_KEY_FILE: keyFile });
    const c = ctxWith({ SLUICE_API_KEY_FILE: join(a.dir, "absent") });
    try {
      expect(plain(adminApiKeys(a.ctx).keys)).toEqual(["ingest:k1", "admin:k2"]);
      expect(adminApiKeys(a.ctx).source).toBe("SLUICE_API_KEYS");
      expect(plain(adminApiKeys(b.ctx).keys)).toEqual(["admin:k3", "ingest:k4"]);
      expect(() => adminApiKeys(c.ctx)).toThrow(SluiceError);
      writeFileSync(keyFile, "# nothing\n");
      expect(() => adminApiKeys(b.ctx)).toThrow(/holds no key/);
      // Nothing was generated when keys are configured.
      expect(() => readFileSync(apiKeyFile(a.ctx, "admin"))).toThrow();
      expect(() => readFileSync(apiKeyFile(a.ctx, "ingest"))).toThrow();
    } finally {
      for (const x of [a, b, c]) rmSync(x.dir, { recursive: true, force: true });
    }
  });

  test("a bare key keeps both scopes (flagged legacy); an unknown scope is a config error that does not echo the key", () => {
    const legacy = ctxWith({ SLUICE_API_KEYS: "old-key,ingest:new-key" });
    const typo = ctxWith({ SLUICE_API_KEYS: "ingest:k1,adimn:top-secret-key" });
    try {
      const keys = adminApiKeys(legacy.ctx).keys;
      expect(keys.map((k) => [k.key, k.scopes, k.legacy])).toEqual([
        ["old-key", ["ingest", "admin"], true],
        ["new-key", ["ingest"], false],
      ]);
      let message = "";
      try {
        adminApiKeys(typo.ctx);
      } catch (e) {
        expect(e).toBeInstanceOf(SluiceError);
        message = (e as Error).message;
      }
      expect(message).toContain('entry 2 has the unknown scope "adimn"; write ingest:KEY or admin:KEY');
      expect(message).not.toContain("top-secret-key");
    } finally {
      for (const x of [legacy, typo]) rmSync(x.dir, { recursive: true, force: true });
    }
  });
});

describe("the admin process's environment", () => {
  test("only what Bun needs, serve's settings and its own credentials: no other password, nothing else inherited", () => {
    const { ctx, dir } = ctxWith({
      ADMIN_PORT: "24300",
      METRICS_TOPIC: "m.t",
      POSTGRES_MONITOR_PASSWORD: "monitor-pw-123",
    });
    try {
      const parent = {
        PATH: "/usr/bin:/bin",
        HOME: "/home/u",
        POSTGRES_PASSWORD: "superuser-pw",
        POSTGRES_SINK_PASSWORD: "sink-pw-123",
        POSTGRES_ANALYST_PASSWORD: "analyst-pw-123",
        AWS_SECRET_ACCESS_KEY: "cloud-secret",
        SLUICE_SINK_DB_PASSWORD: "sink-pw-123",
      };
      const env = adminChildEnv(ctx, parent);
      expect(Object.keys(env).sort()).toEqual([
        "ADMIN_PORT",
        "CONNECT_PORT",
        "DLQ_TOPIC",
        "HOME",
        "KAFKA_PORT",
        "METRICS_MAINTAIN_EVERY",
        "METRICS_PARTITIONS_AHEAD",
        "METRICS_PARTITION_INTERVAL",
        "METRICS_RETENTION",
        "METRICS_TOPIC",
        "PATH",
        "POSTGRES_DB",
        "POSTGRES_MAINTAINER_PASSWORD",
        "POSTGRES_MONITOR_PASSWORD",
        "POSTGRES_PORT",
        "REGISTRY_PORT",
        "SLUICE_BROKERS",
        "SLUICE_DATA_DIR",
        "SLUICE_HOST",
      ]);
      expect([env.ADMIN_PORT, env.METRICS_TOPIC, env.POSTGRES_MONITOR_PASSWORD, env.SLUICE_DATA_DIR]).toEqual([
        "24300",
        "m.t",
        "monitor-pw-123",
        dir,
      ]);
      for (const v of ["superuser-pw", "sink-pw-123", "analyst-pw-123", "cloud-secret"])
        expect(Object.values(env)).not.toContain(v);
      // Configured API keys go along (they are the admin's own); a generated monitor password comes from the secrets.
      const keyed = ctxWith({ SLUICE_API_KEYS: "admin:k" });
      try {
        const e2 = adminChildEnv(keyed.ctx, {});
        expect(e2.SLUICE_API_KEYS).toBe("admin:k");
        expect(e2.POSTGRES_MONITOR_PASSWORD).toBe(
          readFileSync(join(keyed.dir, "secrets", "postgres-monitor-password"), "utf8").trim(),
        );
        expect(e2.POSTGRES_MAINTAINER_PASSWORD).toBe(
          readFileSync(join(keyed.dir, "secrets", "postgres-maintainer-password"), "utf8").trim(),
        );
      } finally {
        rmSync(keyed.dir, { recursive: true, force: true });
      }
      // With the maintenance schedule off the admin gets no maintainer password at all.
      const off = ctxWith({ METRICS_MAINTAIN_EVERY: "0", POSTGRES_MAINTAINER_PASSWORD: "maint-pw-123" });
      try {
        const e3 = adminChildEnv(off.ctx, { POSTGRES_MAINTAINER_PASSWORD: "maint-pw-123" });
        expect(e3.METRICS_MAINTAIN_EVERY).toBe("0");
        expect(e3.POSTGRES_MAINTAINER_PASSWORD).toBeUndefined();
        expect(Object.values(e3)).not.toContain("maint-pw-123");
      } finally {
        rmSync(off.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
