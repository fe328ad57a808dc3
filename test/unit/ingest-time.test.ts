import { describe, expect, test } from "bun:test";
import { IngestMetric, timeTextToMillis } from "../../src/contract/ingest-metric.ts";
import { DEFAULT_LIMITS, validateBatch } from "../../src/server/ingest.ts";
import { openApiDocument } from "../../src/server/openapi.ts";

const base = { device_id: "3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", metric_name: 0, value: 1.5, tags: [] };

describe("published_at as text", () => {
  test.each([
    ["2026-12-03T10:00:00Z", Date.UTC(2026, 11, 3, 10)],
    ["2026-12-03t10:00:00.123z", Date.UTC(2026, 11, 3, 10, 0, 0, 123)],
    ["2026-12-03T12:00:00.123+02:00", Date.UTC(2026, 11, 3, 10, 0, 0, 123)],
    ["2026-12-03T04:30:00-05:30", Date.UTC(2026, 11, 3, 10)],
    ["2026-12-03T10:00:00.120000Z", Date.UTC(2026, 11, 3, 10, 0, 0, 120)],
    ["1970-01-01T00:00:00-00:00", 0],
  ])("%s is the instant it names", (text, ms) => {
    expect(timeTextToMillis(text)).toEqual({ ms });
  });

  test.each([
    ["2026-12-03T10:00:00", "no offset"],
    ["2026-12-03T10:00:00.5", "no offset"],
    ["2026-12-03T10:00:00.1234Z", "finer than a millisecond"],
    ["2026-02-30T00:00:00Z", "RFC 3339"],
    ["2026-12-03T10:00:00+0200", "RFC 3339"],
    ["yesterday", "RFC 3339"],
  ])("%s is refused: %s", (text, why) => {
    const r = timeTextToMillis(text);
    expect("error" in r && r.error).toContain(why);
  });

  test("the contract's range still holds after normalising, and the output is the topic's epoch ms", () => {
    const early = IngestMetric.safeParse({ ...base, published_at: "1969-12-31T23:59:59Z" });
    expect(early.success).toBe(false);
    expect(early.error?.issues[0]?.path).toEqual(["published_at"]);
    const batch = validateBatch({ metrics: [{ ...base, published_at: "2026-12-03T10:00:00Z" }] }, 10);
    expect(batch).toEqual({ ok: true, metrics: [{ ...base, published_at: Date.UTC(2026, 11, 3, 10) }] });
  });

  test("the OpenAPI document offers both forms", () => {
    const doc = openApiDocument(DEFAULT_LIMITS) as unknown as {
      components: {
        schemas: { Metric: { properties: { published_at: { anyOf: { type: string; format?: string }[] } } } };
      };
    };
    const forms = doc.components.schemas.Metric.properties.published_at.anyOf;
    expect(forms.map((f) => [f.type, f.format])).toEqual([
      ["integer", undefined],
      ["string", "date-time"],
    ]);
  });
});
