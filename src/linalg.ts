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

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * The Rayleigh–Ritz rotation of a basis: given rows V (k × d, independent) and M = V C Vᵀ for a symmetric C,
 * returns R (k × k) such that the rows of R V are orthonormal eigenvector estimates of C within span(V), sorted by
 * their Rayleigh quotients (returned as `values`, descending), and R M Rᵀ = diag(values). Null if V is (numerically)
 * rank deficient.
 */
export function ritzRotation(
  v: ArrayLike<number>, m: ArrayLike<number>, k: number, d: number,
): { rotation: Float64Array; values: Float64Array } | null {
  // Cholesky factor L of the Gram matrix S = V Vᵀ, so that L⁻¹ V has orthonormal rows.
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += v[i * d + c] * v[j * d + c];
      for (let p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p];
      if (i === j) {
        if (!(s > 1e-12)) return null;
        l[i * k + i] = Math.sqrt(s);
      } else {
        l[i * k + j] = s / l[j * k + j];
      }
    }
  }
  // L⁻¹ by forward substitution.
  const inverse = new Float64Array(k * k);
  for (let col = 0; col < k; col++) {
    for (let i = col; i < k; i++) {
      let s = i === col ? 1 : 0;
      for (let p = col; p < i; p++) s -= l[i * k + p] * inverse[p * k + col];
      inverse[i * k + col] = s / l[i * k + i];
    }
  }
  const a = multiply(multiply(inverse, m, k, false), inverse, k, true);
  const { values, vectors } = symmetricEigen(a, k);
  return { rotation: multiply(vectors, inverse, k, false), values };
}

/** A B (or A Bᵀ) for k × k matrices. */
function multiply(a: ArrayLike<number>, b: ArrayLike<number>, k: number, transposeB: boolean): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * (transposeB ? b[j * k + p] : b[p * k + j]);
      out[i * k + j] = s;
    }
  }
  return out;
}

/** rows ← R rows for a k × d matrix (in place; float64 sums). */
export function rotateRows(rotation: ArrayLike<number>, rows: Float32Array | Float64Array, k: number, d: number): void {
  const source = Float64Array.from(rows.subarray(0, k * d));
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += rotation[i * k + j] * source[j * d + c];
      rows[i * d + c] = s;
    }
  }
}
