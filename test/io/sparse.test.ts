// Sparse matrices as users hand them (scipy's csr/csc): every malformed input refused with a message that names the
// array and the position, and the canonical form (sorted indices, duplicates summed, both orientations) and its
// float64 statistics checked against a dense float64 copy made here.

import { describe, expect, it } from 'vitest';
import { isSparseMatrix, readSparseMatrix, type SparseMatrix } from '../../src/io/sparse';

/** The dense float64 rows × cols matrix of a sparse one, summing duplicates: written here, not from the code under test. */
function densify(m: SparseMatrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  const major = m.format === 'csr' ? m.rows : m.cols;
  for (let g = 0; g < major; g++) {
    for (let e = m.indptr[g]; e < m.indptr[g + 1]; e++) {
      const [r, c] = m.format === 'csr' ? [g, m.indices[e]] : [m.indices[e], g];
      out[r * m.cols + c] += m.data[e];
    }
  }
  return out;
}

// 4 × 5: row 1 empty, column 3 empty; row 2's indices unsorted with a duplicate (column 4 twice).
const csr: SparseMatrix = {
  format: 'csr', rows: 4, cols: 5,
  indptr: [0, 2, 2, 6, 7],
  indices: [0, 2, 4, 1, 4, 0, 2],
  data: [1.5, -2, 0.25, 3, 0.5, 7, 1e-3],
};

