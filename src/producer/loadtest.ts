import type { Message, Producer } from "kafkajs";
import PQueue from "p-queue";
import type { Metric } from "../contract/index.ts";
import { COMPRESSION, type CompressionName } from "../kafka/codecs.ts";
import { FAST_ENCODE } from "../kafka/fast-produce.ts";
import { type FaultInjector, type Outgoing, validRecord } from "./faults.ts";
import type { Workload } from "./generator.ts";
import { LoadStats } from "./load-stats.ts";
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

/** When each record falls due (see {@link Mode}) and when the run ends; `k` counts the records made. */
class Schedule {
  k = 0;
  readonly endAt: number;
  private readonly count: number;
  private readonly perMs: number;

  constructor(
    private readonly o: LoadOptions,
    readonly t0: number,
  ) {
    this.endAt = o.durationMs !== undefined ? t0 + o.durationMs : Infinity;
    this.count = o.count ?? Infinity;
    this.perMs = o.mode.kind === "rate" ? o.mode.perSec / 1000 : 0;
  }

  /** When the next record is due; in max mode, `now`. */
  due(now: number): number {
    const m = this.o.mode;
    if (m.kind === "rate") return this.t0 + this.k / this.perMs;
    return m.kind === "cycle" ? this.t0 + this.o.workload.cycle * m.intervalMs : now;
  }

  /** Records still allowed by --count. */
  get left(): number {
    return this.count - this.k;
  }
}

/** The batch's Kafka messages: partitioned by device (or left to the producer), marked for the fast encoder. */
function toMessages(b: Batch, o: LoadOptions, headers: Record<string, string> | undefined) {
  // The FAST_ENCODE mark has kafka/fast-produce.ts encode these records (same bytes as kafkajs, far less CPU);
  // openLoadProducer installs it, and kafkajs itself ignores the extra property.
  const messages: (Message & { [FAST_ENCODE]: true })[] = new Array(b.records.length);
  for (let i = 0; i < b.records.length; i++) {
    const r = b.records[i]!;
    messages[i] =
      o.partitioner === "device"
        ? {
            key: r.key,
            value: r.value,
            partition: partitionFor(r.deviceId, o.partitions),
            headers,
            [FAST_ENCODE]: true,
          }
        : { key: r.key, value: r.value, headers, [FAST_ENCODE]: true };
  }
  return messages;
}

/**
 * The sending side: each batch goes into the bounded queue; on its acknowledgement the stats, the manifest and the
 * fault injector learn about it. Returns `submit`.
 */
function sender(o: LoadOptions, stats: LoadStats, queue: PQueue, epoch0: number): (b: Batch) => void {
  const compression = COMPRESSION[o.compression];
  const headers = o.schemaHeader === false ? undefined : { [SCHEMA_ID_HEADER]: String(o.schemaId) };
  const byKind = o.faults.active;
  let lastSample = -Infinity;
  const onAck = (b: Batch) => {
    stats.acked(b.records, b.due, b.bytes, performance.now(), byKind);
    if (byKind) {
      for (const r of b.records) {
        if (r.kind === "valid") o.manifest?.add(r.metric!);
        else if (r.kind === "update") o.manifest?.replace(r.metric!, r.previous!);
      }
      o.faults.acked(b.records);
    } else if (o.manifest) for (const r of b.records) o.manifest.add(r.metric!);
  };
  const sample = (b: Batch, start: number) => {
    if (!o.onSample || start - lastSample < (o.sampleEveryMs ?? 200)) return;
    const s = b.records.find((r) => r.kind === "valid");
    if (!s) return;
    lastSample = start;
    o.onSample(s.metric!, epoch0 + start);
  };
  return (b) => {
    queue
      .add(async () => {
        const start = performance.now();
        stats.sendStarted(start - b.due[0]!);
        const messages = toMessages(b, o, headers);
        sample(b, start);
        await o.producer.send({ topic: o.topic, messages, acks: o.acks, compression });
      })
      .then(
        () => onAck(b),
        (e: unknown) => stats.failed(b.records.length, e),
      );
  };
}

/** The records due by `now` (at most a batch), made by the workload (through the fault injector when active). */
function fillBatch(o: LoadOptions, sched: Schedule, now: number, epoch0: number): Batch {
  const size = Math.min(o.batchSize, sched.left);
  const records: Outgoing[] = [];
  const dues = new Float64Array(size);
  let bytes = 0;
  let due = sched.due(now);
  while (records.length < size && due <= now && due < sched.endAt) {
    const dueEpoch = epoch0 + due;
    // Without faults, skip the injector (and the closure it takes): this loop runs once per record.
    const r = o.faults.active ? o.faults.next(() => o.workload.next(dueEpoch)) : validRecord(o.workload.next(dueEpoch));
    dues[records.length] = due;
    records.push(r);
    bytes += r.key.length + r.value.length;
    sched.k++;
    due = sched.due(now);
  }
  return { records, due: records.length === size ? dues : dues.subarray(0, records.length), bytes };
}

/** Runs the load until `count`, `durationMs` or `signal`; resolves with the summary once every batch has settled. */
export async function runLoad(o: LoadOptions): Promise<Summary> {
  const { signal } = o;
  const queue = new PQueue({ concurrency: o.concurrency });
  const aborted = new Promise<void>((resolve) =>
    signal?.aborted ? resolve() : signal?.addEventListener("abort", () => resolve(), { once: true }),
  );
  const t0 = performance.now();
  const epoch0 = Date.now() - t0; // epoch ms = epoch0 + performance.now()
  const stats = new LoadStats(t0);
  const sched = new Schedule(o, t0);
  const submit = sender(o, stats, queue, epoch0);
  const window = o.onWindow && setInterval(() => o.onWindow!(stats.takeWindow(performance.now())), o.windowMs ?? 5000);
  try {
    for (;;) {
      // Backpressure on the sender only: nothing is queued behind the in-flight sends, while time (and so the
      // schedule) goes on.
      if (queue.size > 0) await Promise.race([queue.onSizeLessThan(1), aborted]);
      if (signal?.aborted || sched.left <= 0) break;
      const now = performance.now();
      const due = sched.due(now);
      if (due >= sched.endAt) break;
      if (due > now) {
        await sleep(Math.min(due - now, 50), signal);
        continue;
      }
      const batch = fillBatch(o, sched, now, epoch0);
      submit(batch);
      // Caught up with the schedule: let the next batch fill for a moment rather than sending tiny ones.
      const next = sched.due(now);
      const short = batch.records.length < o.batchSize && sched.left > 0;
      if (short && next > now) await sleep(Math.min(o.lingerMs ?? 5, next - now), signal);
    }
    await queue.onIdle();
  } finally {
    if (window) clearInterval(window);
  }
  return stats.summary(o.mode, signal?.aborted ?? false, performance.now());
}
