import type { Message, Producer } from "kafkajs";
import PQueue from "p-queue";
import { SluiceError } from "../errors.ts";
import { COMPRESSION, type CompressionName, DEFAULT_COMPRESSION } from "../kafka/codecs.ts";
import { FAST_ENCODE } from "../kafka/fast-produce.ts";
import { encodeKey, encodeValue } from "./encode.ts";
import { partitionFor } from "./partitioner.ts";
import { metricAt, planRun, type Run } from "./workload.ts";

/** Header carrying the registry id of the value schema, so other consumers can fetch the schema. */
export const SCHEMA_ID_HEADER = "sluice-schema-id";

/** Arguments of {@link produce}. */
export interface ProduceOptions {
  /** An already connected producer; only `send` is used, so tests can pass a fake. Ideally created with
   * `createPartitioner: createDevicePartitioner` (partitioner.ts), which returns the explicit partition at once. */
  producer: Pick<Producer, "send">;
  topic: string;
  /** The topic's actual partition count (from the broker's metadata), so partitions match a Java producer's. */
  partitions: number;
  run: Run;
  /** Registry id of the value schema, sent as the `sluice-schema-id` header. */
  schemaId: number;
  /** Messages per `send` call. Default 1000. */
  batchSize?: number;
  /** `send` calls in flight. Default 8. */
  concurrency?: number;
  /** Default {@link DEFAULT_COMPRESSION}. lz4 and zstd come from codecs.ts (kafkajs has only gzip built in). */
  compression?: CompressionName;
  /** Default -1 (all in-sync replicas). */
  acks?: -1 | 0 | 1;
  /** Called after each acknowledged batch with the total acknowledged so far. */
  onProgress?: (sent: number) => void;
}

/** Outcome of a run. */
export interface ProduceStats {
  sent: number;
  elapsedMs: number;
  msgPerSec: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new SluiceError("INVALID_PRODUCE", `${name} must be an integer ≥ 1, got ${v}`);
  return v;
}

/**
 * Sends every metric of `run` to `topic` and resolves when all are acknowledged.
 *
 * Several batches stay in flight because awaiting each send leaves the producer idle for a round trip per batch;
 * the producer never runs more than `concurrency` batches ahead of the broker, so memory stays bounded whatever the
 * count. The first error from kafkajs stops the run: queued batches are dropped, in-flight ones are awaited, and the
 * error is rethrown (the run is deterministic, so it can be re-sent whole; keys are distinct and the sink upserts).
 *
 * Batches in flight may be acknowledged out of order, so a device's metrics are not guaranteed to be appended in
 * generation order; the keys carry `published_at`, and the sink's upsert does not depend on arrival order.
 */
export async function produce(opts: ProduceOptions): Promise<ProduceStats> {
  const { producer, topic, run, schemaId, onProgress } = opts;
  const partitions = positiveInt("partitions", opts.partitions);
  const batchSize = positiveInt("batchSize", opts.batchSize ?? 1000);
  const concurrency = positiveInt("concurrency", opts.concurrency ?? 8);
  const compression = COMPRESSION[opts.compression ?? DEFAULT_COMPRESSION];
  const acks = opts.acks ?? -1;
  if (!Number.isSafeInteger(schemaId) || schemaId < 0) {
    throw new SluiceError("INVALID_PRODUCE", `schemaId must be the registry's integer schema id, got ${schemaId}`);
  }
  if (compression === undefined)
    throw new SluiceError(
      "INVALID_PRODUCE",
      `compression must be one of ${Object.keys(COMPRESSION).join(", ")}, got ${opts.compression}`,
    );
  // One shared headers object: kafkajs only reads it, and one allocation per message would be waste.
  const headers = { [SCHEMA_ID_HEADER]: String(schemaId) };

  const queue = new PQueue({ concurrency });
  let sent = 0;
  let failure: { error: unknown } | undefined;
  const start = performance.now();

  for (let from = 0; from < run.count; from += batchSize) {
    // Backpressure: build the next batch only when fewer than `concurrency` wait behind the ones in flight.
    await queue.onSizeLessThan(concurrency);
    if (failure) break;
    const to = Math.min(from + batchSize, run.count);
    const messages: (Message & { [FAST_ENCODE]: true })[] = new Array(to - from);
    for (let k = from; k < to; k++) {
      const m = metricAt(run, k);
      // Marked for kafka/fast-produce.ts when it is installed (produceRun does): the same bytes, far less CPU.
      messages[k - from] = {
        key: encodeKey(m),
        value: encodeValue(m),
        partition: partitionFor(m.device_id, partitions),
        headers,
        [FAST_ENCODE]: true,
      };
    }
    // Handled here rather than by awaiting the add() promise, so a failure is seen by the loop before it
    // builds more batches, and no rejection goes unhandled.
    queue
      .add(() => producer.send({ topic, messages, acks, compression }))
      .then(() => {
        sent += messages.length;
        onProgress?.(sent);
      })
      .catch((error: unknown) => {
        failure ??= { error };
        queue.clear();
      });
  }
  await queue.onIdle();
  if (failure) throw failure.error;

  const elapsedMs = performance.now() - start;
  return { sent, elapsedMs, msgPerSec: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0 };
}

/**
 * What a run sent, written next to the run so a verifier can recompute every expected row: device ids, keys and
 * values are all derived from (seed, count, devices, startMs, stepMs) by workload.ts under `generator`.
 */
export interface Manifest {
  /** Version of the generation scheme in workload.ts; bump it when metricAt's output changes. */
  generator: "sluice-workload/1";
  seed: string;
  count: number;
  devices: number;
  startMs: number;
  stepMs: number;
  topic: string;
  sent: number;
  elapsedMs: number;
  msgPerSec: number;
}

/** The manifest of a finished run. */
export function manifestOf(run: Run, topic: string, stats: ProduceStats): Manifest {
  return {
    generator: "sluice-workload/1",
    seed: run.seed,
    count: run.count,
    devices: run.devices,
    startMs: run.startMs,
    stepMs: run.stepMs,
    topic,
    sent: stats.sent,
    elapsedMs: stats.elapsedMs,
    msgPerSec: stats.msgPerSec,
  };
}

/** Re-plans the run a manifest describes (validating it), for a verifier. */
export function runOfManifest(m: Manifest): Run {
  if (m.generator !== "sluice-workload/1") {
    throw new SluiceError(
      "UNKNOWN_GENERATOR",
      `manifest was written by generator ${String(m.generator)}; this build knows sluice-workload/1`,
    );
  }
  return planRun({ seed: m.seed, count: m.count, devices: m.devices, startMs: m.startMs, stepMs: m.stepMs });
}
