import { CompressionCodecs, CompressionTypes } from "kafkajs";
import lz4 from "lz4js";
import { lz4Frame } from "./lz4-frame.ts";

/**
 * Registers the compression codecs kafkajs 2.2.4 lacks, so `compression: lz4 | zstd` works for producing and
 * consuming. Idempotent; importing this module is enough.
 *
 * - zstd: Bun's built-in `Bun.zstdCompressSync` / `zstdDecompressSync` (libzstd inside Bun, nothing to install).
 * - lz4: `lz4js`, pure JavaScript, so it installs under Bun without a native build (`lz4`, `lz4-napi` and
 *   `kafkajs-lz4` need node-gyp or prebuilt native modules). Its block compressor is used; the frame is written by
 *   lz4-frame.ts, because Kafka refuses lz4js' own frames (dependent blocks).
 */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * zstd level 1, not libzstd's (and Kafka's) default 3: on the load tester's partition batches (~170 records, 279
 * bytes each) it compresses in 340 instead of 500 ns per record and to 43.7 instead of 44.6 bytes
 * (docs/decisions/zstd-default.md).
 */
export const ZSTD_LEVEL = 1;

const zstd = {
  async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
    return asBuffer(Bun.zstdCompressSync(encoder.buffer, { level: ZSTD_LEVEL }));
  },
  async decompress(buffer: Buffer): Promise<Buffer> {
    return asBuffer(Bun.zstdDecompressSync(buffer));
  },
};

const lz4Codec = {
  async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
    return lz4Frame(encoder.buffer);
  },
  async decompress(buffer: Buffer): Promise<Buffer> {
    return asBuffer(lz4.decompress(buffer));
  },
};

const codecs = CompressionCodecs as unknown as Record<number, () => unknown>;
codecs[CompressionTypes.ZSTD] = () => zstd;
codecs[CompressionTypes.LZ4] = () => lz4Codec;

/** The codecs a run can choose; all four work after this module is loaded. */
export const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

export type CompressionName = keyof typeof COMPRESSION;

/**
 * What Sluice's producers use unless told otherwise: with zstd the broker, the worker and the producer each spent
 * less CPU per row than without compression (npm run bench -- --compression; docs/performance.md).
 */
export const DEFAULT_COMPRESSION: CompressionName = "zstd";
