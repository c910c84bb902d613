import { Rng } from '../../src/math/rng';

/** `length` normal deviates from a seeded generator (float32-representable). */
export function normals(seed: number, length: number, scale = 1): Float32Array {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length }, () => scale * rng.nextNormal());
}
