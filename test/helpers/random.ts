import { Rng } from '../../src/math/rng';
import type { SparseMatrix } from '../../src/io/sparse';

/** `length` normal deviates from a seeded generator (float32-representable). */
export function normals(seed: number, length: number, scale = 1): Float32Array {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length }, () => scale * rng.nextNormal());
}

/**
 * A seeded sparse n × d matrix in csr (float32 data) and its dense float64 copy: `entry(r, c, next, dense)` gives the
 * value at row r, column c, or null for none; `next` draws uniform numbers from the seed, `dense` holds the entries
 * made so far (row by row).
 */
export function seededSparse(
  n: number, d: number, seed: number, entry: (r: number, c: number, next: () => number, dense: Float64Array) => number | null,
): { csr: SparseMatrix; dense: Float64Array; nnz: number } {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const dense = new Float64Array(n * d);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) {
      const value = entry(r, c, next, dense);
      if (value === null) continue;
      dense[r * d + c] = value;
      indices.push(c);
      data.push(value);
    }
    indptr.push(indices.length);
  }
  const csr: SparseMatrix = { format: 'csr', rows: n, cols: d, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
  return { csr, dense, nnz: indices.length };
}
