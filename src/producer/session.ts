import { Partitioners, type Producer } from "kafkajs";
import type { HttpAuth } from "../config/http-auth.ts";
import type { KafkaSecurity } from "../config/kafka-security.ts";
import { VALUE_SUBJECT, valueJsonSchema } from "../contract/index.ts";
import { kafka } from "../kafka/client.ts";
import type { CompressionName } from "../kafka/codecs.ts";
import { installFastProduce } from "../kafka/fast-produce.ts";
import { contractId } from "../registry/compatibility.ts";
import { createDevicePartitioner } from "./partitioner.ts";
import { type Manifest, manifestOf, produce } from "./send.ts";
import type { Run } from "./workload.ts";

export interface ProducerTarget {
  readonly brokers: string[];
  /** TLS and SASL for a secured cluster (config/kafka-security.ts); none for the local stack's PLAINTEXT. */
  readonly security?: KafkaSecurity;
  readonly registryUrl: string;
  /** The registry's credentials, when it asks for them. */
  readonly registryAuth?: HttpAuth;
  readonly topic: string;
}

/**
 * One producer run end to end: look up the contract's schema id (registering is idempotent and checks
 * compatibility), connect, send every metric of `run`, disconnect. Returns the manifest of what was acknowledged.
 */
export async function produceRun(
  target: ProducerTarget,
  run: Run,
  opts: {
    batchSize?: number;
    concurrency?: number;
    compression?: CompressionName;
    onProgress?: (sent: number) => void;
  } = {},
): Promise<Manifest> {
  const schemaId = await contractId(target.registryUrl, VALUE_SUBJECT, valueJsonSchema(), target.registryAuth);
  installFastProduce();
  const client = kafka(target.brokers, "sluice-producer", target.security);
  const admin = client.admin();
  const producer = client.producer({
    createPartitioner: createDevicePartitioner,
    allowAutoTopicCreation: false,
    idempotent: false,
  });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [target.topic] })).topics;
    const stats = await produce({
      producer,
      topic: target.topic,
      partitions: meta!.partitions.length,
      run,
      schemaId,
      batchSize: opts.batchSize,
      concurrency: opts.concurrency,
      compression: opts.compression,
      onProgress: opts.onProgress,
    });
    return manifestOf(run, target.topic, stats);
  } finally {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
}

/** A connected producer for load runs, with what a run needs to know about the topic. */
export interface LoadProducer {
  readonly producer: Producer;
  readonly partitions: number;
  readonly schemaId: number;
  close(): Promise<void>;
}

/**
 * Connects a producer for `runLoad` (loadtest.ts): the contract's schema id, the topic's partition count, and
 * kafkajs' `maxInFlightRequests` per broker connection. `partitioner: "default"` uses kafkajs' own partitioner
 * (for the benchmark that compares the two).
 */
export async function openLoadProducer(
  target: ProducerTarget,
  opts: { maxInFlight: number; partitioner: "device" | "default"; idempotent?: boolean },
): Promise<LoadProducer> {
  const schemaId = await contractId(target.registryUrl, VALUE_SUBJECT, valueJsonSchema(), target.registryAuth);
  // The load tester's records are encoded by fast-produce.ts (marked per message; other producers are untouched).
  installFastProduce();
  const client = kafka(target.brokers, "sluice-load", target.security);
  const admin = client.admin();
  const producer = client.producer({
    createPartitioner: opts.partitioner === "device" ? createDevicePartitioner : Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    // kafkajs' idempotent producer is safe only with one send in flight (docs/decisions/producer-delivery.md): one
    // request per connection here, and the caller runs one batch at a time.
    idempotent: opts.idempotent ?? false,
    maxInFlightRequests: opts.idempotent ? 1 : opts.maxInFlight,
    // kafkajs's idempotent default is to retry forever; a run should rather stop with the error (it does on the first).
    ...(opts.idempotent ? { retry: { retries: 10 } } : {}),
  });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [target.topic] })).topics;
    return { producer, partitions: meta!.partitions.length, schemaId, close: () => producer.disconnect() };
  } catch (e) {
    await producer.disconnect();
    throw e;
  } finally {
    await admin.disconnect();
  }
}
