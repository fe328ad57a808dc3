import { z } from "zod";
import { METRIC_CODES } from "./codes.ts";

/**
 * The metric contract: the single source of truth from which the registry's JSON Schema, the Kafka Connect schemas
 * and the checks against the drizzle table are derived.
 *
 * It is strict on purpose: anything it accepts must be stored by PostgreSQL exactly as sent, never fail there and
 * never be narrowed (a `metric_name` outside the codes, a non-uuid id, a NUL in a tag or a timestamp outside the
 * range would either fail the sink task or be silently altered).
 */

/** Earliest instant accepted (epoch ms): 1970-01-01T00:00:00.000Z. */
export const MIN_PUBLISHED_AT = 0;
/** Latest instant accepted (epoch ms): 9999-12-31T23:59:59.999Z, well inside timestamptz and JS Date. */
export const MAX_PUBLISHED_AT = 253_402_300_799_999;
export const MAX_TAGS = 16;
export const MAX_TAG_LENGTH = 64;

/** Lowercase canonical uuid text: PostgreSQL accepts more spellings, but then the stored text differs from the sent one. */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Marks the field that Kafka Connect must read as a `Timestamp` (int64 epoch ms) and PostgreSQL stores as timestamptz. */
export const TIMESTAMP_MILLIS = "timestamp-millis";

export const DeviceId = z
  .string()
  .regex(UUID_RE, { error: "must be a lowercase uuid like 3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c" })
  .meta({ format: "uuid", description: "Device that published the metric (lowercase uuid)." });

export const PublishedAt = z
  .int()
  .min(MIN_PUBLISHED_AT, { error: "must be epoch milliseconds at or after 1970-01-01T00:00:00Z" })
  .max(MAX_PUBLISHED_AT, { error: "must be epoch milliseconds before year 10000" })
  .meta({ "x-logical-type": TIMESTAMP_MILLIS, description: "When the device published it, epoch milliseconds UTC." });

/** The `metric_name` field for a set of codes (name → code): exactly those numbers. */
export function metricNameCodeOf(codes: Readonly<Record<string, number>>) {
  const list = Object.values(codes).sort((a, b) => a - b);
  return z
    .literal(list as [number, ...number[]], { error: `must be one of the metric codes ${list.join(", ")}` })
    .meta({
      description: `Metric code: ${Object.entries(codes)
        .map(([name, code]) => `${name} ${code}`)
        .join(", ")}.`,
    });
}

export const MetricNameCode = metricNameCodeOf(METRIC_CODES);

// The bounds are the largest double: JSON Schema cannot say "finite", but a number beyond them (1e400) is one that no
// double holds, so the registered schema refuses what zod and the sink refuse (both read it as Infinity).
export const Value = z
  .number({ error: "must be a finite number" })
  .min(-Number.MAX_VALUE, { error: "must be a finite number (a double)" })
  .max(Number.MAX_VALUE, { error: "must be a finite number (a double)" })
  .meta({ description: "Measured value." });

/**
 * Tag text: well-formed Unicode (a lone UTF-16 surrogate such as `"\ud800"` in JSON cannot be stored as UTF-8 and
 * is refused by the sink's converter) without NUL (PostgreSQL text cannot hold it). One regex says both, so zod and
 * the JSON Schema's `pattern` are the same text. It works on UTF-16 units (no `u` flag) and on code points (`u`
 * flag, Java): a pair is one code point outside the surrogate range, a lone surrogate matches neither branch.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character refused (PostgreSQL text cannot hold it).
export const TAG_PATTERN = /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

// Length in Unicode code points, as JSON Schema's maxLength and the sink count them (an emoji is one): zod 4's
// `.max()` on a string counts code points too; test/vectors/contract.json holds both sides to it at the limit.
export const Tag = z
  .string()
  .max(MAX_TAG_LENGTH, { error: `must be at most ${MAX_TAG_LENGTH} characters (Unicode code points)` })
  .regex(TAG_PATTERN, {
    // One pattern, two causes: name the one this tag has.
    error: (iss) =>
      typeof iss.input === "string" && iss.input.includes("\u0000")
        ? "must not contain a NUL character"
        : "must be well-formed Unicode text (a lone surrogate such as \\ud800 cannot be stored)",
  });

export const Tags = z
  .array(Tag)
  .max(MAX_TAGS, { error: `must hold at most ${MAX_TAGS} tags` })
  .meta({ description: "Free-form labels." });

/**
 * The value and key objects of a contract with these codes and, beyond the five fields, these optional ones (in this
 * order; a record may leave each out, so producers that do not know them keep working). Closed: any other field is
 * refused.
 */
export function metricObjectsOf<O extends Record<string, z.ZodType> = Record<never, z.ZodType>>(
  codes: Readonly<Record<string, number>>,
  optional: O = {} as O,
) {
  const code = metricNameCodeOf(codes);
  const extra = Object.fromEntries(Object.entries(optional).map(([k, t]) => [k, t.optional()])) as {
    [K in keyof O]: z.ZodOptional<O[K]>;
  };
  return {
    value: z
      .strictObject({
        device_id: DeviceId,
        published_at: PublishedAt,
        metric_name: code,
        value: Value,
        tags: Tags,
        ...extra,
      })
      .meta({ title: "Metric", description: "One IoT metric sample." }),
    key: z
      .strictObject({ device_id: DeviceId, metric_name: code, published_at: PublishedAt })
      .meta({ title: "MetricKey" }),
  };
}

/**
 * The shipped contract's fields beyond the five, each optional so producers that do not send it keep working; each
 * needs a nullable column in `metrics` (docs/contract.md walks through adding one). None yet.
 */
export const OPTIONAL_FIELDS = {} satisfies Record<string, z.ZodType>;

const shipped = metricObjectsOf(METRIC_CODES, OPTIONAL_FIELDS);

/** A metric as it travels on the `metrics` topic (the record value). */
export const Metric = shipped.value;

/** The record key: the composite primary key of the table. */
export const MetricKey = shipped.key;

export type Metric = z.infer<typeof Metric>;
export type MetricKey = z.infer<typeof MetricKey>;

/** Key of a metric, in the field order of the wire format. */
export function keyOf(m: Metric): MetricKey {
  return { device_id: m.device_id, metric_name: m.metric_name, published_at: m.published_at };
}
