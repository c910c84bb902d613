// Apache Arrow tables as inputs, made with the real apache-arrow package: every numeric column type gives its values,
// one-chunk columns are read where they lie (no copy), chunked ones joined, nulls and non-numeric columns refused by
// name; pca, Moments, cca (columns by name) and lda of a table are those of the same values in memory.

import { tableFromArrays, vectorFromArray, Float16, Table, type RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Moments, cca, lda, pca } from '../../src/entries/node';
import { halfToFloat } from '../../src/io/arrow';
import { readMatrix } from '../../src/io/matrix';
import { covariance } from '../helpers/pencil-reference';
import { jacobiEigen } from '../helpers/reference';
import { expectError } from '../helpers/expect-error';
import { normals } from '../helpers/random';

const rows = 500;
const cols = 4;
const data = (() => {
  // Columns of falling scale, mixed so the components are not the axes.
  const z = normals(7, rows * cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let value = 0;
      for (let j = 0; j < cols; j++) value += z[r * cols + j] * (4 - j) * (c === j ? 1 : 0.3 * Math.cos(1 + c * 3 + j * 5));
      out[r * cols + c] = Math.fround(value);
    }
  }
  return out;
})();
const column = (c: number) => Float32Array.from({ length: rows }, (_, r) => data[r * cols + c]);
const table = tableFromArrays({ a: column(0), b: column(1), c: column(2), d: column(3) });
const dense = { data: Float32Array.from(data), rows, cols };

