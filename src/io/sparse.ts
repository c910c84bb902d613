// Sparse matrices as users hand them: scipy's compressed layouts and names (csr_matrix / csc_matrix), so that a
// matrix written by scipy, read from a .npz or a Matrix Market file, or built by hand needs no conversion. The fits
// read them through one canonical form (sorted indices, duplicates summed, both orientations) and never densify.

import { describe } from '../describe';
import { turn } from '../hosts/turns';

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

/** The most stored entries a sparse matrix may have: int32 offsets address them in the kernels' memory. */
export const MAX_SPARSE_ENTRIES = 2 ** 31 - 1;

/** Whether `value` has a sparse matrix's shape (a `format` of 'csr' or 'csc' and the five other fields); the fits check the rest. */
export function isSparseMatrix(value: unknown): value is SparseMatrix {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (m.format === 'csr' || m.format === 'csc') && 'indptr' in m && 'indices' in m && 'data' in m && 'rows' in m && 'cols' in m;
}

/** One orientation of a checked sparse matrix: `major` groups (rows for csr) of entries sorted by `indices`, no duplicates. */
export interface Compressed {
  indptr: Int32Array;
  indices: Int32Array;
  /**
   * The values: float32 as given (each exact in float64, so that no float64 copy is made: at 2 M entries its 17 MB
   * of fresh memory cost 50 ms), else float64; duplicates summed in float64.
   */
  data: Float64Array | Float32Array;
}

/**
 * A checked sparse matrix in canonical form: its rows (csr) and its columns (csc), each with sorted, distinct
 * indices and duplicates summed in float64, and its columns' statistics in float64 from the original values.
 */
export class SparseReader {
  private columns: Compressed | null;
  private statistics: { sums: Float64Array; squares: Float64Array } | null = null;

  /** @internal Made by `readSparseMatrix`. */
  constructor(
    readonly rows: number, readonly cols: number, readonly csr: Compressed, csc: Compressed | null,
  ) {
    this.columns = csc;
  }

  /** Stored entries (after duplicates are summed). */
  get nnz(): number {
    return this.csr.indices.length;
  }

  /** The columns: the same entries grouped by column, rows sorted. */
  get csc(): Compressed {
    this.columns ??= transposeCompressed(this.csr, this.cols);
    return this.columns;
  }

  /** Σ over rows of nnz(row)² / 2: the products the sparse covariance pass adds. */
  outerProducts(): number {
    const { indptr } = this.csr;
    let total = 0;
    for (let r = 0; r < this.rows; r++) {
      const m = indptr[r + 1] - indptr[r];
      total += (m * (m + 1)) / 2;
    }
    return total;
  }

  /** Each column's sum and sum of squares over all rows, float64, in row order. */
  columnStatistics(): { sums: Float64Array; squares: Float64Array } {
    if (!this.statistics) {
      const sums = new Float64Array(this.cols);
      const squares = new Float64Array(this.cols);
      const { indices, data } = this.csr;
      for (let e = 0; e < indices.length; e++) {
        sums[indices[e]] += data[e];
        squares[indices[e]] += data[e] * data[e];
      }
      this.statistics = { sums, squares };
    }
    return this.statistics;
  }

  /** The column means, float64. */
  means(): Float64Array {
    return this.columnStatistics().sums.map((sum) => sum / this.rows);
  }

  /**
   * Each column's sum of squared deviations from `mean` over all n rows (the implicit zeros included), float64:
   * Σ_stored (x − m)² + (n − stored) m², exact for the zeros' share. Summed from the rows, which give each column's
   * entries in row order, as its csc would (without making the csc).
   */
  squaredDeviations(mean: Float64Array): Float64Array {
    const { indices, data } = this.csr;
    const out = new Float64Array(this.cols);
    const stored = new Int32Array(this.cols);
    for (let e = 0; e < indices.length; e++) {
      const c = indices[e];
      out[c] += (data[e] - mean[c]) ** 2;
      stored[c]++;
    }
    for (let c = 0; c < this.cols; c++) out[c] += (this.rows - stored[c]) * mean[c] * mean[c];
    return out;
  }

