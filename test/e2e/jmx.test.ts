// The Prometheus JMX exporter agent with services/connect/jmx-exporter.yml: the agent jar comes from Maven Central
// through the supervisor's cache (src/stack/fetch.ts), and a JVM with Connect-shaped MBeans (test/fixtures) shows the
// rules turn them into the kafka_connect_* series the Grafana dashboard uses. When the running Connect worker was
// started with the agent, its endpoint is checked too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { jmxAgentArg } from "../../src/stack/connect.ts";
import { ensureJmxExporter } from "../../src/stack/fetch.ts";
import { connectWorkerFacts } from "../worker.ts";
import { ctx, eventually, freePort } from "./harness.ts";

let jvm: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  const jar = await ensureJmxExporter(ctx.paths.cache, () => {});
  port = await freePort();
  jvm = spawn(
    "java",
    [
      "-Xmx64m",
      jmxAgentArg(jar, "127.0.0.1", port, ctx.paths.root),
      join(ctx.paths.root, "test", "fixtures", "FakeConnectMBeans.java"),
      "50000",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
});

afterAll(() => {
  if (jvm?.pid) process.kill(jvm.pid, "SIGTERM");
});

type Family = { name: string; metrics: { value?: string; labels?: Record<string, string> }[] };
async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(res.ok).toBe(true);
  return new Map((parsePrometheusTextFormat(await res.text()) as Family[]).map((f) => [f.name, f]));
}

describe("Kafka Connect JMX metrics through the Prometheus JMX exporter agent", () => {
  test("the agent serves Connect-shaped MBeans as kafka_connect_* series, plus JVM metrics", async () => {
    let m = new Map<string, Family>();
    await eventually(
      "the agent answers",
      async () => {
        try {
          m = await scrape(`http://127.0.0.1:${port}/metrics`);
          return m.has("kafka_connect_sink_task_metrics_sink_record_read_rate");
        } catch {
          return false;
        }
      },
      40_000,
    );
    expect(m.get("kafka_connect_sink_task_metrics_sink_record_read_rate")!.metrics[0]).toEqual({
      value: "1234.5",
      labels: { connector: "metrics-sink", task: "0" },
    });
    expect(m.get("kafka_connect_sink_task_metrics_put_batch_avg_time_ms")!.metrics[0]!.value).toBe("42.0");
    expect(m.get("kafka_connect_connector_task_status")!.metrics[0]).toEqual({
      value: "1.0",
      labels: { connector: "metrics-sink", task: "0", status: "failed" },
    });
    expect(m.get("kafka_connect_connector_status")!.metrics[0]!.labels).toEqual({
      connector: "metrics-sink",
      status: "running",
    });
    expect(m.get("kafka_connect_task_error_metrics_total_record_errors")!.metrics[0]!.value).toBe("3.0");
    expect(m.get("kafka_connect_connect_worker_metrics_task_count")!.metrics[0]!.value).toBe("2.0");
    // The consumer's lag per partition (the dashboard's task position) with its own labels; the client-level series
    // keeps only the client id.
    expect(m.get("kafka_connect_consumer_partition_records_lag")!.metrics).toEqual([
      {
        value: "120.0",
        labels: { client_id: "connector-consumer-metrics-sink-0", topic: "metrics", partition: "0" },
      },
    ]);
    expect(m.get("kafka_connect_consumer_records_lag_max")!.metrics).toEqual([
      { value: "120.0", labels: { client_id: "connector-consumer-metrics-sink-0" } },
    ]);
    expect([...m.keys()].some((n) => n.startsWith("jvm_memory"))).toBe(true);
  }, 50_000);

  // A worker started before the agent was added to src/stack/connect.ts has no endpoint until its next start;
  // test/run.ts refuses such a worker, so under `npm test` this never skips.
  const withAgent = connectWorkerFacts(ctx.paths.run)?.jmxAgent ?? false;
  test.skipIf(!withAgent)(
    `the running Connect worker serves its metrics on CONNECT_JMX_PORT (${ctx.env.CONNECT_JMX_PORT})`,
    async () => {
      const m = await scrape(`http://${ctx.env.SLUICE_HOST}:${ctx.env.CONNECT_JMX_PORT}/metrics`);
      const states = m.get("kafka_connect_connector_task_status")?.metrics ?? [];
      expect(states.some((s) => s.labels?.connector === "metrics-sink" && s.labels?.status === "running")).toBe(true);
    },
  );
});
