// The local stack's cluster shape: node names and ports, the KRaft quorum, client bootstrap lists, the replication
// topics get, and a data dir that keeps the shape it was formatted with.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { SluiceError } from "../../src/errors.ts";
import type { TopicDecl } from "../../src/kafka/topic-plan.ts";
import { localizeTopics } from "../../src/provision.ts";
import { brokerList, brokerNodes, clusterReplication, quorumVoters, workerNodes } from "../../src/stack/cluster.ts";
import { createStackContext } from "../../src/stack/context.ts";
import { clusterIdentity, newClusterId } from "../../src/stack/kafka.ts";
import { components, portClashes } from "../../src/stack/supervisor.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("cluster shape", () => {
  test("one broker and one worker by default, named and placed as before clusters", () => {
    const env = parseEnv({});
    expect(brokerNodes(env)).toEqual([{ id: 1, name: "kafka", port: 19092, controllerPort: 19093 }]);
    expect(workerNodes(env)).toEqual([{ name: "connect", port: 18083, jmxPort: 18084 }]);
    expect(quorumVoters(env)).toBe("1@127.0.0.1:19093");
    expect(brokerList(env)).toEqual(["127.0.0.1:19092"]);
  });

  test("three brokers, two workers: every node a voter, every broker in the bootstrap list", () => {
    const env = parseEnv({ SLUICE_BROKERS: "3", SLUICE_CONNECT_WORKERS: "2" });
    expect(brokerNodes(env).map((n) => [n.name, n.port, n.controllerPort])).toEqual([
      ["kafka", 19092, 19093],
      ["kafka-2", 19192, 19193],
      ["kafka-3", 19292, 19293],
    ]);
    expect(quorumVoters(env)).toBe("1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293");
    expect(brokerList(env)).toEqual(["127.0.0.1:19092", "127.0.0.1:19192", "127.0.0.1:19292"]);
    expect(workerNodes(env).map((w) => [w.name, w.port, w.jmxPort])).toEqual([
      ["connect", 18083, 18084],
      ["connect-2", 18093, 18094],
    ]);
    const ctx = createStackContext({ SLUICE_BROKERS: "3", SLUICE_CONNECT_WORKERS: "2" });
    expect(components(ctx).map((c) => c.name)).toEqual([
      "postgres",
      "kafka",
      "kafka-2",
      "kafka-3",
      "registry",
      "connect",
      "connect-2",
      "admin",
    ]);
  });

  test("ports the shape would give twice are found before anything starts", () => {
    const clash = createStackContext({ SLUICE_BROKERS: "3", SLUICE_CONNECT_WORKERS: "2", CONNECT_PORT: "19083" });
    expect(portClashes(components(clash))).toEqual(["19093 (kafka, connect-2)"]);
    expect(portClashes(components(createStackContext({ SLUICE_BROKERS: "3", SLUICE_CONNECT_WORKERS: "3" })))).toEqual(
      [],
    );
  });

  test("KAFKA_BOOTSTRAP with several brokers gives kafkajs one address per element", () => {
    expect(brokerList(parseEnv({ KAFKA_BOOTSTRAP: "a:9092,b:9092,c:9093" }))).toEqual(["a:9092", "b:9092", "c:9093"]);
  });

  test("two brokers (no majority survives a loss) or four workers are refused, naming the variable", () => {
    expect(() => parseEnv({ SLUICE_BROKERS: "2" })).toThrow(/must be 1 or 3\s+→ at SLUICE_BROKERS/);
    expect(() => parseEnv({ SLUICE_CONNECT_WORKERS: "4" })).toThrow(/SLUICE_CONNECT_WORKERS/);
  });

  test("three brokers: topics at RF 3 with min.insync.replicas 2; one broker: the file's values", () => {
    expect(clusterReplication(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(clusterReplication(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    const decls: TopicDecl[] = [
      { name: "metrics", partitions: 6, replicationFactor: 1, config: { "retention.ms": "1" } },
      { name: "metrics.dlq", partitions: 1, replicationFactor: 1, config: {} },
    ];
    const base = { METRICS_TOPIC: "metrics", DLQ_TOPIC: "metrics.dlq", TOPIC_PARTITIONS_METRICS: 6 };
    const three = localizeTopics(decls, { ...base, SLUICE_BROKERS: 3 });
    expect(three.map((t) => [t.replicationFactor, t.config["min.insync.replicas"]])).toEqual([
      [3, "2"],
      [3, "2"],
    ]);
    expect(three[0]!.config["retention.ms"]).toBe("1");
    expect(localizeTopics(decls, { ...base, SLUICE_BROKERS: 1 })).toEqual(decls);
  });
});

describe("a data dir keeps its cluster shape", () => {
  const stack = (brokers: string) => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-shape-"));
    dirs.push(dir);
    return (b = brokers) => createStackContext({ SLUICE_DATA_DIR: dir, SLUICE_BROKERS: b });
  };

  test("a new data dir gets one cluster id for every node; the same id on later calls", () => {
    const ctx = stack("3")();
    const { clusterId } = clusterIdentity(ctx);
    expect(clusterId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(clusterIdentity(ctx).clusterId).toBe(clusterId);
  });

  test("storage formatted by an older Sluice (one node, no id file) keeps its id and refuses SLUICE_BROKERS=3", () => {
    const at = stack("1");
    const logs = join(at().paths.data, "kafka", "logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "meta.properties"), "version=1\ncluster.id=AbCdEfGhIjKlMnOpQrStUv\nnode.id=1\n");
    let err: unknown;
    try {
      clusterIdentity(at("3"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe("CLUSTER_SHAPE");
    expect((err as Error).message).toContain("holds a 1-node Kafka cluster, but SLUICE_BROKERS is 3");
    expect(clusterIdentity(at("1")).clusterId).toBe("AbCdEfGhIjKlMnOpQrStUv");
    expect(readFileSync(join(at().paths.data, "kafka", "brokers"), "utf8").trim()).toBe("1");
  });

  test("cluster ids never start with '-' (a command line would read a flag)", () => {
    for (let i = 0; i < 2000; i++) expect(newClusterId().startsWith("-")).toBe(false);
  });
});
