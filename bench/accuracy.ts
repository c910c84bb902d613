// How close a method's answer is to the exact one (float64 `eigh` of the exact covariance, bench/datasets.py).
import { subspaceDistance } from '../src/entries/node';
import type { Answer } from './datasets';

export interface Accuracy {
  /** Normalised subspace distance 1 − tr(P_found P_exact)/k. */
  distance: number;
  /** The smallest |cos| between a component and the exact one of the same rank. */
  minCos: number;
  /** The largest |variance − exact| / exact over the components (null: the method reports no variances). */
  varianceError: number | null;
}

export function accuracy(components: ArrayLike<number>, variances: ArrayLike<number> | undefined, answer: Answer): Accuracy {
  const k = answer.values.length;
  const d = answer.vectors.length / k;
  let minCos = 1;
  for (let i = 0; i < k; i++) {
    let dot = 0;
    let norm = 0;
    for (let c = 0; c < d; c++) {
      dot += components[i * d + c] * answer.vectors[i * d + c];
      norm += components[i * d + c] ** 2;
    }
    minCos = Math.min(minCos, Math.abs(dot) / Math.sqrt(norm));
  }
  const distance = subspaceDistance({ data: Float64Array.from(components), rows: k, cols: d }, { data: answer.vectors, rows: k, cols: d });
  let varianceError: number | null = null;
  if (variances) {
    varianceError = 0;
    for (let i = 0; i < k; i++) varianceError = Math.max(varianceError, Math.abs(variances[i] - answer.values[i]) / answer.values[i]);
  }
  return { distance, minCos, varianceError };
}

/** Below 1e-15 a subspace distance is rounding (it can come out as 0 or negative): a subspace found exactly. */
export const showDistance = (distance: number) => (distance < 1e-15 ? '< 1e-15' : distance.toExponential(1));

export const showCos = (cos: number) => cos.toFixed(6);

export const showVarianceError = (error: number | null) => (error === null ? '' : error < 1e-15 ? '< 1e-15' : error.toExponential(1));
