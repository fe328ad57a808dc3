import { createHash } from "node:crypto";
import type { Metric } from "../contract/index.ts";

/**
 * What a load run left in the table, compact enough for long runs: per device × metric code × minute of
 * `published_at`, the number of rows and an order-independent checksum of their (published_at, value) pairs.
 *
 * Row checksum: the first 8 bytes of md5(int64 big-endian published_at ‖ float64 big-endian value), XORed over the
 * bucket. PostgreSQL computes the same from the table with `md5(int8send(ms) || float8send(value))` (see
 * src/audit/buckets.ts), so the comparison is exact to the bit: a changed value changes the checksum, and XOR lets an
 * update swap the old value's term for the new one without knowing the rest of the bucket.
 */
export const MANIFEST_FORMAT = "sluice-manifest/1";
export const MINUTE_MS = 60_000;

/** One bucket. `checksum` is 16 lowercase hex digits. */
export interface Bucket {
  device_id: string;
  metric_name: number;
  /** floor(published_at / 60 000). */
  minute: number;
  count: number;
  checksum: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  topic: string;
  seed: string;
  startedAt: string;
  finishedAt: string;
  rows: number;
  buckets: Bucket[];
}

const scratch = Buffer.alloc(16);

/** The checksum term of one row as two unsigned 32-bit halves [hi, lo]. */
export function rowChecksum(publishedAt: number, value: number): [number, number] {
  scratch.writeBigInt64BE(BigInt(publishedAt), 0);
  scratch.writeDoubleBE(value, 8);
  const d = createHash("md5").update(scratch).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/** 16 hex digits of a checksum held as [hi, lo]. */
export function checksumHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

interface Acc {
  count: number;
  hi: number;
  lo: number;
}

/** Accumulates acknowledged rows into buckets. */
export class ManifestBuilder {
  private readonly buckets = new Map<string, Acc>();
  private rows = 0;

  private acc(m: Pick<Metric, "device_id" | "metric_name" | "published_at">): Acc {
    const k = `${m.device_id}|${m.metric_name}|${Math.floor(m.published_at / MINUTE_MS)}`;
    let a = this.buckets.get(k);
    if (a === undefined) this.buckets.set(k, (a = { count: 0, hi: 0, lo: 0 }));
    return a;
  }

  /** A new row (a key not sent before). */
  add(m: Metric): void {
    const a = this.acc(m);
    const [hi, lo] = rowChecksum(m.published_at, m.value);
    a.count++;
    a.hi ^= hi;
    a.lo ^= lo;
    this.rows++;
  }

  /** An existing row's value replaced (an update): the row count stays. */
  replace(m: Metric, previous: number): void {
    const a = this.acc(m);
    const [h0, l0] = rowChecksum(m.published_at, previous);
    const [h1, l1] = rowChecksum(m.published_at, m.value);
    a.hi ^= h0 ^ h1;
    a.lo ^= l0 ^ l1;
  }

  /** Rows recorded. */
  get size(): number {
    return this.rows;
  }

  /** The manifest, buckets sorted by device, code, minute. */
  build(meta: { topic: string; seed: string; startedAt: Date; finishedAt: Date }): Manifest {
    const buckets: Bucket[] = [];
    for (const [k, a] of this.buckets) {
      const [device_id, code, minute] = k.split("|");
      buckets.push({
        device_id: device_id!,
        metric_name: Number(code),
        minute: Number(minute),
        count: a.count,
        checksum: checksumHex(a.hi, a.lo),
      });
    }
    buckets.sort((x, y) =>
      x.device_id < y.device_id
        ? -1
        : x.device_id > y.device_id
          ? 1
          : x.metric_name - y.metric_name || x.minute - y.minute,
    );
    return {
      format: MANIFEST_FORMAT,
      topic: meta.topic,
      seed: meta.seed,
      startedAt: meta.startedAt.toISOString(),
      finishedAt: meta.finishedAt.toISOString(),
      rows: this.rows,
      buckets,
    };
  }
}
