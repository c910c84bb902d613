// Small dense generalized eigenproblems in float64: the Rayleigh–Ritz step of the γ-EigenGame players on a pencil
// A v = λ B v. Given the Gram matrices G_A = S A Sᵀ and G_B = S B Sᵀ of a basis S (n rows), the Ritz pairs are the
// eigenpairs of the projected pencil (G_A, G_B): B-orthonormalise the basis by a Cholesky factor of G_B, then
// eigendecompose L⁻¹ G_A L⁻ᵀ (symmetricEigen).
//
// A basis of float32 vectors can be nearly dependent (a player's direction along its own position as it converges,
// its last move along its direction), and a near-dependent row would amplify the Gram matrices' rounding into
// spurious Ritz values. The basis is first scaled to unit B-norm (Jacobi), then the Cholesky factor is built row by
// row and a row whose part independent of the rows kept before it is below √drop is left out.

import { symmetricEigen } from './linalg';

export interface PencilRitz {
  /** The `want` largest Ritz values, descending. */
  values: Float64Array;
  /** Their Ritz vectors as combinations of the basis rows: `want` × n, row-major (B-orthonormal). */
  coefficients: Float64Array;
  /** How many basis rows the factor kept. */
  kept: number;
}

/**
 * The top `want` Ritz pairs of the pencil (a, b), both n × n symmetric (b positive semidefinite), row-major.
 * Basis rows whose independent part of unit B-norm is below √drop are left out (their coefficients are 0). Throws
 * if fewer than `want` rows are kept.
 */
export function pencilRitz(a: Float64Array, b: Float64Array, n: number, want: number, drop: number): PencilRitz {
  const scale = Float64Array.from({ length: n }, (_, i) => (b[i * n + i] > 0 ? 1 / Math.sqrt(b[i * n + i]) : 0));
  const kept: number[] = [];
  // Row r of the factor (over the kept rows) for basis row kept[r].
  const factor: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    if (scale[j] === 0) continue;
    const row = new Float64Array(kept.length + 1);
    for (let r = 0; r < kept.length; r++) {
      let sum = b[j * n + kept[r]] * scale[j] * scale[kept[r]];
      for (let q = 0; q < r; q++) sum -= row[q] * factor[r][q];
      row[r] = sum / factor[r][r];
    }
    let pivot = 1;
    for (let q = 0; q < kept.length; q++) pivot -= row[q] * row[q];
    if (!(pivot > drop)) continue;
    row[kept.length] = Math.sqrt(pivot);
    kept.push(j);
    factor.push(row);
  }
  const r = kept.length;
  if (r < want) throw new RangeError(`the players' span has ${r} independent directions, fewer than the ${want} wanted`);
  // The factor's inverse, row by row (lower triangular): rows of L⁻¹ are the B-orthonormal basis.
  const inverse = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    inverse[i * r + i] = 1 / factor[i][i];
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let q = j; q < i; q++) sum += factor[i][q] * inverse[q * r + j];
      inverse[i * r + j] = -sum / factor[i][i];
    }
  }
  const scaledA = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) scaledA[i * r + j] = a[kept[i] * n + kept[j]] * scale[kept[i]] * scale[kept[j]];
  }
  // M = L⁻¹ G_A L⁻ᵀ, symmetrised against rounding.
  const half = multiply(inverse, scaledA, r, r, r);
  const projected = multiplyTransposed(half, inverse, r, r, r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < i; j++) projected[i * r + j] = projected[j * r + i] = (projected[i * r + j] + projected[j * r + i]) / 2;
  }
  const { values, vectors } = symmetricEigen(projected, r);
  const coefficients = new Float64Array(want * n);
  for (let w = 0; w < want; w++) {
    // Coefficients over the kept scaled rows: L⁻ᵀ u, i.e. Σ_i u_i (row i of L⁻¹).
    for (let i = 0; i < r; i++) {
      const u = vectors[w * r + i];
      for (let j = 0; j <= i; j++) coefficients[w * n + kept[j]] += u * inverse[i * r + j];
    }
    for (let j = 0; j < r; j++) coefficients[w * n + kept[j]] *= scale[kept[j]];
  }
  return { values: values.slice(0, want), coefficients, kept: r };
}

/** (rows × inner) · (inner × cols), row-major. */
function multiply(x: Float64Array, y: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < inner; q++) {
      const xi = x[i * inner + q];
      if (xi === 0) continue;
      for (let j = 0; j < cols; j++) out[i * cols + j] += xi * y[q * cols + j];
    }
  }
  return out;
}

/** (rows × inner) · (cols × inner)ᵀ, row-major. */
function multiplyTransposed(x: Float64Array, y: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let q = 0; q < inner; q++) sum += x[i * inner + q] * y[j * inner + q];
      out[i * cols + j] = sum;
    }
  }
  return out;
}
