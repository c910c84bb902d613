// Float64 references for CCA, PLS and LDA, written from the textbook formulas (not from the package's code): a
// generalized symmetric eigensolver by Cholesky whitening (B = L Lᵀ, then the eigenpairs of L⁻¹ A L⁻ᵀ), and the
// cheaper forms of the same problems that tests on wide data need (whitening each view, then the cross-covariance's
// singular vectors; LDA through the classes × classes matrix).

import { symmetricEigen } from '../../src/math/linalg';

export type Rows = Float64Array;

/** The covariance of the rows of X (n × d) with denominator `divisor` (default n − 1), centred at its mean, float64. */
export function covariance(x: Rows, n: number, d: number, divisor = n - 1): Float64Array {
  const mean = columnMeans(x, n, d);
  const c = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j] - mean[j];
    for (let i = 0; i < d; i++) {
      const xi = row[i];
      const target = i * d;
      for (let j = i; j < d; j++) c[target + j] += xi * row[j];
    }
  }
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) c[j * d + i] = c[i * d + j] = c[i * d + j] / divisor;
  return c;
}

export function columnMeans(x: Rows, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j];
  return mean.map((value) => value / n);
}

/** The lower Cholesky factor of a symmetric positive definite n × n matrix. */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let pivot = a[j * n + j];
    for (let q = 0; q < j; q++) pivot -= l[j * n + q] ** 2;
    if (!(pivot > 0)) throw new Error(`not positive definite at column ${j}`);
    l[j * n + j] = Math.sqrt(pivot);
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j];
      for (let q = 0; q < j; q++) sum -= l[i * n + q] * l[j * n + q];
      l[i * n + j] = sum / l[j * n + j];
    }
  }
  return l;
}

/** L⁻¹ y (forward substitution) for a lower factor. */
function forward(l: Float64Array, n: number, y: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(y);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < i; q++) x[i] -= l[i * n + q] * x[q];
    x[i] /= l[i * n + i];
  }
  return x;
}

/** L⁻ᵀ y (backward substitution with the transpose) for a lower factor. */
function backward(l: Float64Array, n: number, y: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(y);
  for (let i = n - 1; i >= 0; i--) {
    for (let q = i + 1; q < n; q++) x[i] -= l[q * n + i] * x[q];
    x[i] /= l[i * n + i];
  }
  return x;
}

export interface Pairs {
  values: Float64Array;
  /** k vectors as rows. */
  vectors: Float64Array;
}

/** The top k eigenpairs of A v = λ B v (n × n, B positive definite): vectors B-orthonormal. */
export function pencilEigen(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number): Pairs {
  const l = cholesky(b, n);
  // W = L⁻¹ A L⁻ᵀ: whiten A's columns, then its rows.
  const half = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const column = forward(l, n, Array.from({ length: n }, (_, i) => a[i * n + j]));
    for (let i = 0; i < n; i++) half[i * n + j] = column[i];
  }
  const whitened = new Float64Array(n * n);
  for (let i = 0; i < n; i++) whitened.set(forward(l, n, half.subarray(i * n, (i + 1) * n)), i * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) whitened[i * n + j] = whitened[j * n + i] = (whitened[i * n + j] + whitened[j * n + i]) / 2;
  const { values, vectors } = symmetricEigen(whitened, n);
  const out = new Float64Array(k * n);
  for (let i = 0; i < k; i++) out.set(backward(l, n, vectors.subarray(i * n, (i + 1) * n)), i * n);
  return { values: values.slice(0, k), vectors: out };
}

/** A view's block of a joint covariance (row-major m × m): rows [r0, r1) × columns [c0, c1). */
export function block(c: Float64Array, m: number, [r0, r1]: [number, number], [c0, c1]: [number, number]): Float64Array {
  const out = new Float64Array((r1 - r0) * (c1 - c0));
  for (let i = r0; i < r1; i++) for (let j = c0; j < c1; j++) out[(i - r0) * (c1 - c0) + (j - c0)] = c[i * m + j];
  return out;
}

/** Left singular pairs of K (p × q): the eigenpairs of K Kᵀ, as σ and unit u. */
function leftSingular(kMatrix: Float64Array, p: number, q: number, k: number): Pairs {
  const g = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      let sum = 0;
      for (let t = 0; t < q; t++) sum += kMatrix[i * q + t] * kMatrix[j * q + t];
      g[i * p + j] = g[j * p + i] = sum;
    }
  }
  const { values, vectors } = symmetricEigen(g, p);
  return { values: values.slice(0, k).map((value) => Math.sqrt(Math.max(0, value))), vectors: vectors.slice(0, k * p) };
}

