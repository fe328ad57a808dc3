import type { ICustomPartitioner, PartitionerArgs } from "kafkajs";

/**
 * Partition choice by device id.
 *
 * Why not kafkajs' default partitioner: it hashes the whole key with a murmur2 built on a 64-bit `Long` emulation and
 * filters the partition metadata for every message, which measured at ~40 % of the producer's CPU. The hash below
 * gives the same result as Java's `Utils.murmur2` with plain 32-bit arithmetic (`Math.imul` wraps exactly like Java's
 * `int` multiply), and each device's hash is computed once.
 *
 * Why hash `device_id` rather than the serialized key: every metric of a device lands on one partition, so a device's
 * metrics keep their order and a consumer sees one device's history in one place. A Java producer gets the same
 * partition by using the device id as its key bytes.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/**
 * Kafka's murmur2, bit for bit the same as Java's `org.apache.kafka.common.utils.Utils.murmur2(byte[])`.
 * Returns a signed 32-bit integer, as Java does.
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = bytes[i4]! | (bytes[i4 + 1]! << 8) | (bytes[i4 + 2]! << 16) | (bytes[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The tail falls through on purpose, as in Java's switch.
  const tail = length & ~3;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2's tail falls through, as in Kafka's Java.
    case 3:
      h ^= bytes[tail + 2]! << 16;
    // falls through
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above.
    case 2:
      h ^= bytes[tail + 1]! << 8;
    // falls through
    case 1:
      h ^= bytes[tail]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which would differ for negative hashes). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

const utf8 = new TextEncoder();

// The cache holds the positive hash, not the partition, so one entry serves every partition count.
// It is bounded because the HTTP ingest path can see an open-ended set of device ids; clearing it all at once is
// crude but keeps the hit path a single Map lookup, and a refill costs one hash per device.
const MAX_CACHED = 100_000;
const hashes = new Map<string, number>();

/** Positive murmur2 of the UTF-8 bytes of `deviceId`, cached. */
function deviceHash(deviceId: string): number {
  let h = hashes.get(deviceId);
  if (h === undefined) {
    if (hashes.size >= MAX_CACHED) hashes.clear();
    h = toPositive(murmur2(utf8.encode(deviceId)));
    hashes.set(deviceId, h);
  }
  return h;
}

/**
 * Partition of a device on a topic with `partitions` partitions: `toPositive(murmur2(utf8(deviceId))) % partitions`,
 * the formula of Java's `BuiltInPartitioner.partitionForKey`. `partitions` must be the topic's actual partition
 * count, or the mapping differs from a Java producer's and kafkajs is asked for a partition that does not exist.
 */
export function partitionFor(deviceId: string, partitions: number): number {
  return deviceHash(deviceId) % partitions;
}

// The wire key is `{"device_id":"<36-char uuid>",...}` (see encode.ts), so the id sits at a fixed offset and can be
// sliced out without parsing JSON.
const KEY_PREFIX = '{"device_id":"';
const ID_START = KEY_PREFIX.length;
const ID_END = ID_START + 36;

function deviceIdOfKey(key: Buffer | string): string | undefined {
  const text = typeof key === "string" ? key.slice(0, ID_END + 1) : key.toString("latin1", 0, ID_END + 1);
  if (!text.startsWith(KEY_PREFIX) || text.charCodeAt(ID_END) !== 0x22 /* closing quote */) return undefined;
  return text.slice(ID_START, ID_END);
}

/**
 * A kafkajs partitioner (`new Kafka(...).producer({ createPartitioner: createDevicePartitioner })`).
 *
 * Sluice's sender sets `partition` on every message, and this returns it at once: kafkajs calls the partitioner
 * for every message even when the partition is explicit, and its default one allocates a filtered copy of the
 * metadata each time. Messages without a partition are placed by the device id read from a Sluice wire key; any
 * other key falls back to the hash of the whole key (like the Java client), and no key to round robin.
 */
export const createDevicePartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const n = partitionMetadata.length;
    const key = message.key;
    if (key === undefined || key === null) return next++ % n;
    const id = deviceIdOfKey(key);
    if (id !== undefined) return partitionFor(id, n);
    const bytes = typeof key === "string" ? utf8.encode(key) : key;
    return toPositive(murmur2(bytes)) % n;
  };
};