  /**
   * The columns (csc) written into the caller's arrays, each value times `scale` rounded to float32: copied from the
   * csc where this reader holds one, else sorted straight from the rows (each column's entries in row order, as the
   * csc's), so that no csc of its own is made (at 2 M entries its 26 MB of fresh memory cost a tenth of a second).
   * Turns of the event loop come between slices of `slice` entries.
   */
  async writeColumns(into: { indptr: Int32Array; indices: Int32Array; data: Float32Array }, scale: number, slice: number, signal?: AbortSignal): Promise<void> {
    const { cols, columns } = this;
    if (columns) {
      into.indptr.set(columns.indptr);
      into.indices.set(columns.indices);
      for (let first = 0; first < this.nnz; first += slice) {
        await turn(signal);
        scaleInto(columns.data, into.data, first, Math.min(this.nnz, first + slice), scale);
      }
      return;
    }
    const { indptr, indices } = this.csr;
    countColumns(indices, cols, into.indptr);
    const next = into.indptr.slice(0, cols);
    for (let first = 0; first < this.rows;) {
      await turn(signal);
      // Whole rows of about `slice` entries.
      let last = first + 1;
      while (last < this.rows && indptr[last + 1] - indptr[first] <= slice) last++;
      scatterRows(this.csr, first, last, scale, next, into);
      first = last;
    }
  }

  /** Row r's columns and values (views, sorted by column). */
  row(r: number): { indices: Int32Array; data: Float64Array | Float32Array } {
    const { indptr, indices, data } = this.csr;
    return { indices: indices.subarray(indptr[r], indptr[r + 1]), data: data.subarray(indptr[r], indptr[r + 1]) };
  }
}

// The loops over every entry live in plain functions, not in the async methods that call them: V8 optimizes a loop
// of an async function late (measured in Node 20: a first 2 M-entry copy 42 ms there, 11 ms in a plain function),
// and these run once a fit.

/** to[e] = from[e] × scale (rounded to float32 in a Float32Array), for e in [first, last). */
export function scaleInto(from: ArrayLike<number>, to: Float32Array | Float64Array, first: number, last: number, scale: number): void {
  for (let e = first; e < last; e++) to[e] = from[e] * scale;
}

/** The csc's column offsets of the column `indices` of `cols` columns (a count, then its running sum). */
function countColumns(indices: ArrayLike<number>, cols: number, colptr: Int32Array): void {
  colptr.fill(0, 0, cols + 1);
  for (let e = 0; e < indices.length; e++) colptr[indices[e] + 1]++;
  for (let c = 0; c < cols; c++) colptr[c + 1] += colptr[c];
}

/** Rows [first, last) of a csr sorted into the csc's columns (`next`: each column's next free place), × scale. */
function scatterRows(
  csr: Compressed, first: number, last: number, scale: number,
  next: Int32Array, into: { indices: Int32Array; data: Float32Array },
): void {
  const { indptr, indices, data } = csr;
  for (let r = first; r < last; r++) {
    for (let e = indptr[r]; e < indptr[r + 1]; e++) {
      const at = next[indices[e]]++;
      into.indices[at] = r;
      into.data[at] = data[e] * scale;
    }
  }
}

const TypedArray = Object.getPrototypeOf(Uint8Array) as abstract new () => ArrayLike<number>;

/** Whether an array holds numbers by its type (a typed array other than the BigInt ones). */
function holdsNumbers(array: ArrayLike<unknown>): boolean {
  return array instanceof TypedArray && !(array instanceof BigInt64Array) && !(array instanceof BigUint64Array);
}

function arrayOf(matrix: SparseMatrix, field: 'indptr' | 'indices' | 'data', name: string): ArrayLike<unknown> {
  const array = matrix[field] as unknown;
  if (typeof array !== 'object' || array === null || typeof (array as ArrayLike<unknown>).length !== 'number') {
    throw new TypeError(`${name}.${field} must be an array or a typed array, got ${describe(array)}`);
  }
  return array as ArrayLike<unknown>;
}