/** Kᵀ u / σ: the right singular vector that goes with (σ, u). */
function rightOf(kMatrix: Float64Array, p: number, q: number, u: ArrayLike<number>, sigma: number): Float64Array {
  const w = new Float64Array(q);
  for (let i = 0; i < p; i++) for (let t = 0; t < q; t++) w[t] += kMatrix[i * q + t] * u[i];
  return w.map((value) => value / sigma);
}

export interface TwoViewPairs {
  values: Float64Array;
  x: Float64Array;
  y: Float64Array;
}

/**
 * CCA in float64: whiten each view by its covariance's Cholesky factor, then the singular vectors of the whitened
 * cross-covariance K = Lx⁻¹ Cxy Ly⁻ᵀ; weights a = Lx⁻ᵀ u, b = Ly⁻ᵀ w (unit-variance variates).
 */
export function ccaReference(x: Rows, y: Rows, n: number, dx: number, dy: number, k: number, regularization = 0): TwoViewPairs {
  const m = dx + dy;
  const joint = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    joint.set(x.subarray(r * dx, (r + 1) * dx), r * m);
    joint.set(y.subarray(r * dy, (r + 1) * dy), r * m + dx);
  }
  const c = covariance(joint, n, m);
  const cxx = block(c, m, [0, dx], [0, dx]);
  const cyy = block(c, m, [dx, m], [dx, m]);
  for (let i = 0; i < dx; i++) cxx[i * dx + i] += regularization;
  for (let i = 0; i < dy; i++) cyy[i * dy + i] += regularization;
  const lx = cholesky(cxx, dx);
  const ly = cholesky(cyy, dy);
  const cxy = block(c, m, [0, dx], [dx, m]);
  // K = Lx⁻¹ Cxy Ly⁻ᵀ: rows of Cxy whitened by Ly, then columns by Lx.
  const half = new Float64Array(dx * dy);
  for (let i = 0; i < dx; i++) half.set(forward(ly, dy, cxy.subarray(i * dy, (i + 1) * dy)), i * dy);
  const kMatrix = new Float64Array(dx * dy);
  for (let t = 0; t < dy; t++) {
    const column = forward(lx, dx, Array.from({ length: dx }, (_, i) => half[i * dy + t]));
    for (let i = 0; i < dx; i++) kMatrix[i * dy + t] = column[i];
  }
  const { values, vectors } = leftSingular(kMatrix, dx, dy, k);
  const xs = new Float64Array(k * dx);
  const ys = new Float64Array(k * dy);
  for (let i = 0; i < k; i++) {
    const u = vectors.subarray(i * dx, (i + 1) * dx);
    xs.set(backward(lx, dx, u), i * dx);
    ys.set(backward(ly, dy, rightOf(kMatrix, dx, dy, u, values[i])), i * dy);
  }
  return { values, x: xs, y: ys };
}

/** PLS-SVD in float64: the singular vectors and values of Cxy = XᵀY/(n − 1) (centred). */
export function plsReference(x: Rows, y: Rows, n: number, dx: number, dy: number, k: number): TwoViewPairs {
  const mx = columnMeans(x, n, dx);
  const my = columnMeans(y, n, dy);
  const cxy = new Float64Array(dx * dy);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dx; i++) {
      const xi = x[r * dx + i] - mx[i];
      for (let t = 0; t < dy; t++) cxy[i * dy + t] += xi * (y[r * dy + t] - my[t]);
    }
  }
  for (let i = 0; i < cxy.length; i++) cxy[i] /= n - 1;
  const { values, vectors } = leftSingular(cxy, dx, dy, k);
  const ys = new Float64Array(k * dy);
  for (let i = 0; i < k; i++) ys.set(rightOf(cxy, dx, dy, vectors.subarray(i * dx, (i + 1) * dx), values[i]), i * dy);
  return { values, x: vectors.slice(0, k * dx), y: ys };
}

/** Sorted distinct labels and each row's class index. */
export function classesOf(labels: ArrayLike<number | string>): { classes: (number | string)[]; index: Int32Array } {
  const classes = [...new Set(Array.from(labels))].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1));
  const position = new Map(classes.map((label, c) => [label, c]));
  return { classes, index: Int32Array.from(Array.from(labels), (label) => position.get(label)!) };
}

