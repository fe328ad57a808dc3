// The local stack's PostgreSQL serves TLS with a certificate from its own CA (<data>/secrets/tls): Sluice's clients
// reach it with POSTGRES_SSLMODE=verify-full against that CA, the session is encrypted, and a client that trusts
// another CA is refused with the setting to fix.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { parseEnv } from "../../src/config/env.ts";
import { pgTls } from "../../src/db/tls.ts";
import { planRun } from "../../src/producer/workload.ts";
import { roleUrl } from "../../src/stack/postgres.ts";
import { ensureLocalTls, localTlsDir } from "../../src/stack/tls.ts";
import { ctx, deliver, sandbox, sql } from "./harness.ts";

const ca = join(localTlsDir(ctx), "ca.crt");
const other = mkdtempSync(join(tmpdir(), "sluice-other-ca-"));
afterAll(() => rmSync(other, { recursive: true, force: true }));

const sluice = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(join(ctx.paths.root, "bin", "sluice"), args, { env: { ...process.env, ...env }, encoding: "utf8" });

describe("TLS to the local stack's PostgreSQL", () => {
  test("verify-full against the stack's CA: an encrypted session, the certificate checked for 127.0.0.1", async () => {
    const tls = pgTls(parseEnv({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: ca }));
    const sql = postgres(roleUrl(ctx, "analyst"), { max: 1, onnotice: () => {}, ...tls });
    try {
      const [s] = await sql`select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(s).toMatchObject({ ssl: true });
      expect(String(s!.version)).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await sql.end({ timeout: 2 });
    }
  });

  test("POSTGRES_SSLMODE=disable (the default): the sink's JDBC sessions are plain too, not pgjdbc's TLS-if-offered", async () => {
    const box = await sandbox("sink_plain", 1);
    try {
      await box.applySink();
      await deliver(
        box,
        planRun({ seed: `plain-${Date.now()}`, count: 200, devices: 5, startMs: Date.UTC(2026, 10, 9) }),
      );
      // The sink keeps its session open between batches: it is there right after the rows landed.
      const [r] = await sql`select count(*)::int as n, count(*) filter (where s.ssl)::int as tls
        from pg_stat_activity a join pg_stat_ssl s using (pid) where a.usename = 'sluice_sink'`;
      expect(r!.n).toBeGreaterThan(0);
      expect(r!.tls).toBe(0);
    } finally {
      await box.dispose();
    }
  }, 120_000);

  test("sluice query with POSTGRES_SSLMODE=verify-full works; trusting another CA is refused naming the setting", async () => {
    const ok = sluice({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: ca }, "query", "metric_codes");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("temperature");
    const foreign = (await ensureLocalTls(other, ["127.0.0.1"])).caCert;
    const refused = sluice({ POSTGRES_SSLMODE: "verify-full", POSTGRES_SSLROOTCERT: foreign }, "query", "metric_codes");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("a server's certificate is not trusted");
    expect(refused.stderr).toContain("POSTGRES_SSLROOTCERT");
  });
});