describe('readSparseMatrix', () => {
  it('recognises the shape', () => {
    expect(isSparseMatrix(csr)).toBe(true);
    expect(isSparseMatrix({ ...csr, format: 'coo' })).toBe(false);
    expect(isSparseMatrix({ data: new Float32Array(4), rows: 2, cols: 2 })).toBe(false);
    expect(isSparseMatrix([[1, 2]])).toBe(false);
  });

  it('gives sorted rows and columns with duplicates summed, from csr and from csc', () => {
    const dense = densify(csr);
    for (const input of [csr, toCsc(csr)]) {
      const reader = readSparseMatrix(input, 'X');
      expect([reader.rows, reader.cols, reader.nnz]).toEqual([4, 5, 6]);
      for (const [orientation, major] of [[reader.csr, 4], [reader.csc, 5]] as const) {
        const seen = new Float64Array(20);
        for (let g = 0; g < major; g++) {
          const indices = Array.from(orientation.indices.subarray(orientation.indptr[g], orientation.indptr[g + 1]));
          expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
          for (let e = orientation.indptr[g]; e < orientation.indptr[g + 1]; e++) {
            const [r, c] = major === 4 ? [g, orientation.indices[e]] : [orientation.indices[e], g];
            seen[r * 5 + c] = orientation.data[e];
          }
        }
        expect(Array.from(seen)).toEqual(Array.from(dense));
      }
    }
  });

  it('keeps an already canonical matrix as given and makes its columns from it', () => {
    const canonical: SparseMatrix = { format: 'csr', rows: 2, cols: 3, indptr: new Int32Array([0, 2, 3]), indices: new Int32Array([0, 2, 1]), data: new Float64Array([1, 2, 3]) };
    const reader = readSparseMatrix(canonical, 'X');
    expect(Array.from(reader.csc.indptr)).toEqual([0, 1, 2, 3]);
    expect(Array.from(reader.csc.indices)).toEqual([0, 1, 0]);
    expect(Array.from(reader.csc.data)).toEqual([1, 3, 2]);
  });

  it('writes its columns, scaled, into given arrays: from its rows as from its csc, empty columns and rows included', async () => {
    // Canonical rows (the reader then holds no csc until asked), columns 1 and 4 empty, row 2 empty; values that
    // float32 rounds once scaled.
    const rows: SparseMatrix = {
      format: 'csr', rows: 4, cols: 6, indptr: [0, 3, 5, 5, 8], indices: [0, 2, 5, 0, 3, 2, 3, 5], data: [2, -7, 1 / 3, 5, 4, 6, 8, 0.1],
    };
    for (const input of [rows, toCsc(rows)]) {
      const reader = readSparseMatrix(input, 'X');
      const into = { indptr: new Int32Array(7).fill(-1), indices: new Int32Array(8), data: new Float32Array(8) };
      await reader.writeColumns(into, 0.5, 3);
      const { csc } = readSparseMatrix(rows, 'X');
      expect(Array.from(into.indptr)).toEqual(Array.from(csc.indptr));
      expect(Array.from(into.indices)).toEqual(Array.from(csc.indices));
      expect(Array.from(into.data)).toEqual(Array.from(csc.data, (value) => Math.fround(value * 0.5)));
    }
  });

  it('sums its columns\' squared deviations from its rows with the bits of summing its csc column by column', () => {
    const reader = readSparseMatrix(csr, 'X');
    const mean = reader.means();
    const { indptr, data } = reader.csc;
    const expected = Array.from(mean, (m, c) => {
      let sum = 0;
      for (let e = indptr[c]; e < indptr[c + 1]; e++) sum += (data[e] - m) ** 2;
      return sum + (reader.rows - (indptr[c + 1] - indptr[c])) * m * m;
    });
    expect(Array.from(reader.squaredDeviations(mean))).toEqual(expected);
  });

  it('takes typed arrays of every kind the type names (Uint32Array indices, Float32Array data)', () => {
    const typed: SparseMatrix = { ...csr, indptr: Uint32Array.from(csr.indptr as number[]), indices: Uint32Array.from(csr.indices as number[]), data: Float32Array.from(csr.data as number[]) };
    const reader = readSparseMatrix(typed, 'X');
    expect(Array.from(reader.csr.indices)).toEqual([0, 2, 0, 1, 4, 2]);
    expect(Array.from(reader.csr.data)).toEqual([1.5, -2, 7, 3, 0.75, Math.fround(1e-3)]);
    // Canonical arrays (sorted, no duplicates) are read where they are, never copied (a copy of a 2 M-entry matrix is
    // 17 MB of fresh memory) nor written.
    const canonical = { format: 'csr' as const, rows: 4, cols: 5, indptr: reader.csr.indptr, indices: Uint32Array.from(reader.csr.indices), data: Float32Array.from(reader.csr.data) };
    const given = canonical.data.slice();
    const again = readSparseMatrix(canonical, 'X');
    expect(again.csr.data).toBe(canonical.data);
    expect(again.csr.indices.buffer).toBe(canonical.indices.buffer);
    expect(Array.from(again.csr.indices)).toEqual([0, 2, 0, 1, 4, 2]);
    expect(again.means()).toEqual(reader.means());
    expect(canonical.data).toEqual(given);
  });

  it('has the float64 column means and squared deviations of the dense matrix (empty rows and columns counted as zeros)', () => {
    const dense = densify(csr);
    const reader = readSparseMatrix(csr, 'X');
    const means = reader.means();
    for (let c = 0; c < 5; c++) {
      let sum = 0;
      for (let r = 0; r < 4; r++) sum += dense[r * 5 + c];
      expect(means[c]).toBeCloseTo(sum / 4, 15);
      let squares = 0;
      for (let r = 0; r < 4; r++) squares += (dense[r * 5 + c] - sum / 4) ** 2;
      expect(reader.squaredDeviations(means)[c]).toBeCloseTo(squares, 13);
    }
    const rowSquares = (r: number) => Array.from({ length: 5 }, (_, c) => dense[r * 5 + c]).filter((x) => x !== 0).length;
    expect(reader.outerProducts()).toBe([0, 1, 2, 3].reduce((sum, r) => sum + (rowSquares(r) * (rowSquares(r) + 1)) / 2, 0));
  });

  const bad = (change: Partial<SparseMatrix> & Record<string, unknown>) => ({ ...csr, ...change }) as SparseMatrix;
  it.each([
    ['a format that is not csr or csc', bad({ format: 'coo' as 'csr' }), TypeError, /X\.format must be 'csr' or 'csc', got "coo"/],
    ['rows not a positive integer', bad({ rows: 0 }), RangeError, /X\.rows must be a positive integer, got 0/],
    ['cols not an integer', bad({ cols: 2.5 }), RangeError, /X\.cols must be a positive integer, got 2\.5/],
    ['indptr of the wrong length', bad({ indptr: [0, 2, 6, 7] }), RangeError, /X\.indptr has 4 offsets; a csr matrix of 4 × 5 needs 4 \+ 1 = 5/],
    ['indices and data of different lengths', bad({ data: [1, 2, 3] }), RangeError, /X\.indices has 7 entries but X\.data has 3/],
    ['indptr not starting at 0', bad({ indptr: [1, 2, 2, 6, 7] }), RangeError, /X\.indptr\[0\] must be 0, got 1/],
    ['indptr decreasing', bad({ indptr: [0, 2, 1, 6, 7] }), RangeError, /X\.indptr decreases at index 2: 2 then 1/],
    ['indptr past the end, then back', bad({ indptr: [0, 9, 2, 6, 7] }), RangeError, /X\.indptr decreases at index 2: 9 then 2/],
    ['indptr not ending at the entries', bad({ indptr: [0, 2, 2, 6, 6] }), RangeError, /X\.indptr ends at 6, but X\.data and X\.indices have 7 entries/],
    ['a fractional offset', bad({ indptr: [0, 2, 2.5, 6, 7] }), RangeError, /X\.indptr\[2\] is not an integer: 2\.5/],
    ['an index out of range', bad({ indices: [0, 2, 4, 1, 5, 0, 2] }), RangeError, /X\.indices\[4\] is 5, out of range: column indices go from 0 to 4/],
    ['a negative index', bad({ indices: [0, -1, 4, 1, 4, 0, 2] }), RangeError, /X\.indices\[1\] is -1, out of range/],
    ['a fractional index', bad({ indices: [0, 2, 4, 1.5, 4, 0, 2] }), RangeError, /X\.indices\[3\] is not an integer: 1\.5/],
    ['a NaN', bad({ data: [1.5, -2, 0.25, 3, NaN, 7, 1e-3] }), RangeError, /X\.data\[4\] is NaN \(row 2, column 4\): values must be finite/],
    ['an infinity in a csc matrix', { ...toCsc(csr), data: [Infinity, 1, 2, 3, 4, 5] }, RangeError, /X\.data\[0\] is Infinity \(row 0, column 0\)/],
    ['a value that is not a number', bad({ data: [1.5, -2, '0.25', 3, 0.5, 7, 1e-3] as unknown as number[] }), TypeError, /X\.data\[2\] is not a number: "0\.25"/],
    ['indices that are not an array', bad({ indices: 7 as unknown as number[] }), TypeError, /X\.indices must be an array or a typed array, got 7/],
  ])('refuses %s', (_, input, type, message) => {
    expect(() => readSparseMatrix(input, 'X')).toThrow(type);
    expect(() => readSparseMatrix(input, 'X')).toThrow(message);
  });

  it('refuses more than 2³¹ − 1 entries before reading them', () => {
    const huge = { length: 2 ** 31 } as ArrayLike<number>;
    const input = { format: 'csr', rows: 1, cols: 1, indptr: [0, 2 ** 31], indices: huge, data: huge } as SparseMatrix;
    expect(() => readSparseMatrix(input, 'X')).toThrow(/X has 2147483648 stored entries, more than 2³¹ − 1 = 2147483647/);
  });
});

/** The same matrix in csc, written here by a plain loop (not by the code under test). */
function toCsc(m: SparseMatrix): SparseMatrix {
  const dense = densify(m);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let c = 0; c < m.cols; c++) {
    for (let r = 0; r < m.rows; r++) {
      if (dense[r * m.cols + c] !== 0) {
        indices.push(r);
        data.push(dense[r * m.cols + c]);
      }
    }
    indptr.push(indices.length);
  }
  return { format: 'csc', rows: m.rows, cols: m.cols, indptr, indices, data };
}
