import type { Message, Producer } from "kafkajs";
import PQueue from "p-queue";
import { FAST_ENCODE } from "../kafka/fast-produce.ts";
import type { Metric } from "../contract/index.ts";
import { COMPRESSION, type CompressionName } from "../kafka/codecs.ts";
import { validRecord, type FaultInjector, type FaultKind, type Outgoing } from "./faults.ts";
import type { Workload } from "./generator.ts";
import { histogram, latencyStats } from "./latency.ts";
import type { ManifestBuilder } from "./manifest.ts";
import { partitionFor } from "./partitioner.ts";
import type { Summary, WindowStats } from "./report.ts";
import { SCHEMA_ID_HEADER } from "./send.ts";

/**
 * The load tester's engine: an open-loop schedule feeding batches into a bounded set of in-flight sends.
 *
 * Schedule: in `rate` mode record k is due at t0 + k/rate; in `cycle` mode every record of workload cycle c is due at
 * t0 + c·interval (the PoC's bursts); in `max` mode a record is due when it is made. The schedule never waits for the
 * broker: when every slot is busy, records keep falling due, and are sent (as fast as possible) once a slot frees.
 * Latency is measured from the due time to the acknowledgement, so a broker stall shows up in the percentiles
 * instead of silently lowering the offered load (no coordinated omission).
 */
export type Mode = { kind: "max" } | { kind: "rate"; perSec: number } | { kind: "cycle"; intervalMs: number };

export interface LoadOptions {
  producer: Pick<Producer, "send">;
  topic: string;
  partitions: number;
  schemaId: number;
  mode: Mode;
  workload: Workload;
  faults: FaultInjector;
  /** Stop after this many records (valid + injected), and/or when the schedule reaches this duration. */
  count?: number;
  durationMs?: number;
  batchSize: number;
  concurrency: number;
  compression: CompressionName;
  acks: -1 | 0 | 1;
  /** `device`: Sluice's partition by device id; `default`: leave it to the producer's partitioner (benchmarks). */
  partitioner: "device" | "default";
  /** Send the registry's schema id in a header on every record (default true); about 10 % of the cost of a record. */
  schemaHeader?: boolean;
  /** Wait at most this long to fill a batch when sending is ahead of the schedule. Default 5 ms. */
  lingerMs?: number;
  manifest?: ManifestBuilder;
  /** Stops the schedule; in-flight batches are still awaited. */
  signal?: AbortSignal;
  windowMs?: number;
  onWindow?: (w: WindowStats) => void;
  /** Called with the first valid record of a batch at most every `sampleEveryMs`, when it is handed to Kafka. */
  onSample?: (m: Metric, sentAtEpochMs: number) => void;
  sampleEveryMs?: number;
}

