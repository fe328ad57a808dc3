// lz4js ships no types; only what src/kafka/codecs.ts and lz4-frame.ts use.
declare module "lz4js" {
  /** Compresses to one LZ4 frame (dependent blocks: Kafka refuses these; see lz4-frame.ts). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompresses one LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Worst-case compressed size of n bytes. */
  export function compressBound(n: number): number;
  /** Compresses src[sIndex, sIndex+sLength) as one raw block into dst; returns its size (0: not compressible). */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  const lz4: {
    compress: typeof compress;
    decompress: typeof decompress;
    compressBound: typeof compressBound;
    compressBlock: typeof compressBlock;
  };
  export default lz4;
}
declare module "lz4js/xxh32.js" {
  /** xxHash32 of data[index, index+len) with `seed`. */
  export function hash(seed: number, data: Uint8Array, index: number, len: number): number;
  const xxh32: { hash: typeof hash };
  export default xxh32;
}
