import { z } from "zod";
import { Metric, PublishedAt } from "./metric.ts";

const EXAMPLE = "2026-12-03T10:00:00.123Z";
const WITH_OFFSET = z.iso.datetime({ offset: true });
const WITHOUT_OFFSET = z.iso.datetime({ local: true });
/** Fraction digits after the milliseconds: only zeros can be dropped without storing a different instant. */
const SUB_MILLIS = /\.\d{3}(\d+)(?=[Z+-])/;

/** Epoch milliseconds of an RFC 3339 time with an offset, or the reason it cannot be stored exactly. */
export function timeTextToMillis(text: string): { ms: number } | { error: string } {
  const upper = text.toUpperCase(); // RFC 3339 allows "t" and "z"; zod's check wants them upper case
  if (!WITH_OFFSET.safeParse(upper).success) {
    if (WITHOUT_OFFSET.safeParse(upper).success) {
      return {
        error:
          `"${text}" has no offset, so the instant it names depends on a time zone nobody sent: ` +
          `add Z or ±hh:mm (${EXAMPLE}) or send epoch milliseconds`,
      };
    }
    return {
      error: `must be epoch milliseconds or an RFC 3339 time with an offset like ${EXAMPLE}; got "${text.slice(0, 64)}"`,
    };
  }
  const extra = SUB_MILLIS.exec(upper)?.[1];
  if (extra && /[1-9]/.test(extra)) {
    return {
      error: `"${text}" is finer than a millisecond, which the table keeps: round it on the device or send epoch milliseconds`,
    };
  }
  return { ms: Date.parse(upper) };
}

/**
 * `published_at` as devices send it over HTTP: epoch milliseconds, or an RFC 3339 / ISO 8601 time with an offset,
 * normalised to epoch milliseconds before the contract's own check. The topic carries only epoch milliseconds.
 */
export const IngestPublishedAt = z
  .union([z.int(), z.string().meta({ format: "date-time" })], {
    error: `must be epoch milliseconds (an integer) or an RFC 3339 time like ${EXAMPLE}`,
  })
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    const r = timeTextToMillis(v);
    if ("ms" in r) return r.ms;
    ctx.issues.push({ code: "custom", message: r.error, input: v });
    return z.NEVER;
  })
  .pipe(PublishedAt)
  .meta({
    description: `When the device published it: epoch milliseconds UTC, or an RFC 3339 time with an offset (${EXAMPLE}).`,
  });

/** A metric as `POST /v1/metrics` accepts it; its output is the topic's {@link Metric}. */
export const IngestMetric = Metric.extend({ published_at: IngestPublishedAt }).meta({ title: "IngestMetric" });