interface Batch {
  records: Outgoing[];
  /** performance.now() at which each record was due. */
  due: Float64Array;
  bytes: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Runs the load until `count`, `durationMs` or `signal`; resolves with the summary once every batch has settled. */
export async function runLoad(o: LoadOptions): Promise<Summary> {
  const { producer, topic, partitions, mode, workload, faults, manifest, signal } = o;
  const compression = COMPRESSION[o.compression];
  const headers = o.schemaHeader === false ? undefined : { [SCHEMA_ID_HEADER]: String(o.schemaId) };
  const lingerMs = o.lingerMs ?? 5;
  const queue = new PQueue({ concurrency: o.concurrency });
  const hist = histogram();
  const injected: Record<FaultKind, number> = { duplicate: 0, update: 0, malformed: 0, invalid: 0 };
  let sent = 0, valid = 0, errors = 0, bytesSent = 0;
  let firstError: string | null = null;
  let lagSum = 0, lagMax = 0, lagN = 0;
  // Window counters, reset by the window timer.
  let wRecords = 0, wBytes = 0, wLatSum = 0, wLatMax = 0, wStart = performance.now();
  let lastAck = 0;
  let lastSample = -Infinity;
  const trackFaults = faults.active;

  const aborted = new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener("abort", () => resolve(), { once: true })));
  const t0 = performance.now();
  const epoch0 = Date.now() - t0; // epoch ms = epoch0 + performance.now()
  const interval = mode.kind === "cycle" ? mode.intervalMs : 0;
  const perMs = mode.kind === "rate" ? mode.perSec / 1000 : 0;
  const endAt = o.durationMs !== undefined ? t0 + o.durationMs : Infinity;
  const count = o.count ?? Infinity;
  let k = 0; // records made

  const dueOf = (now: number) => (mode.kind === "rate" ? t0 + k / perMs : mode.kind === "cycle" ? t0 + workload.cycle * interval : now);

  const window = o.onWindow
    ? setInterval(() => {
        const now = performance.now();
        o.onWindow!({ records: wRecords, bytes: wBytes, seconds: (now - wStart) / 1000, avgMs: wRecords ? wLatSum / wRecords / 1000 : null, maxMs: wRecords ? wLatMax / 1000 : null });
        wRecords = wBytes = wLatSum = wLatMax = 0;
        wStart = now;
      }, o.windowMs ?? 5000)
    : undefined;

  const onAck = (b: Batch) => {
    const now = performance.now();
    lastAck = now;
    const n = b.records.length;
    for (let i = 0; i < n; i++) {
      const us = Math.max(1, Math.round((now - b.due[i]!) * 1000));
      hist.recordValue(us);
      wLatSum += us;
      if (us > wLatMax) wLatMax = us;
    }
    sent += n;
    wRecords += n;
    wBytes += b.bytes;
    bytesSent += b.bytes;
    if (trackFaults) {
      for (const r of b.records) {
        if (r.kind === "valid") {
          valid++;
          manifest?.add(r.metric!);
        } else {
          injected[r.kind]++;
          if (r.kind === "update") manifest?.replace(r.metric!, r.previous!);
        }
      }
      faults.acked(b.records);
    } else {
      valid += n;
      if (manifest) for (const r of b.records) manifest.add(r.metric!);
    }
  };

  const submit = (b: Batch) => {
    queue
      .add(async () => {
        const start = performance.now();
        const lag = start - b.due[0]!;
        lagSum += lag;
        lagN++;
        if (lag > lagMax) lagMax = lag;
        // The FAST_ENCODE mark has kafka/fast-produce.ts encode these records (same bytes as kafkajs, far less CPU);
        // openLoadProducer installs it, and kafkajs itself ignores the extra property.
        const messages: (Message & { [FAST_ENCODE]: true })[] = new Array(b.records.length);
        for (let i = 0; i < b.records.length; i++) {
          const r = b.records[i]!;
          messages[i] =
            o.partitioner === "device"
              ? { key: r.key, value: r.value, partition: partitionFor(r.deviceId, partitions), headers, [FAST_ENCODE]: true }
              : { key: r.key, value: r.value, headers, [FAST_ENCODE]: true };
        }
        if (o.onSample && start - lastSample >= (o.sampleEveryMs ?? 200)) {
          const s = b.records.find((r) => r.kind === "valid");
          if (s) {
            lastSample = start;
            o.onSample(s.metric!, epoch0 + start);
          }
        }
        await producer.send({ topic, messages, acks: o.acks, compression });
      })
      .then(
        () => onAck(b),
        (e: unknown) => {
          errors += b.records.length;
          firstError ??= e instanceof Error ? e.message : String(e);
        },
      );
  };

  try {
    for (;;) {
      // Backpressure on the sender only: nothing is queued behind the in-flight sends, while time (and so the
      // schedule) goes on.
      if (queue.size > 0) await Promise.race([queue.onSizeLessThan(1), aborted]);
      if (signal?.aborted || k >= count) break;
      const now = performance.now();
      let due = dueOf(now);
      if (due >= endAt) break;
      if (due > now) {
        await sleep(Math.min(due - now, 50), signal);
        continue;
      }
      const size = Math.min(o.batchSize, count - k);
      const records: Outgoing[] = [];
      const dues = new Float64Array(size);
      let bytes = 0;
      while (records.length < size && due <= now && due < endAt) {
        const dueEpoch = epoch0 + due;
        // Without faults, skip the injector (and the closure it takes): this loop runs once per record.
        const r = trackFaults ? faults.next(() => workload.next(dueEpoch)) : validRecord(workload.next(dueEpoch));
        dues[records.length] = due;
        records.push(r);
        bytes += r.key.length + r.value.length;
        k++;
        due = dueOf(now);
      }
      submit({ records, due: records.length === size ? dues : dues.subarray(0, records.length), bytes });
      // Caught up with the schedule: let the next batch fill for a moment rather than sending tiny ones.
      if (records.length < size && due > now) await sleep(Math.min(lingerMs, due - now), signal);
    }
    await queue.onIdle();
  } finally {
    if (window) clearInterval(window);
  }

  const seconds = Math.max(1e-9, ((lastAck || performance.now()) - t0) / 1000);
  return {
    mode: mode.kind,
    targetRate: mode.kind === "rate" ? mode.perSec : null,
    seconds,
    sent,
    valid,
    errors,
    firstError,
    injected,
    rate: sent / seconds,
    mbPerSec: bytesSent / 1048576 / seconds,
    latency: latencyStats(hist),
    scheduleLag: { avgMs: lagN ? lagSum / lagN : null, maxMs: lagN ? lagMax : null },
    e2e: null,
    interrupted: signal?.aborted ?? false,
  };
}
