// A small seeded generator: xoshiro128** (Blackman & Vigna) seeded through splitmix32. Its whole state is four
// 32-bit words, so a checkpoint can carry it and a restored game continues the same stream.

import { describe } from '../describe';

/** The seeded generator's state: four 32-bit words of xoshiro128**. */
export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private readonly s: Uint32Array;

  private constructor(state: ArrayLike<number>) {
    this.s = Uint32Array.from(state);
  }

  /** A generator for an integer seed (any safe integer; its low and high 32 bits both matter). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, got ${describe(seed)}`);
    const low = splitmix32(seed >>> 0);
    const high = splitmix32(Math.floor(seed / 0x1_0000_0000) ^ 0x5bd1e995);
    const state = [low() ^ high(), low() ^ high(), low() ^ high(), low() ^ high()];
    if (!state.some((word) => word !== 0)) state[0] = 1; // the all-zero state is a fixed point
    return new Rng(state);
  }

  static fromState(state: ArrayLike<number>): Rng {
    if (state.length !== 4 || Array.from(state).some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new TypeError('rng state must be four unsigned 32-bit integers');
    }
    if (Array.from(state).every((w) => w === 0)) throw new RangeError('rng state must not be all zeros');
    return new Rng(state);
  }

  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** The next 32 random bits. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, bound) for bound ≤ 2^32 (53 random bits scaled, so the bias is below 2^-21). */
  nextBelow(bound: number): number {
    return Math.floor(this.nextFloat() * bound);
  }

  /**
   * A standard normal deviate (Marsaglia's polar method: only sqrt and log, no trigonometry, so the bits
   * depend on fewer library functions).
   */
  nextNormal(): number {
    for (;;) {
      const u = 2 * this.nextFloat() - 1;
      const v = 2 * this.nextFloat() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
    }
  }

  /**
   * `count` standard normal deviates into `out` from index `first`: the polar method's pairs with both deviates
   * used and 32-bit coordinates (nextNormal keeps one of each pair, from 53-bit ones: a quarter of the draws, for a
   * start of a million values).
   */
  fillNormals(out: Float32Array | Float64Array, first: number, count: number): void {
    for (let i = first; i < first + count;) {
      // 32 random bits a coordinate: the deviates' resolution is far finer than a float32 start needs.
      const u = this.nextUint32() * 2 ** -31 - 1;
      const v = this.nextUint32() * 2 ** -31 - 1;
      const s = u * u + v * v;
      if (!(s > 0 && s < 1)) continue;
      const factor = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * factor;
      if (i < first + count) out[i++] = v * factor;
    }
  }

  /** A uniformly random permutation of 0 .. n−1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextBelow(i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}

function rotl(x: number, bits: number): number {
  return ((x << bits) | (x >>> (32 - bits))) >>> 0;
}
