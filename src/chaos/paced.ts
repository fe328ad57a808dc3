import type { Producer } from "kafkajs";
import { encodeKey, encodeValue } from "../producer/encode.ts";
import { partitionFor } from "../producer/partitioner.ts";
import { SCHEMA_ID_HEADER } from "../producer/send.ts";
import { metricAt, type Run } from "../producer/workload.ts";

/** Progress of a paced producer: how many metrics of the run (a prefix) the broker acknowledged, and send failures. */
export interface Paced {
  readonly acked: () => number;
  readonly failures: () => number;
  /** Poison records inside acknowledged slices. */
  readonly poisonAcked: () => number;
  /** Resolves when the run is sent or `stop()` was called and the slice in flight settled. */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Sends a run at about `rate` metrics/s in slices every 100 ms, in order. A slice that fails (broker down) is sent
 * again until it is acknowledged, so the acknowledged metrics are always a prefix of the run — exactly what an audit
 * must find — and a retried slice may be written twice, which the sink's upsert absorbs.
 */
export function pacedProducer(
  producer: Producer,
  opts: {
    topic: string;
    partitions: number;
    run: Run;
    rate: number;
    schemaId: number;
    poison?: (k: number) => { key: string; value: string } | undefined;
    /** Called with the acknowledged prefix after every acknowledged slice. */
    onAck?: (acked: number) => void;
  },
): Paced {
  const slice = Math.max(1, Math.round(opts.rate / 10));
  const headers = { [SCHEMA_ID_HEADER]: String(opts.schemaId) };
  let acked = 0;
  let failures = 0;
  let poisonAcked = 0;
  let stopped = false;
  const done = (async () => {
    const t0 = performance.now();
    let tick = 0;
    while (!stopped && acked < opts.run.count) {
      const to = Math.min(opts.run.count, acked + slice);
      const messages = [];
      let poison = 0;
      for (let k = acked; k < to; k++) {
        const m = metricAt(opts.run, k);
        const partition = partitionFor(m.device_id, opts.partitions);
        messages.push({ key: encodeKey(m), value: encodeValue(m), partition, headers });
        const bad = opts.poison?.(k);
        if (bad) {
          messages.push({ ...bad, partition, headers });
          poison++;
        }
      }
      try {
        await producer.send({ topic: opts.topic, messages, acks: -1 });
        acked = to;
        poisonAcked += poison;
        opts.onAck?.(acked);
      } catch {
        failures++;
        await Bun.sleep(500);
        continue;
      }
      tick++;
      const wait = t0 + tick * 100 - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
  })();
  return {
    acked: () => acked,
    failures: () => failures,
    poisonAcked: () => poisonAcked,
    done,
    stop: () => void (stopped = true),
  };
}
