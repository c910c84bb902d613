// Sparse matrices as users hand them: scipy's compressed layouts and names (csr_matrix / csc_matrix), so that a
// matrix written by scipy, read from a .npz or a Matrix Market file, or built by hand needs no conversion.

/**
 * A sparse matrix in scipy's compressed layout. `format: 'csr'`: row r's entries are `indices[indptr[r] .. indptr[r + 1])`
 * (their columns) with `data` at the same positions; `'csc'`: the same by column (indices are rows). Indices need not
 * be sorted within a row or column, and duplicates are summed, as scipy does.
 */
export interface SparseMatrix {
  /** Compressed sparse rows or compressed sparse columns. */
  format: 'csr' | 'csc';
  /** Rows (samples). */
  rows: number;
  /** Columns (features). */
  cols: number;
  /** rows + 1 offsets (csr) or cols + 1 (csc) into `indices` and `data`, from 0, never decreasing, ending at their length. */
  indptr: Int32Array | Uint32Array | ArrayLike<number>;
  /** The column (csr) or row (csc) of each stored entry, from 0. */
  indices: Int32Array | Uint32Array | ArrayLike<number>;
  /** The stored entries' values. */
  data: Float32Array | Float64Array | ArrayLike<number>;
}
