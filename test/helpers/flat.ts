// Data sets whose spectra have no gap where k falls (flat tails), as real data has: single-cell-like counts, text
// embeddings, two independent wide views, k above the rank. Seeded, float32 or float64 rows, small enough for tests
// on a loaded 2-core machine; bench/datasets.py makes the same kinds at the bench's sizes.

import { Rng } from '../../src/math/rng';

/** A gamma deviate of the given shape (scale 1): Marsaglia and Tsang's method (shape ≥ 1), boosted below 1. */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.nextFloat() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.nextNormal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.nextFloat();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Poisson deviate: Knuth's product of uniforms below a mean of 30, a rounded normal above (tests need the shape only). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.nextNormal()));
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = rng.nextFloat(); product > limit; product *= rng.nextFloat()) count++;
  return count;
}

/**
 * Single-cell-like expression: n cells of `types` cell types, d genes with log-normal base means, each type changing
 * a tenth of the genes by a log-normal fold; cells with log-normal size factors; counts gamma–Poisson (shape 5),
 * then log1p. The top components are the types; beyond them the spectrum is a flat tail of counting noise.
 */
export function countData(n: number, d: number, types: number, seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  const base = Float64Array.from({ length: d }, () => Math.exp(-1 + 1.5 * rng.nextNormal()));
  const fold = Float64Array.from({ length: types * d }, () => (rng.nextFloat() < 0.1 ? Math.exp(rng.nextNormal()) : 1));
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const type = rng.nextBelow(types);
    const size = Math.exp(0.4 * rng.nextNormal());
    for (let c = 0; c < d; c++) {
      const mean = size * base[c] * fold[type * d + c];
      out[r * d + c] = Math.log1p(poisson(rng, (gamma(rng, 5) * mean) / 5));
    }
  }
  return out;
}

/**
 * Rows z·diag(√λ)·Q with z standard normal and Q a random orthonormal basis of `spectrum.length` directions in R^d,
 * plus isotropic noise of variance `noise`: embeddings (a slowly falling spectrum over a flat floor) and
 * "rank r plus noise" (k above the rank) alike.
 */
export function spectrumData(n: number, d: number, spectrum: readonly number[], noise: number, seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  const r = spectrum.length;
  const basis = Float64Array.from({ length: r * d }, () => rng.nextNormal());
  for (let i = 0; i < r; i++) {
    const row = basis.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < i; j++) {
      const parent = basis.subarray(j * d, (j + 1) * d);
      let dot = 0;
      for (let c = 0; c < d; c++) dot += row[c] * parent[c];
      for (let c = 0; c < d; c++) row[c] -= dot * parent[c];
    }
    let norm = 0;
    for (let c = 0; c < d; c++) norm += row[c] * row[c];
    for (let c = 0; c < d; c++) row[c] /= Math.sqrt(norm);
  }
  const out = new Float32Array(n * d);
  const scores = new Float64Array(r);
  for (let row = 0; row < n; row++) {
    for (let i = 0; i < r; i++) scores[i] = Math.sqrt(spectrum[i]) * rng.nextNormal();
    for (let c = 0; c < d; c++) {
      let value = Math.sqrt(noise) * rng.nextNormal();
      for (let i = 0; i < r; i++) value += scores[i] * basis[i * d + c];
      out[row * d + c] = value;
    }
  }
  return out;
}

/** Two independent standard normal views (n × dx, n × dy), float64: their canonical correlations crowd together. */
export function independentViews(n: number, dx: number, dy: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = Rng.fromSeed(seed);
  const x = Float64Array.from({ length: n * dx }, () => rng.nextNormal());
  const y = Float64Array.from({ length: n * dy }, () => rng.nextNormal());
  return { x, y };
}