/** The array's values, checked to be numbers unless its type says so (a plain array may hold anything). */
function numbers(values: ArrayLike<unknown>, field: string, name: string): ArrayLike<number> {
  if (!holdsNumbers(values)) {
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number') throw new TypeError(`${name}.${field}[${i}] is not a number: ${describe(values[i])}`);
    }
  }
  return values as ArrayLike<number>;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/**
 * Checks a sparse matrix (`name` for messages) and gives its canonical form. Errors name the array and the position:
 * an indptr that does not start at 0, decreases or does not end at the entries' count, lengths that disagree, an
 * index that is not an integer or out of range, a value that is not finite (with its row and column), more than
 * 2³¹ − 1 entries.
 */
export function readSparseMatrix(matrix: SparseMatrix, name: string): SparseReader {
  if (matrix.format !== 'csr' && matrix.format !== 'csc') {
    throw new TypeError(`${name}.format must be 'csr' or 'csc', got ${describe(matrix.format)}`);
  }
  const rows = positiveInteger(matrix.rows, `${name}.rows`);
  const cols = positiveInteger(matrix.cols, `${name}.cols`);
  const byRow = matrix.format === 'csr';
  const [major, minor] = byRow ? [rows, cols] : [cols, rows];
  const rawIndptr = arrayOf(matrix, 'indptr', name);
  const rawIndices = arrayOf(matrix, 'indices', name);
  const rawData = arrayOf(matrix, 'data', name);
  if (rawIndptr.length !== major + 1) {
    throw new RangeError(`${name}.indptr has ${rawIndptr.length} offsets; a ${matrix.format} matrix of ${rows} × ${cols} needs ${major} + 1 = ${major + 1}`);
  }
  if (rawIndices.length !== rawData.length) {
    throw new RangeError(`${name}.indices has ${rawIndices.length} entries but ${name}.data has ${rawData.length}: they must have the same length`);
  }
  if (rawData.length > MAX_SPARSE_ENTRIES) {
    throw new RangeError(`${name} has ${rawData.length} stored entries, more than 2³¹ − 1 = ${MAX_SPARSE_ENTRIES}`);
  }
  const indptr = numbers(rawIndptr, 'indptr', name);
  const indices = numbers(rawIndices, 'indices', name);
  const data = numbers(rawData, 'data', name);
  const pointers = checkedOffsets(indptr, major, data.length, name);
  const where = indices instanceof Int32Array || indices instanceof Uint32Array ? indices : Float64Array.from(indices);
  const values = data instanceof Float64Array || data instanceof Float32Array ? data : Float64Array.from(data);
  const sorted = checkEntries(pointers, where, values, minor, byRow, name);
  const given: Compressed = {
    indptr: pointers,
    indices: where instanceof Int32Array ? where : sameBits(where, minor) ? new Int32Array(where.buffer, where.byteOffset, where.length) : Int32Array.from(where),
    data: values,
  };
  // Already canonical (scipy's usual output): used as given, the other orientation made when a route needs it.
  if (sorted) return byRow ? new SparseReader(rows, cols, given, null) : new SparseReader(rows, cols, transposeCompressed(given, rows), given);
  // Grouping by the other index (stable: each group's entries come in order of the given groups) sorts the groups
  // and puts duplicates side by side, where they are summed; grouping back gives the given orientation sorted.
  const transposed = transposeCompressed(given, minor, true);
  const regrouped = transposeCompressed(transposed, major);
  return byRow ? new SparseReader(rows, cols, regrouped, transposed) : new SparseReader(rows, cols, transposed, regrouped);
}

/** Whether checked indices (each below `minor`) are Uint32s whose bits read as int32 are the same numbers: viewed, not copied. */
function sameBits(indices: Int32Array | Uint32Array | Float64Array, minor: number): indices is Uint32Array {
  return indices instanceof Uint32Array && minor <= 2 ** 31;
}

