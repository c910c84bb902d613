// Small dense float64 linear algebra for k × k and k × d matrices (k is small): what the Rayleigh–Ritz step and
// the metrics need, with no dependency.

export interface SymmetricEigen {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** Eigenvectors as rows (row i belongs to values[i]), n × n row-major. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric n × n matrix (row-major) by cyclic Jacobi rotations: slow for large n but
 * accurate to working precision for every eigenvector, which is what a Rayleigh–Ritz step needs.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += a[i * n + i] * a[i * n + i];
      for (let j = 0; j < i; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = a[p * n + r];
        if (apr === 0) continue;
        const theta = (a[r * n + r] - a[p * n + p]) / (2 * apr);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < n; i++) {
          const aip = a[i * n + p];
          const air = a[i * n + r];
          a[i * n + p] = c * aip - s * air;
          a[i * n + r] = s * aip + c * air;
        }
        for (let i = 0; i < n; i++) {
          const api = a[p * n + i];
          const ari = a[r * n + i];
          a[p * n + i] = c * api - s * ari;
          a[r * n + i] = s * api + c * ari;
        }
        for (let i = 0; i < n; i++) {
          const qip = q[i * n + p];
          const qir = q[i * n + r];
          q[i * n + p] = c * qip - s * qir;
          q[i * n + r] = s * qip + c * qir;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((column, row) => {
    for (let i = 0; i < n; i++) vectors[row * n + i] = q[i * n + column];
  });
  return { values, vectors };
}

/**
 * Orthonormalises the rows of a rows × cols matrix in place (modified Gram–Schmidt, applied twice so the result
 * is orthonormal to working precision). Returns false if a row is (numerically) in the span of earlier ones.
 */
export function orthonormalizeRows(matrix: Float64Array, rows: number, cols: number): boolean {
  for (let i = 0; i < rows; i++) {
    const rowI = matrix.subarray(i * cols, (i + 1) * cols);
    const before = Math.sqrt(dot(rowI, rowI));
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const rowJ = matrix.subarray(j * cols, (j + 1) * cols);
        const along = dot(rowI, rowJ);
        for (let c = 0; c < cols; c++) rowI[c] -= along * rowJ[c];
      }
    }
    const norm = Math.sqrt(dot(rowI, rowI));
    if (!(norm > 1e-10 * before)) return false;
    for (let c = 0; c < cols; c++) rowI[c] /= norm;
  }
  return true;
}

/**
 * 1 − ‖A Bᵀ‖²_F / k = 1 − tr(P_A P_B) / k for two k × d matrices with orthonormal rows: 0 for one subspace, 1 for
 * orthogonal ones (clamped at 0 against rounding).
 */
export function orthonormalSubspaceDistance(a: Float64Array, b: Float64Array, k: number, d: number): number {
  let trace = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const overlap = dot(a.subarray(i * d, (i + 1) * d), b.subarray(j * d, (j + 1) * d));
      trace += overlap * overlap;
    }
  }
  return Math.max(0, 1 - trace / k);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

