// The sink tasks' position lag, read from the Connect workers' JMX exporter pages.
import { afterAll, describe, expect, test } from "bun:test";
import { parsePositionLag, taskPositionReader } from "../../src/server/task-position.ts";

const page = [
  "# HELP kafka_connect_consumer_partition_records_lag kafka.consumer…",
  "# TYPE kafka_connect_consumer_partition_records_lag gauge",
  'kafka_connect_consumer_partition_records_lag{client_id="connector-consumer-metrics-sink-0",partition="0",topic="metrics",} 120.0',
  'kafka_connect_consumer_partition_records_lag{client_id="connector-consumer-metrics-sink-1",partition="1",topic="metrics",} 0.0',
  'kafka_connect_consumer_partition_records_lag{client_id="connector-consumer-metrics-sink-1",partition="2",topic="metrics",} NaN',
  'kafka_connect_consumer_partition_records_lag{client_id="connector-consumer-metrics-sink-other-0",partition="3",topic="metrics",} 7.0',
  'kafka_connect_consumer_partition_records_lag{client_id="connector-consumer-metrics-sink-0",partition="4",topic="other",} 9.0',
  'kafka_connect_consumer_records_lag_max{client_id="connector-consumer-metrics-sink-0",} 120.0',
].join("\n");

describe("task position lag", () => {
  test("per partition of the topic, for this connector's tasks only; NaN (not fetched yet) left out", () => {
    expect([...parsePositionLag(page, "metrics-sink", "metrics")]).toEqual([
      [0, 120],
      [1, 0],
    ]);
    expect([...parsePositionLag(page, "metrics-sink-other", "metrics")]).toEqual([[3, 7]]);
  });

  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(page) });
  afterAll(() => server.stop(true));

  test("the reader merges the workers' pages and reads again only after its interval", async () => {
    let reads = 0;
    const counting = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        reads++;
        return new Response("");
      },
    });
    try {
      const url = (port: number | undefined) => `http://127.0.0.1:${port}/metrics`;
      const read = taskPositionReader([url(server.port), url(counting.port)], "metrics-sink", "metrics", 60_000);
      expect(await read()).toEqual([
        { partition: 0, lag: 120 },
        { partition: 1, lag: 0 },
      ]);
      await read();
      expect(reads).toBe(1);
    } finally {
      counting.stop(true);
    }
  });

  test("a worker that does not answer fails the read, and the next call tries again", async () => {
    const read = taskPositionReader(["http://127.0.0.1:1/metrics"], "metrics-sink", "metrics", 60_000);
    await expect(read()).rejects.toThrow();
    await expect(read()).rejects.toThrow();
  });
});