/** indptr as int32, checked: from 0, integers, never decreasing, ending at the entries' count. */
function checkedOffsets(indptr: ArrayLike<number>, major: number, entries: number, name: string): Int32Array {
  if (indptr[0] !== 0) throw new RangeError(`${name}.indptr[0] must be 0, got ${describe(indptr[0])}`);
  const offsets = new Int32Array(major + 1);
  for (let i = 1; i <= major; i++) {
    const offset = indptr[i];
    if (!Number.isInteger(offset)) throw new RangeError(`${name}.indptr[${i}] is not an integer: ${describe(offset)}`);
    if (offset < indptr[i - 1]) {
      throw new RangeError(`${name}.indptr decreases at index ${i}: ${indptr[i - 1]} then ${offset} (offsets must never decrease)`);
    }
    offsets[i] = offset;
  }
  if (indptr[major] !== entries) {
    throw new RangeError(`${name}.indptr ends at ${indptr[major]}, but ${name}.data and ${name}.indices have ${entries} entries: it must end at their length`);
  }
  return offsets;
}

/**
 * Checks every entry: integer indices in [0, minor), finite values (errors name the position, and a value's row
 * and column). Returns whether every group's indices are strictly increasing (sorted, no duplicates).
 */
function checkEntries(
  indptr: Int32Array, indices: Int32Array | Uint32Array | Float64Array, data: Float64Array | Float32Array, minor: number, byRow: boolean,
  name: string,
): boolean {
  let sorted = true;
  for (let m = 0; m + 1 < indptr.length; m++) {
    let previous = -1;
    for (let e = indptr[m]; e < indptr[m + 1]; e++) {
      const index = indices[e];
      if (!Number.isInteger(index)) throw new RangeError(`${name}.indices[${e}] is not an integer: ${describe(index)}`);
      if (index < 0 || index >= minor) {
        throw new RangeError(`${name}.indices[${e}] is ${index}, out of range: ${byRow ? 'column' : 'row'} indices go from 0 to ${minor - 1}`);
      }
      if (index <= previous) sorted = false;
      previous = index;
      const value = data[e];
      if (!Number.isFinite(value)) {
        const [r, c] = byRow ? [m, index] : [index, m];
        throw new RangeError(`${name}.data[${e}] is ${value} (row ${r}, column ${c}): values must be finite`);
      }
    }
  }
  return sorted;
}


/**
 * The same entries grouped by their index (`minor` groups), each group in order of the given groups, by a counting
 * sort. `sumDuplicates`: entries of one group with the same index (now side by side) are summed into one, in
 * their given order.
 */
export function transposeCompressed({ indptr, indices, data }: Compressed, minor: number, sumDuplicates = false): Compressed {
  const major = indptr.length - 1;
  const counts = new Int32Array(minor + 1);
  for (let e = 0; e < indices.length; e++) counts[indices[e] + 1]++;
  for (let i = 0; i < minor; i++) counts[i + 1] += counts[i];
  const outIndices = new Int32Array(indices.length);
  const outData = new Float64Array(indices.length);
  const next = counts.slice(0, minor);
  for (let m = 0; m < major; m++) {
    for (let e = indptr[m]; e < indptr[m + 1]; e++) {
      const at = next[indices[e]]++;
      outIndices[at] = m;
      outData[at] = data[e];
    }
  }
  if (!sumDuplicates) return { indptr: counts, indices: outIndices, data: outData };
  const merged = new Int32Array(minor + 1);
  let w = 0;
  for (let i = 0; i < minor; i++) {
    for (let e = counts[i]; e < counts[i + 1]; e++) {
      if (w > merged[i] && outIndices[w - 1] === outIndices[e]) {
        outData[w - 1] += outData[e];
      } else {
        outIndices[w] = outIndices[e];
        outData[w] = outData[e];
        w++;
      }
    }
    merged[i + 1] = w;
  }
  return w === indices.length
    ? { indptr: merged, indices: outIndices, data: outData }
    : { indptr: merged, indices: outIndices.slice(0, w), data: outData.slice(0, w) };
}
