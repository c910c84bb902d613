// Rows drawn independently from a Gaussian with a chosen covariance U diag(λ) Uᵀ (U dense, known): data whose
// every minibatch looks like the whole, as real data streamed from a file does. (Planted data puts a component's
// variance in a few rows, which only suits fits that see all rows at once.)

import { plantedData } from '../../scripts/planted.mjs';

export interface SampledData {
  data: Float32Array;
  rows: number;
  cols: number;
  /** d × d, row i is the population eigenvector of spectrum[i]. */
  eigenvectors: Float64Array;
}

/** n rows of d values; `spectrum` has d eigenvalues. Deterministic for a seed. */
export function sampledData(n: number, d: number, spectrum: ArrayLike<number>, seed = 1): SampledData {
  const { eigenvectors } = plantedData({ n: d + 1, d, spectrum, seed });
  let state = (seed * 0x9e3779b9) >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const scales = Float64Array.from(spectrum, (value) => Math.sqrt(value));
  const data = new Float32Array(n * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    row.fill(0);
    for (let j = 0; j < d; j++) {
      const weight = scales[j] * normal();
      for (let c = 0; c < d; c++) row[c] += weight * eigenvectors[j * d + c];
    }
    for (let c = 0; c < d; c++) data[r * d + c] = row[c] + 3 + c / d;
  }
  return { data, rows: n, cols: d, eigenvectors };
}
