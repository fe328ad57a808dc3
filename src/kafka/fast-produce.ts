import { createRequire } from "node:module";

/**
 * A single-pass encoder for the records of kafkajs 2.2.4's Produce request (v7), used only for messages marked with
 * {@link FAST_ENCODE} (the load tester marks its own; every other producer keeps kafkajs' encoder untouched).
 *
 * Why: a CPU profile of the load tester showed ~85 % of its time in kafkajs' per-record encoding: a fresh zeroed
 * 512-byte Encoder for every record and for every header, `Buffer.byteLength` twice per string, a slice and a copy
 * per record, the header array rebuilt per record. Here the records of a partition are sized in one pass and written
 * in a second into one buffer, after room for the batch header, so the request is one `Buffer.concat` of a few
 * pieces; the (shared) headers object is encoded once. The bytes are the same as kafkajs writes: record v0
 * (attributes 0, timestamp delta 0, offset delta i, key, value, headers) in a RecordBatch v2, with kafkajs' own
 * CRC32C and codecs (a unit test compares whole requests byte for byte, with and without compression).
 *
 * How it hooks in: kafkajs' produce request index calls `require('./v7/request')` on every request, so replacing
 * that module's exports in the require cache takes effect whenever it is installed. Requests whose messages are not
 * all marked, or carry their own timestamps, go to kafkajs' original v7 encoder.
 */
const require = createRequire(import.meta.url);
type KEncoder = { buf: Buffer; offset: number; buffer: Buffer };
const Encoder = require("kafkajs/src/protocol/encoder.js") as new () => KEncoder;
const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (b: Buffer) => number;
const compression = require("kafkajs/src/protocol/message/compression/index.js") as {
  Types: { None: number };
  lookupCodec(type: number): { compress(e: { buffer: Buffer }): Promise<Buffer> };
  COMPRESSION_CODEC_MASK: number;
};
const { Produce: API_KEY } = require("kafkajs/src/protocol/requests/apiKeys.js") as { Produce: number };
const V7 = require.resolve("kafkajs/src/protocol/requests/produce/v7/request.js");

/** Set this property (to true) on a kafkajs message to have it encoded here. */
export const FAST_ENCODE = Symbol.for("sluice.fastEncode");

interface Msg {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  timestamp?: unknown;
  [FAST_ENCODE]?: boolean;
}
interface PartitionData {
  partition: number;
  messages: Msg[];
  firstSequence?: number;
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface RequestArgs {
  acks: number;
  timeout: number;
  compression?: number;
  topicData: TopicData[];
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
}

const zigzag = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;
function sizeOfVarInt(n: number): number {
  let v = zigzag(n);
  let bytes = 1;
  while (v > 0x7f) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}
function writeVarInt(buf: Buffer, off: number, n: number): number {
  let v = zigzag(n);
  while (v > 0x7f) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}
const byteLen = (v: string | Buffer) => (typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length);
function writeBytes(buf: Buffer, off: number, v: string | Buffer, len: number): number {
  off = writeVarInt(buf, off, len);
  if (typeof v === "string") buf.write(v, off, len, "utf8");
  else buf.set(v, off);
  return off + len;
}

/** Record headers as kafkajs writes them: varint count, then per header varint-length key and value. */
const headerCache = new WeakMap<object, Buffer>();
function encodeHeaders(headers: Record<string, string | Buffer> | undefined): Buffer {
  if (headers === undefined) return EMPTY_HEADERS;
  let b = headerCache.get(headers);
  if (b === undefined) {
    const entries = Object.entries(headers);
    const size = entries.reduce(
      (s, [k, v]) => s + sizeOfVarInt(byteLen(k)) + byteLen(k) + sizeOfVarInt(byteLen(v)) + byteLen(v),
      sizeOfVarInt(entries.length),
    );
    b = Buffer.alloc(size);
    let o = writeVarInt(b, 0, entries.length);
    for (const [k, v] of entries) {
      o = writeBytes(b, o, k, byteLen(k));
      o = writeBytes(b, o, v, byteLen(v));
    }
    headerCache.set(headers, b);
  }
  return b;
}
const EMPTY_HEADERS = Buffer.from([0]);

/**
 * The records of one partition, each `varint length | int8 0 | varlong 0 | varint i | key | value | headers`,
 * written after `prefix` bytes left free for the caller's headers (so the batch needs no second copy).
 */
export function encodeRecords(messages: readonly Msg[], prefix = 0): Buffer {
  const n = messages.length;
  const kl = new Int32Array(n);
  const vl = new Int32Array(n);
  const hs: Buffer[] = new Array(n);
  const bodies = new Int32Array(n);
  let total = prefix;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const k = m.key == null ? -1 : byteLen(m.key);
    const v = m.value == null ? -1 : byteLen(m.value);
    const h = encodeHeaders(m.headers);
    kl[i] = k;
    vl[i] = v;
    hs[i] = h;
    // attributes (1) + timestamp delta 0 (1) + offset delta + key + value + headers
    const body = 2 + sizeOfVarInt(i) + sizeOfVarInt(k) + Math.max(k, 0) + sizeOfVarInt(v) + Math.max(v, 0) + h.length;
    bodies[i] = body;
    total += sizeOfVarInt(body) + body;
  }
  const buf = Buffer.allocUnsafe(total);
  let o = prefix;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    o = writeVarInt(buf, o, bodies[i]!);
    buf[o++] = 0;
    buf[o++] = 0;
    o = writeVarInt(buf, o, i);
    o = m.key == null ? writeVarInt(buf, o, -1) : writeBytes(buf, o, m.key, kl[i]!);
    o = m.value == null ? writeVarInt(buf, o, -1) : writeBytes(buf, o, m.value, vl[i]!);
    buf.set(hs[i]!, o);
    o += hs[i]!.length;
  }
  return buf;
}

