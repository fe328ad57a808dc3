import type { Message } from "kafkajs";
import { z } from "zod";
import type { Metric } from "../contract/index.ts";
import { IngestMetric } from "../contract/ingest-metric.ts";
import { encodeKey, encodeValue } from "../producer/encode.ts";
import { partitionFor } from "../producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../producer/send.ts";

/** Limits of `POST /v1/metrics`, documented in the OpenAPI document. */
export interface IngestLimits {
  /** Metrics per request. */
  readonly maxItems: number;
  /** Request body bytes (413 above). */
  readonly maxBodyBytes: number;
  /** How long a batch may wait for Kafka's acknowledgement before the request answers 503. */
  readonly sendTimeoutMs: number;
  /** Batches waiting for Kafka at once; one more is refused with 429 (no unbounded buffering). */
  readonly maxInFlight: number;
}

/**
 * 512 KiB of body: with the keys and headers added, even a batch whose devices all map to one partition stays well
 * under Kafka's default 1 MiB record-batch limit (`message.max.bytes`), so a batch the server accepts can never be
 * refused by the broker for its size. 1,000 typical metrics take about 150 KB.
 */
export const DEFAULT_LIMITS: IngestLimits = {
  maxItems: 1000,
  maxBodyBytes: 512 * 1024,
  sendTimeoutMs: 5000,
  maxInFlight: 16,
};

/** One reason a batch was refused: which item (null for the envelope), which field, and why. */
export interface ItemError {
  readonly index: number | null;
  readonly field: string;
  readonly message: string;
}

export type BatchResult = { ok: true; metrics: Metric[] } | { ok: false; errors: ItemError[] };

/** The request body: `{ "metrics": [ Metric, … ] }`. Items are checked one by one below, so errors name each item. */
export const BatchEnvelope = z.strictObject({ metrics: z.array(z.unknown()) });

const MAX_ERRORS = 100;

/**
 * Validates a parsed body against the contract. All or nothing: one invalid item refuses the whole batch, so a
 * client never has to work out which part of a batch was written. Errors are listed per item and field (at most
 * 100, so a huge bad batch does not make a huge answer).
 */
export function validateBatch(body: unknown, maxItems: number): BatchResult {
  const env = BatchEnvelope.safeParse(body);
  if (!env.success) {
    return {
      ok: false,
      errors: env.error.issues.map((i) => ({
        index: null,
        field: i.code === "unrecognized_keys" ? i.keys.join(",") : i.path.join(".") || "(body)",
        message: i.code === "unrecognized_keys" ? 'unknown field; the body is {"metrics": [...]}' : i.message,
      })),
    };
  }
  const items = env.data.metrics;
  if (items.length === 0)
    return { ok: false, errors: [{ index: null, field: "metrics", message: "must hold at least one metric" }] };
  if (items.length > maxItems) {
    return {
      ok: false,
      errors: [
        {
          index: null,
          field: "metrics",
          message: `must hold at most ${maxItems} metrics, got ${items.length}; split the batch`,
        },
      ],
    };
  }
  const metrics: Metric[] = [];
  const errors: ItemError[] = [];
  for (let index = 0; index < items.length; index++) {
    const r = IngestMetric.safeParse(items[index]);
    if (r.success) {
      metrics.push(r.data);
      continue;
    }
    for (const i of r.error.issues) {
      if (i.code === "unrecognized_keys") {
        for (const k of i.keys) errors.push({ index, field: k, message: "unknown field" });
      } else {
        errors.push({ index, field: i.path.length ? i.path.join(".") : "(item)", message: i.message });
      }
    }
    // Checked after each item, not each issue: one item with many unknown fields adds many errors at once.
    if (errors.length >= MAX_ERRORS) break;
  }
  return errors.length ? { ok: false, errors: errors.slice(0, MAX_ERRORS) } : { ok: true, metrics };
}

/**
 * Kafka messages for a validated batch, exactly as the CLI producer writes them: same key and value encoding, the
 * device partitioner's partition and the schema-id header.
 */
export function toMessages(metrics: readonly Metric[], partitions: number, schemaId: number): Message[] {
  const headers = { [SCHEMA_ID_HEADER]: String(schemaId) };
  return metrics.map((m) => ({
    key: encodeKey(m),
    value: encodeValue(m),
    partition: partitionFor(m.device_id, partitions),
    headers,
  }));
}