describe('Arrow tables as inputs', () => {
  it('reads every numeric column type: float32/64, int8–32, uint8–32, int64, half floats', () => {
    const mixed = tableFromArrays({
      f32: new Float32Array([1.5, -2, 3]),
      f64: new Float64Array([0.1, 1e300, -7]),
      i8: new Int8Array([-128, 0, 127]),
      u8: new Uint8Array([0, 255, 7]),
      i16: new Int16Array([-300, 2, 3]),
      u32: new Uint32Array([4294967295, 0, 1]),
      i64: new BigInt64Array([-(2n ** 53n), 0n, 12345678901n]),
      u64: new BigUint64Array([18446744073709551615n, 1n, 2n]),
    });
    const reader = readMatrix(mixed, 'X');
    expect([reader.rows, reader.cols]).toEqual([3, 8]);
    expect(Array.from(reader.row(0))).toEqual([1.5, 0.1, -128, 0, -300, 4294967295, -(2 ** 53), 18446744073709551615]);
    expect(Array.from(reader.row(2))).toEqual([3, -7, 127, 7, 3, 1, 12345678901, 2]);
    const halves = readMatrix(new Table({ h: vectorFromArray([1.5, -0.5, 65504], new Float16()) }), 'X');
    expect([0, 1, 2].map((r) => halves.row(r)[0])).toEqual([1.5, -0.5, 65504]);
  });

  it('decodes half floats exactly (every 16-bit pattern against a float32 reference)', () => {
    // The reference: a half's bits placed into float32's layout (exponent re-biased, fraction shifted).
    const reference = (bits: number) => {
      const exponent = (bits >> 10) & 0x1f;
      const sign = bits & 0x8000 ? -1 : 1;
      if (exponent === 0x1f) return (bits & 0x3ff) ? NaN : sign * Infinity;
      if (exponent === 0) return sign * (bits & 0x3ff) / 1024 / 16384;
      const word = new Uint32Array([((bits & 0x8000) << 16) | ((exponent + 112) << 23) | ((bits & 0x3ff) << 13)]);
      return new Float32Array(word.buffer)[0];
    };
    const wrong = Array.from({ length: 0x10000 }, (_, bits) => bits)
      .filter((bits) => !Object.is(halfToFloat(bits), reference(bits)) && !(Number.isNaN(halfToFloat(bits)) && Number.isNaN(reference(bits))));
    expect(wrong).toEqual([]);
  });

  it('uses a one-chunk column where it lies, and joins a chunked one', () => {
    const reader = readMatrix(table, 'X');
    const values = table.getChildAt(0)!.data[0].values as Float32Array;
    const before = reader.row(3)[0];
    values[3] = 1234.5;
    expect(reader.row(3)[0]).toBe(1234.5);
    values[3] = before;
    const chunked = table.concat(table);
    expect(chunked.getChildAt(0)!.data.length).toBe(2);
    const joined = readMatrix(chunked, 'X');
    expect(joined.rows).toBe(2 * rows);
    const all = new Float64Array(2 * rows * cols);
    joined.copyRows(0, 2 * rows, all);
    expect(Array.from(all)).toEqual([...data, ...data]);
  });

  it('refuses nulls, non-numeric columns and empty tables, naming the column', async () => {
    const withNull = new Table({ x: vectorFromArray([1, null, 3]), y: vectorFromArray([1, 2, 3]) });
    await expectError(() => pca(withNull, { k: 1 }), RangeError, /X column "x" \(0\) has 1 null values: drop or fill them/);
    const strings = tableFromArrays({ n: new Float64Array([1, 2]), s: ['a', 'b'] });
    await expectError(() => pca(strings, { k: 1 }), TypeError, /X column "s" \(1\) is of type Dictionary<Int32, Utf8>, not a number: select the numeric columns/);
    await expectError(() => pca(table.slice(0, 0), { k: 1 }), RangeError, /X is empty \(an Arrow table of 0 rows × 4 columns\)/);
    await expectError(() => pca(new Table({ b: vectorFromArray([true, false]) }), { k: 1 }), TypeError, /column "b" \(0\) is of type Bool/);
  });

  it('pca of a table (and of its record batch) is pca of the same values, and finds the float64 eigenvectors', async () => {
    const fromTable = await pca(table, { k: 2, seed: 3 });
    const fromDense = await pca(dense, { k: 2, seed: 3 });
    expect(Array.from(fromTable.components)).toEqual(Array.from(fromDense.components));
    const batch: RecordBatch = table.batches[0];
    expect(Array.from((await pca(batch, { k: 2, seed: 3 })).components)).toEqual(Array.from(fromDense.components));
    const { values, vectors } = jacobiEigen(covariance(data, rows, cols), cols);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(fromTable.explainedVariance[i] - values[i]) / values[0]).toBeLessThan(1e-6);
      let cos = 0;
      for (let j = 0; j < cols; j++) cos += fromTable.components[i * cols + j] * vectors[i * cols + j];
      // float32 data and products: 1 − 7.5e-9 measured, 1e-7 allowed.
      expect(Math.abs(cos)).toBeGreaterThan(1 - 1e-7);
    }
    expect(Array.from(fromTable.transform(table).data)).toEqual(Array.from(fromDense.transform(dense).data));
  });

  it('Moments of a table are those of the same values', async () => {
    const fromTable = await Moments.of(table);
    const fromDense = await Moments.of(dense);
    expect(Array.from(fromTable.scatter)).toEqual(Array.from(fromDense.scatter));
    expect(Array.from(fromTable.mean)).toEqual(Array.from(fromDense.mean));
  });

  it('cca names a table\'s columns; lda takes a table and a label column', async () => {
    const byName = await cca(table, { x: ['a', 'b'], y: ['c', 'd'], k: 1, seed: 1 });
    const byIndex = await cca(dense, { x: [0, 1], y: [2, 3], k: 1, seed: 1 });
    expect(Array.from(byName.correlations)).toEqual(Array.from(byIndex.correlations));
    const labels = Array.from({ length: rows }, (_, r) => (data[r * cols] > 0 ? 'up' : 'down'));
    const withLabels = tableFromArrays({ a: column(0), b: column(1), c: column(2), d: column(3), label: labels });
    const fromTable = await lda(withLabels.select(['a', 'b', 'c', 'd']), withLabels.getChild('label')!.toArray() as unknown as string[], { k: 1, seed: 1 });
    const fromDense = await lda(dense, labels, { k: 1, seed: 1 });
    expect(Array.from(fromTable.eigenvalues)).toEqual(Array.from(fromDense.eigenvalues));
  });
});
