import { readFileSync } from "node:fs";
import type { Sql } from "postgres";
import { z } from "zod";
import { sqlIdentifier } from "../db/identifier.ts";
import { SluiceError } from "../errors.ts";
import { type Bucket, MANIFEST_FORMAT, type Manifest, MINUTE_MS } from "../producer/manifest.ts";

/**
 * The audit's reader: the buckets of a table (per device × metric code × minute: row count and the checksum that
 * src/producer/manifest.ts computes for sent rows), over the devices and minutes a manifest covers, so rows that
 * should not be there show up too. The checksum is computed by PostgreSQL, so only one row per bucket crosses the
 * wire: first 8 bytes of md5(int8send(epoch ms) ‖ float8send(value)), XORed.
 */

/** Buckets of `table` for `deviceIds` with published_at in [fromMinute, toMinute] (minutes since the epoch). */
export async function readBuckets(
  sql: Sql,
  table: string,
  scope: { deviceIds: readonly string[]; fromMinute: number; toMinute: number },
): Promise<Bucket[]> {
  if (scope.deviceIds.length === 0) return [];
  const rows = await sql.unsafe(
    `with r as (
       select device_id, metric_name, (extract(epoch from published_at) * 1000)::bigint as ms, value
         from ${sqlIdentifier(table)}
        where device_id = any($1::uuid[]) and published_at >= $2 and published_at < $3)
     select device_id::text as device_id, metric_name::int as metric_name, (ms / ${MINUTE_MS})::float8 as minute, count(*)::int as count,
            lpad(to_hex(bit_xor(('x' || left(md5(int8send(ms) || float8send(value)), 16))::bit(64)::bigint)), 16, '0') as checksum
       from r group by 1, 2, 3`,
    [scope.deviceIds as string[], new Date(scope.fromMinute * MINUTE_MS), new Date((scope.toMinute + 1) * MINUTE_MS)],
  );
  return rows.map((r) => ({
    device_id: r.device_id,
    metric_name: r.metric_name,
    minute: r.minute,
    count: r.count,
    checksum: r.checksum,
  }));
}

/** The scope a manifest covers: its devices, from its first to its last minute. */
export function scopeOf(m: Manifest): { deviceIds: string[]; fromMinute: number; toMinute: number } {
  const ids = [...new Set(m.buckets.map((b) => b.device_id))];
  let fromMinute = Infinity;
  let toMinute = -Infinity;
  for (const b of m.buckets) {
    if (b.minute < fromMinute) fromMinute = b.minute;
    if (b.minute > toMinute) toMinute = b.minute;
  }
  return { deviceIds: ids, fromMinute, toMinute };
}

const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  topic: z.string(),
  seed: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  rows: z.number().int().min(0),
  buckets: z.array(
    z.object({
      device_id: z.string(),
      metric_name: z.number().int(),
      minute: z.number().int(),
      count: z.number().int().min(1),
      checksum: z.string().regex(/^[0-9a-f]{16}$/),
    }),
  ),
});

/** Reads and validates a manifest file. */
export function readManifest(file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new SluiceError(
      "BAD_MANIFEST",
      `cannot read manifest ${file}: ${(e as Error).message}. Pass the file \`sluice produce\` wrote (--manifest).`,
    );
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success)
    throw new SluiceError("BAD_MANIFEST", `${file} is not a ${MANIFEST_FORMAT} manifest:\n${z.prettifyError(r.error)}`);
  return r.data as Manifest;
}
