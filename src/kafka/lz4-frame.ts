import lz4 from "lz4js";
import xxh32 from "lz4js/xxh32.js";

/**
 * LZ4 frames the way Kafka reads them. lz4js' own `compress` marks its blocks as dependent (they may refer to the
 * previous block), and Kafka's `Lz4BlockInputStream` refuses such frames ("Dependent block stream is unsupported",
 * seen on the broker). So the frame is written here with the block-independence flag set, each block compressed
 * from its own slice with a fresh hash table (so no match reaches into a previous block), 64 KB maximum block size
 * like Kafka's own producer, and no content checksum.
 */
const MAGIC = 0x184d2204;
const FLG = 0x40 | 0x20; // version 01, blocks independent
const BD = 4 << 4; // block maximum size 64 KB
const BLOCK = 64 * 1024;

/** One LZ4 frame holding `src`. */
export function lz4Frame(src: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(src.length / BLOCK));
  const out = Buffer.alloc(7 + blocks * (4 + lz4.compressBound(BLOCK)) + 4);
  let o = out.writeUInt32LE(MAGIC, 0);
  out[o++] = FLG;
  out[o++] = BD;
  out[o++] = (xxh32.hash(0, out, 4, 2) >>> 8) & 0xff;
  const scratch = new Uint8Array(lz4.compressBound(BLOCK));
  for (let start = 0; start < src.length; start += BLOCK) {
    const block = src.subarray(start, Math.min(start + BLOCK, src.length));
    const n = lz4.compressBlock(block, scratch, 0, block.length, new Uint32Array(1 << 16));
    if (n === 0 || n >= block.length) {
      o = out.writeUInt32LE((0x80000000 | block.length) >>> 0, o); // stored uncompressed
      out.set(block, o);
      o += block.length;
    } else {
      o = out.writeUInt32LE(n, o);
      out.set(scratch.subarray(0, n), o);
      o += n;
    }
  }
  o = out.writeUInt32LE(0, o); // end mark
  return out.subarray(0, o);
}
