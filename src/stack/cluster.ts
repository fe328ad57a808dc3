// The local stack's shape: how many Kafka nodes (combined KRaft controller + broker) and Connect workers it runs,
// their names and ports, and the replication the cluster can give. One broker and one worker by default; three
// brokers make topics RF 3 with min.insync.replicas 2. Pure: everything derives from the parsed environment.
import type { Env } from "../config/env.ts";

type ShapeEnv = Pick<
  Env,
  | "SLUICE_HOST"
  | "SLUICE_BROKERS"
  | "SLUICE_CONNECT_WORKERS"
  | "KAFKA_PORT"
  | "KAFKA_CONTROLLER_PORT"
  | "CONNECT_PORT"
  | "CONNECT_JMX_PORT"
  | "KAFKA_BOOTSTRAP"
>;

/** Ports of node i are the first node's plus (i - 1) × this; workers step by {@link WORKER_PORT_STEP}. */
export const BROKER_PORT_STEP = 100;
export const WORKER_PORT_STEP = 10;

export interface BrokerNode {
  /** KRaft node.id, 1-based. */
  readonly id: number;
  /** Component name: `kafka` for node 1 (as before clusters), `kafka-2`, `kafka-3`… */
  readonly name: string;
  readonly port: number;
  readonly controllerPort: number;
}

export interface WorkerNode {
  /** `connect` for the first worker, `connect-2`… */
  readonly name: string;
  readonly port: number;
  readonly jmxPort: number;
}

/** The Kafka nodes of the local stack. */
export function brokerNodes(env: ShapeEnv): BrokerNode[] {
  return Array.from({ length: env.SLUICE_BROKERS }, (_, i) => ({
    id: i + 1,
    name: i === 0 ? "kafka" : `kafka-${i + 1}`,
    port: env.KAFKA_PORT + i * BROKER_PORT_STEP,
    controllerPort: env.KAFKA_CONTROLLER_PORT + i * BROKER_PORT_STEP,
  }));
}

/** The Connect workers of the local stack, all in one group. */
export function workerNodes(env: ShapeEnv): WorkerNode[] {
  return Array.from({ length: env.SLUICE_CONNECT_WORKERS }, (_, i) => ({
    name: i === 0 ? "connect" : `connect-${i + 1}`,
    port: env.CONNECT_PORT + i * WORKER_PORT_STEP,
    jmxPort: env.CONNECT_JMX_PORT + i * WORKER_PORT_STEP,
  }));
}

/** Bootstrap addresses for clients: KAFKA_BOOTSTRAP's list when set, else every local node. */
export function brokerList(env: ShapeEnv): string[] {
  if (env.KAFKA_BOOTSTRAP) return env.KAFKA_BOOTSTRAP.split(",");
  return brokerNodes(env).map((n) => `${env.SLUICE_HOST}:${n.port}`);
}

/** KRaft's static quorum: every node is a voter (`id@host:controllerPort,…`). */
export function quorumVoters(env: ShapeEnv): string {
  return brokerNodes(env)
    .map((n) => `${n.id}@${env.SLUICE_HOST}:${n.controllerPort}`)
    .join(",");
}

/**
 * Replication the local cluster gives its topics (internal ones, Connect's, and services/topics.json's unless
 * TOPIC_REPLICATION_FACTOR says otherwise): up to 3 copies, and with 3 a write needs 2 in sync, so one node may be
 * lost without losing an acknowledged record or refusing writes.
 */
export function clusterReplication(brokers: number): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = Math.min(3, brokers);
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}