export interface LDAPairs extends Pairs {
  /** The sum of all the pencil's eigenvalues, trace(Sw⁻¹ Sb). */
  total: number;
}

/**
 * LDA in float64 as scikit-learn's 'eigen' solver defines it (Sw = Σ_c (n_c/n) cov_c biased, Sb = Σ_c (n_c/n)
 * (m_c − m)(m_c − m)ᵀ): with M's columns √(n_c/n)(m_c − m), Sb = M Mᵀ, and the eigenpairs of Sb v = λ Sw v are those
 * of Mᵀ Sw⁻¹ M (classes × classes), v = Sw⁻¹ M u / √λ.
 */
export function ldaReference(x: Rows, labels: ArrayLike<number | string>, n: number, d: number, k: number, regularization = 0): LDAPairs {
  const { classes, index } = classesOf(labels);
  const count = classes.length;
  const counts = new Float64Array(count);
  const means = new Float64Array(count * d);
  for (let r = 0; r < n; r++) {
    counts[index[r]]++;
    for (let j = 0; j < d; j++) means[index[r] * d + j] += x[r * d + j];
  }
  for (let c = 0; c < count; c++) for (let j = 0; j < d; j++) means[c * d + j] /= counts[c];
  const centred = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) centred[r * d + j] = x[r * d + j] - means[index[r] * d + j];
  // The within-class covariance: the scatter of the class-centred rows over n (their mean is 0 already).
  const sw = covariance(centred, n, d, n);
  for (let i = 0; i < d; i++) sw[i * d + i] += regularization;
  const mean = columnMeans(x, n, d);
  const m = Array.from({ length: count }, (_, c) => Float64Array.from({ length: d }, (_, j) => Math.sqrt(counts[c] / n) * (means[c * d + j] - mean[j])));
  const l = cholesky(sw, d);
  const solved = m.map((column) => backward(l, d, forward(l, d, column)));
  const g = new Float64Array(count * count);
  for (let a = 0; a < count; a++) for (let b = 0; b < count; b++) g[a * count + b] = m[a].reduce((sum, value, j) => sum + value * solved[b][j], 0);
  for (let a = 0; a < count; a++) for (let b = 0; b < a; b++) g[a * count + b] = g[b * count + a] = (g[a * count + b] + g[b * count + a]) / 2;
  const { values, vectors } = symmetricEigen(g, count);
  const out = new Float64Array(k * d);
  for (let i = 0; i < k; i++) {
    const v = new Float64Array(d);
    for (let c = 0; c < count; c++) for (let j = 0; j < d; j++) v[j] += solved[c][j] * vectors[i * count + c];
    out.set(v.map((value) => value / Math.sqrt(values[i])), i * d);
  }
  let total = 0;
  for (let c = 0; c < count; c++) total += g[c * count + c];
  return { values: values.slice(0, k), vectors: out, total };
}

/** |cos| between row i of two k × d matrices. */
export function rowCosine(a: ArrayLike<number>, b: ArrayLike<number>, i: number, d: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < d; c++) {
    const u = a[i * d + c];
    const v = b[i * d + c];
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  return Math.abs(ab) / Math.sqrt(aa * bb);
}

/**
 * The normalised subspace distance 1 − ‖Qa Qbᵀ‖²_F / k between the spans of the first k rows of two row-major
 * k × d matrices (rows need not be unit or orthogonal: each set is orthonormalised first, Gram–Schmidt twice).
 */
export function spanDistance(a: ArrayLike<number>, b: ArrayLike<number>, k: number, d: number): number {
  const orthonormal = (m: ArrayLike<number>) => orthonormalRows(Float64Array.from({ length: k * d }, (_, i) => m[i]), k, d);
  const [qa, qb] = [orthonormal(a), orthonormal(b)];
  let sum = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += qa[i * d + c] * qb[j * d + c];
      sum += dot * dot;
    }
  }
  return Math.max(0, 1 - sum / k);
}

/** Gram–Schmidt, twice, on the rows of a rows × n matrix, in place; returns it. */
export function orthonormalRows(a: Float64Array, rows: number, n: number): Float64Array {
  for (let i = 0; i < rows; i++) {
    const row = a.subarray(i * n, (i + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += row[c] * a[j * n + c];
        for (let c = 0; c < n; c++) row[c] -= dot * a[j * n + c];
      }
    }
    const norm = Math.hypot(...row);
    for (let c = 0; c < n; c++) row[c] /= norm;
  }
  return a;
}
