// PostgreSQL's binary COPY format for the contract's five columns (device_id uuid, published_at timestamptz,
// metric_name smallint, value float8, tags text[]): the bench's parallel COPY baseline sends rows already encoded, as
// a loader that prepared its file would, so the baseline measures the database and not the encoder.
import type { Metric } from "../../src/contract/metric.ts";

/** "PGCOPY\n\377\r\n\0", then flags and header-extension length (both 0). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TRAILER = Buffer.from([0xff, 0xff]);
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
const PG_EPOCH_MS = 946_684_800_000;
const TEXT_OID = 25;

/** The COPY statement the encoded stream belongs to. */
export const copyBinarySql = (table: string) =>
  `copy ${table} (device_id, published_at, metric_name, value, tags) from stdin (format binary)`;

/** One row's bytes (without the stream header). */
export function encodeRow(m: Metric): Buffer {
  const tags = m.tags.map((t) => Buffer.from(t, "utf8"));
  const arrayLen = tags.length === 0 ? 12 : 20 + tags.reduce((s, t) => s + 4 + t.length, 0);
  const b = Buffer.allocUnsafe(2 + (4 + 16) + (4 + 8) + (4 + 2) + (4 + 8) + (4 + arrayLen));
  let o = b.writeInt16BE(5, 0);
  o = b.writeInt32BE(16, o);
  o += b.write(m.device_id.replaceAll("-", ""), o, 16, "hex");
  o = b.writeInt32BE(8, o);
  o = b.writeBigInt64BE(BigInt(m.published_at - PG_EPOCH_MS) * 1000n, o);
  o = b.writeInt32BE(2, o);
  o = b.writeInt16BE(m.metric_name, o);
  o = b.writeInt32BE(8, o);
  o = b.writeDoubleBE(m.value, o);
  o = b.writeInt32BE(arrayLen, o);
  o = b.writeInt32BE(tags.length === 0 ? 0 : 1, o); // dimensions
  o = b.writeInt32BE(0, o); // no nulls
  o = b.writeInt32BE(TEXT_OID, o);
  if (tags.length > 0) {
    o = b.writeInt32BE(tags.length, o);
    o = b.writeInt32BE(1, o); // lower bound
    for (const t of tags) {
      o = b.writeInt32BE(t.length, o);
      o += t.copy(b, o);
    }
  }
  return b;
}

/**
 * A whole COPY stream of `rows` in chunks of about `chunkBytes` (header first, trailer last), ready to be written to
 * a `COPY … FROM STDIN (FORMAT binary)`.
 */
export function encodeStream(rows: Iterable<Metric>, chunkBytes = 1 << 20): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [HEADER];
  let size = HEADER.length;
  for (const m of rows) {
    const r = encodeRow(m);
    parts.push(r);
    size += r.length;
    if (size >= chunkBytes) {
      chunks.push(Buffer.concat(parts, size));
      parts = [];
      size = 0;
    }
  }
  parts.push(TRAILER);
  chunks.push(Buffer.concat(parts, size + TRAILER.length));
  return chunks;
}
