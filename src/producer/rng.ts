import { createHash } from "node:crypto";

/**
 * A small seeded PRNG (sfc32, Chris Doty-Humphrey's "small fast counting" generator): the load tester draws device
 * sets, counts, values and fault choices from it, so one seed gives one sequence on every platform. Not for
 * cryptography; `Math.random` cannot be seeded.
 */
export interface Rng {
  /** Uniform double in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both included). */
  int(min: number, max: number): number;
}

/** A generator seeded from the sha1 of `seed` (any text). */
export function rng(seed: string): Rng {
  const h = createHash("sha1").update(`sluice-rng:${seed}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12) | 1;
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Let the state mix before the first draw: the first outputs of sfc32 are correlated with the seed words.
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296;
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}
