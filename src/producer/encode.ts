import { CONTRACT, type Metric } from "../contract/index.ts";

/**
 * The wire encoding of a metric: plain JSON key and value, read by Kafka Connect's JsonConverter with
 * `schema.content` (see design.md, "Wire format").
 *
 * Template strings instead of `JSON.stringify(object)`: they skip walking an object and fix the field order, which
 * the key needs (the partitioner in partitioner.ts slices the device id at a fixed offset, and identical keys must be
 * identical bytes for log compaction). Strings still go through `JSON.stringify`, so any character is escaped
 * correctly even if a caller skipped the contract.
 */

// JSON of device ids and tag lists, cached: a producer sends the same few thousand of each over and over, and
// stringifying them was about half the cost of encoding a value. Ids are cached by value (bounded like the
// partitioner's cache); tag lists only when frozen (the load generator freezes one array per device), by identity,
// so a cached rendering can never go stale and fresh arrays (HTTP ingest) cost nothing extra.
const MAX_CACHED = 100_000;
const idJson = new Map<string, string>();
const tagsJson = new WeakMap<readonly string[], string>();

function quotedId(id: string): string {
  let q = idJson.get(id);
  if (q === undefined) {
    if (idJson.size >= MAX_CACHED) idJson.clear();
    idJson.set(id, (q = JSON.stringify(id)));
  }
  return q;
}

function tagList(tags: readonly string[]): string {
  // Only frozen arrays are ever cached, so a hit needs no isFrozen check.
  let t = tagsJson.get(tags);
  if (t !== undefined) return t;
  t = JSON.stringify(tags);
  if (Object.isFrozen(tags)) tagsJson.set(tags, t);
  return t;
}

/** Record key: `{"device_id":…,"metric_name":…,"published_at":…}`, exactly that field order. */
export function encodeKey(m: Pick<Metric, "device_id" | "metric_name" | "published_at">): string {
  return `{"device_id":${quotedId(m.device_id)},"metric_name":${m.metric_name},"published_at":${m.published_at}}`;
}

/**
 * Record value: `{"device_id","published_at","metric_name","value","tags"}`, then each of the contract's `optional`
 * fields that `m` has, in the contract's order. Throws on a non-finite value: JSON has no NaN or Infinity, and
 * `JSON.stringify` would silently write `null`.
 */
export function encodeValue(m: Metric, optional: readonly string[] = CONTRACT.optionalFields): string {
  if (!Number.isFinite(m.value)) throw new RangeError(`metric value must be finite, got ${m.value}`);
  // String(number) gives the same shortest round-trip text as JSON.stringify for every finite number.
  const five = `{"device_id":${quotedId(m.device_id)},"published_at":${m.published_at},"metric_name":${m.metric_name},"value":${m.value},"tags":${tagList(m.tags)}`;
  return optional.length === 0 ? `${five}}` : `${five}${extraFields(m as Record<string, unknown>, optional)}}`;
}

function extraFields(m: Record<string, unknown>, optional: readonly string[]): string {
  let out = "";
  for (const f of optional) if (m[f] !== undefined) out += `,${JSON.stringify(f)}:${JSON.stringify(m[f])}`;
  return out;
}
