/**
 * The sink tasks' real position: records behind the end of each partition as their consumers see it, read from the
 * Prometheus JMX exporter in each Connect worker (`kafka_connect_consumer_partition_records_lag`, see
 * services/connect/jmx-exporter.yml). The committed offsets the dashboard also shows trail this by up to one commit
 * interval. Read at most every `minIntervalMs`: the exporter walks the worker's MBeans on every scrape.
 */

const SERIES = "kafka_connect_consumer_partition_records_lag{";

/** Records behind per partition of `topic` for the tasks of `connector`, from one exporter page. */
export function parsePositionLag(text: string, connector: string, topic: string): Map<number, number> {
  const out = new Map<number, number>();
  const client = `connector-consumer-${connector}-`;
  for (const line of text.split("\n")) {
    if (!line.startsWith(SERIES)) continue;
    const close = line.lastIndexOf("}");
    const labels = Object.fromEntries(
      [...line.slice(SERIES.length, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const value = Number(line.slice(close + 1).trim());
    const task = labels.client_id?.startsWith(client) ? labels.client_id.slice(client.length) : undefined;
    if (task === undefined || !/^\d+$/.test(task) || labels.topic !== topic || !Number.isFinite(value)) continue;
    out.set(Number(labels.partition), value);
  }
  return out;
}

/** A reader of the workers at `urls` (their exporters' /metrics), for `connector` on `topic`. */
export function taskPositionReader(
  urls: readonly string[],
  connector: string,
  topic: string,
  minIntervalMs = 5000,
): () => Promise<{ partition: number; lag: number }[]> {
  let last: { at: number; p: Promise<{ partition: number; lag: number }[]> } | undefined;
  const read = async () => {
    const pages = await Promise.all(
      urls.map(async (url) => {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) throw new Error(`the worker's metrics at ${url} answered ${res.status}`);
        return res.text();
      }),
    );
    const all = new Map<number, number>();
    for (const page of pages) for (const [p, lag] of parsePositionLag(page, connector, topic)) all.set(p, lag);
    return [...all].map(([partition, lag]) => ({ partition, lag })).sort((a, b) => a.partition - b.partition);
  };
  return () => {
    if (!last || Date.now() - last.at >= minIntervalMs) {
      const p = read();
      last = { at: Date.now(), p };
      // A failed read is not kept: the next call tries again.
      p.catch(() => {
        if (last?.p === p) last = undefined;
      });
    }
    return last.p;
  };
}
