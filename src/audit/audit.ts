import type { Sql } from "postgres";
import type { Manifest } from "../producer/manifest.ts";
import { readBuckets, scopeOf } from "./buckets.ts";
import { type AuditResult, diffBuckets } from "./diff.ts";

/** Audits `table` against a manifest once: the table's buckets in the manifest's scope, diffed. */
export async function auditManifest(sql: Sql, table: string, manifest: Manifest): Promise<AuditResult> {
  return diffBuckets(manifest.buckets, await readBuckets(sql, table, scopeOf(manifest)));
}

/**
 * Audits until clean, or until `waitMs` passes (the sink may still be draining): returns the last result. Polls
 * every `intervalMs`; an aborted `signal` returns the last result at once.
 */
export async function auditUntilClean(
  sql: Sql,
  table: string,
  manifest: Manifest,
  opts: { waitMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<AuditResult> {
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const r = await auditManifest(sql, table, manifest);
    if (r.ok || Date.now() >= deadline || opts.signal?.aborted) return r;
    await Bun.sleep(opts.intervalMs ?? 1000);
  }
}
