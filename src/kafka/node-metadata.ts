// One Metadata request (v1) to one Kafka node over a plain socket: which brokers that node knows as live, which is the
// controller, and the partitions of the topics asked about. For the stack's health check and the chaos suite, which
// must ask one node while others are down: kafkajs's admin connects to every broker in the metadata and fails then.
import { createConnection } from "node:net";

/** One partition as a node reports it: -1 as leader when it has none. */
export interface PartitionState {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** What one node says of the cluster, and of the topics asked about. */
export interface NodeMetadata {
  readonly brokers: readonly number[];
  readonly controllerId: number;
  readonly topics: Readonly<Record<string, readonly PartitionState[]>>;
}

const METADATA = 3;
const CLIENT_ID = "sluice-health";

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const string = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

/** A Metadata v1 request for `topics` (an empty array: none; v1 reads null as all, never sent here). */
function request(correlationId: number, topics: readonly string[]): Buffer {
  const body = Buffer.concat([
    int16(METADATA),
    int16(1),
    int32(correlationId),
    string(CLIENT_ID),
    int32(topics.length),
    ...topics.map(string),
  ]);
  return Buffer.concat([int32(body.length), body]);
}

/** Parses a Metadata v1 response (after its size): correlation id, brokers, controller id, topics' partitions. */
export function parseMetadataV1(buf: Buffer, correlationId: number): NodeMetadata {
  let o = 0;
  const i16 = () => {
    o += 2;
    return buf.readInt16BE(o - 2);
  };
  const i32 = () => {
    o += 4;
    return buf.readInt32BE(o - 4);
  };
  const str = () => {
    const n = i16();
    o += Math.max(0, n);
    return n < 0 ? null : buf.toString("utf8", o - n, o);
  };
  const array = <T>(item: () => T): T[] => Array.from({ length: Math.max(0, i32()) }, item);
  if (i32() !== correlationId) throw new Error("metadata response for another request");
  const brokers = array(() => {
    const id = i32();
    str(); // host
    i32(); // port
    str(); // rack
    return id;
  });
  const controllerId = i32();
  const topics: Record<string, PartitionState[]> = {};
  array(() => {
    i16(); // error code
    const name = str() ?? "";
    o += 1; // is_internal
    topics[name] = array(() => {
      i16(); // error code
      const partition = i32();
      const leader = i32();
      return { partition, leader, replicas: array(i32), isr: array(i32) };
    });
  });
  return { brokers, controllerId, topics };
}

/** Asks the node at host:port; rejects on a refused connection, a broken answer or after `timeoutMs`. */
export function nodeMetadata(
  host: string,
  port: number,
  timeoutMs = 2000,
  topics: readonly string[] = [],
): Promise<NodeMetadata> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const correlationId = 1;
    let got = Buffer.alloc(0);
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no metadata from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once("error", fail);
    socket.once("connect", () => socket.write(request(correlationId, topics)));
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4 || got.length < 4 + got.readInt32BE(0)) return;
      socket.destroy();
      try {
        resolve(parseMetadataV1(got.subarray(4, 4 + got.readInt32BE(0)), correlationId));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