// Fixed part of one partition's entry: partition, record_set size, then RecordBatch v2 up to the record count.
const PARTITION = 0; // int32
const SET_SIZE = 4; // int32: bytes of the record set that follows
const FIRST_OFFSET = 8; // int64 0
const BATCH_LENGTH = 16; // int32: bytes after this field
const LEADER_EPOCH = 20; // int32 0
const MAGIC = 24; // int8 2
const CRC = 25; // uint32 crc32c of ATTRIBUTES..end
const ATTRIBUTES = 29; // int16
const LAST_OFFSET_DELTA = 31; // int32
const FIRST_TS = 35; // int64
const MAX_TS = 43; // int64
const PRODUCER_ID = 51; // int64
const PRODUCER_EPOCH = 59; // int16
const FIRST_SEQUENCE = 61; // int32
const COUNT = 65; // int32
const HEAD = 69;

/** One partition's entry of the request (partition, record_set), as kafkajs' RecordBatch v0 + v3 partition encoder. */
async function encodePartition(codec: number, p: PartitionData, args: RequestArgs): Promise<Buffer> {
  const now = BigInt(Date.now());
  let buf = encodeRecords(p.messages, HEAD);
  if (codec !== compression.Types.None) {
    const compressed = await compression.lookupCodec(codec).compress({ buffer: buf.subarray(HEAD) });
    const whole = Buffer.allocUnsafe(HEAD + compressed.length);
    whole.set(compressed, HEAD);
    buf = whole;
  }
  buf.writeInt32BE(p.partition, PARTITION);
  buf.writeInt32BE(buf.length - FIRST_OFFSET, SET_SIZE);
  buf.writeBigInt64BE(0n, FIRST_OFFSET);
  buf.writeInt32BE(buf.length - LEADER_EPOCH, BATCH_LENGTH);
  buf.writeInt32BE(0, LEADER_EPOCH);
  buf.writeInt8(2, MAGIC);
  buf.writeInt16BE((codec & compression.COMPRESSION_CODEC_MASK) | (args.transactionalId ? 16 : 0), ATTRIBUTES);
  buf.writeInt32BE(p.messages.length - 1, LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(now, FIRST_TS);
  buf.writeBigInt64BE(now, MAX_TS);
  buf.writeBigInt64BE(args.producerId == null ? -1n : BigInt(String(args.producerId)), PRODUCER_ID);
  buf.writeInt16BE(args.producerEpoch ?? 0, PRODUCER_EPOCH);
  buf.writeInt32BE(p.firstSequence ?? 0, FIRST_SEQUENCE);
  buf.writeInt32BE(p.messages.length, COUNT);
  buf.writeUInt32BE(crc32C(buf.subarray(ATTRIBUTES)), CRC);
  return buf;
}

function int16String(s: string | null): Buffer {
  if (s === null) return Buffer.from([0xff, 0xff]);
  const b = Buffer.allocUnsafe(2 + Buffer.byteLength(s));
  b.writeInt16BE(b.length - 2, 0);
  b.write(s, 2);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

/** The Produce v7 request for marked messages (same fields as kafkajs' v3–v7 request), in one buffer. */
function fastRequest(args: RequestArgs) {
  const codec = args.compression ?? compression.Types.None;
  return {
    apiKey: API_KEY,
    apiVersion: 7,
    apiName: "Produce",
    expectResponse: () => args.acks !== 0,
    encode: async () => {
      const acksTimeout = Buffer.allocUnsafe(6);
      acksTimeout.writeInt16BE(args.acks, 0);
      acksTimeout.writeInt32BE(args.timeout, 2);
      const parts: Buffer[] = [int16String(args.transactionalId ?? null), acksTimeout, int32(args.topicData.length)];
      for (const t of args.topicData) {
        parts.push(int16String(t.topic), int32(t.partitions.length));
        for (const p of t.partitions) parts.push(await encodePartition(codec, p, args));
      }
      // kafkajs' request framing reads `buf` up to `offset` from an Encoder.
      const e = new Encoder();
      e.buf = Buffer.concat(parts);
      e.offset = e.buf.length;
      return e;
    },
  };
}

const marked = (args: RequestArgs) =>
  args.topicData.every((t) =>
    t.partitions.every((p) => p.messages.every((m) => m[FAST_ENCODE] === true && m.timestamp == null)),
  );

/** Installs the encoder (idempotent). Only requests whose messages all carry {@link FAST_ENCODE} use it. */
export function installFastProduce(): void {
  const original = require(V7) as ((a: RequestArgs) => unknown) & { __sluiceFast?: boolean };
  if (original.__sluiceFast) return;
  const wrapper = Object.assign((args: RequestArgs) => (marked(args) ? fastRequest(args) : original(args)), {
    __sluiceFast: true,
    original,
  });
  (require.cache[V7] as { exports: unknown }).exports = wrapper;
}

/** kafkajs' own v7 request builder, for comparing bytes in tests. */
export function originalProduceV7(): (a: RequestArgs) => { encode(): Promise<KEncoder> } {
  const current = require(V7) as { original?: unknown };
  return (current.original ?? current) as (a: RequestArgs) => { encode(): Promise<KEncoder> };
}
