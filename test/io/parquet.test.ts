// The Parquet source, on files written by pyarrow (scripts/parquet-fixtures.py): every codec that files in the wild
// use gives the values numpy wrote beside them, from every kind of input, in any block order across row groups; the
// files a reader must refuse are refused with the column and row named; pca of a Parquet file is pca of its values.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as hyparquet from 'hyparquet';
import { ParquetSource, openSource, pca } from '../../src/entries/node';
import { chunkedStream, readAll } from '../helpers/npy';
import { expectError } from '../helpers/expect-error';

const fixtures = new URL('../fixtures/parquet/', import.meta.url).pathname;
const fixture = (name: string) => `${fixtures}${name}`;

/** The reference values, from the float64 .npy numpy wrote (parsed here: version 1.0, '<f8', C order). */
function npyFloat64(path: string): { values: Float64Array; rows: number; cols: number } {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect(header).toMatch(/'descr': '<f8', 'fortran_order': False/);
  const [rows, cols] = /'shape': \((\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
  const data = bytes.subarray(10 + headerLength);
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = data.readDoubleLE(i * 8);
  return { values, rows, cols };
}

const reference = npyFloat64(fixture('table.npy'));
const columnNames = ['f64', 'f32', 'i32', 'i64', 'u16', 'f64b'];

describe('ParquetSource', () => {
  for (const codec of ['snappy', 'gzip', 'zstd', 'none']) {
    it(`reads pyarrow's ${codec} row groups: the values numpy wrote, from a path, a Blob, bytes and a stream`, async () => {
      const path = fixture(`table-${codec}.parquet`);
      const bytes = new Uint8Array(readFileSync(path));
      const inputs = [path, new Blob([bytes]), bytes, chunkedStream(bytes, [1000, 7, 4096])];
      for (const input of inputs) {
        const source = new ParquetSource(input);
        expect(await source.info()).toEqual({
          format: 'parquet', rows: reference.rows, cols: reference.cols, columnNames, dtype: 'float64', rereadable: true,
        });
        expect(await readAll(source, 128)).toEqual(Array.from(reference.values));
        await source.close();
      }
    });
  }

  it('reads blocks in any order, across the row groups (300 rows each)', async () => {
    const source = openSource(fixture('table-zstd.parquet'));
    const { cols, values } = reference;
    const seen: number[] = [];
    for await (const batch of source.batches(128, [7, 0, 2, 5, 1, 6, 3, 4])) {
      seen.push(batch.firstRow);
      expect(Array.from(batch.data)).toEqual(Array.from(values.subarray(batch.firstRow * cols, (batch.firstRow + batch.rows) * cols)));
    }
    expect(seen).toEqual([896, 0, 256, 640, 128, 768, 384, 512]);
    await source.close();
  });

  it('reads the columns asked for, by name or index, in that order; float32 files as float32', async () => {
    const source = openSource(fixture('table-snappy.parquet'), { columns: ['i64', 0] });
    expect(await source.info()).toMatchObject({ cols: 2, columnNames: ['i64', 'f64'] });
    const values = await readAll(source, 333);
    const { cols } = reference;
    expect(values.filter((_, i) => i % 2 === 0)).toEqual(Array.from({ length: reference.rows }, (_, r) => reference.values[r * cols + 3]));
    expect(values.filter((_, i) => i % 2 === 1)).toEqual(Array.from({ length: reference.rows }, (_, r) => reference.values[r * cols]));
    const float32 = openSource(fixture('float32.parquet'));
    expect(await float32.info()).toMatchObject({ dtype: 'float32', cols: 2 });
    const first = (await float32.batches(10).next()).value!;
    expect(first.data).toBeInstanceOf(Float32Array);
    expect(first.data[1]).toBe(Math.fround(reference.values[1]));
    await float32.close();
    const mixed = openSource(fixture('mixed.parquet'), { columns: ['x', 'y'] });
    expect((await readAll(mixed, 64)).length).toBe(2 * reference.rows);
  });

  it('takes hyparquet handed to it (as an app built with a bundler does)', async () => {
    const source = new ParquetSource(fixture('table-none.parquet'), { hyparquet });
    expect((await readAll(source, 500)).length).toBe(reference.values.length);
    await expectError(() => new ParquetSource(fixture('table-none.parquet'), { hyparquet: {} }).info(), TypeError, /options\.hyparquet must be hyparquet's module/);
  });

  it('reads a slice of rows (a shard), decoding only the row groups that hold it', async () => {
    const { cols, values } = reference;
    const groupsRead: number[] = [];
    const counting = { ...hyparquet, parquetRead: (options: Parameters<typeof hyparquet.parquetRead>[0]) => {
      groupsRead.push(options.rowStart ?? 0);
      return hyparquet.parquetRead(options);
    } };
    const slice = new ParquetSource(fixture('table-gzip.parquet'), { rows: [250, 700], hyparquet: counting });
    expect(await slice.info()).toMatchObject({ rows: 450, cols });
    expect(await readAll(slice, 100)).toEqual(Array.from(values.subarray(250 * cols, 700 * cols)));
    // Row groups of 300 rows: [0, 300) and [300, 600) and [600, 900) hold rows 250–699; [900, 1000) is never read.
    expect(groupsRead).toEqual([0, 300, 600]);
    const seen: number[] = [];
    for await (const batch of slice.batches(100, [4, 0, 2])) {
      seen.push(batch.firstRow);
      expect(Array.from(batch.data)).toEqual(Array.from(values.subarray((250 + batch.firstRow) * cols, (250 + batch.firstRow + batch.rows) * cols)));
    }
    expect(seen).toEqual([400, 0, 200]);
    await expectError(() => openSource(fixture('table-gzip.parquet'), { rows: [900, 1001] }).info(), RangeError, /rows \[900, 1001\) reach past the file's 1000 rows/);
    expect(() => openSource('x.csv', { rows: [0, 1] })).toThrow(/the rows option applies to \.npy and Parquet files \(shard CSV data as whole files\)/);
  });

  const refusals: [string, () => Promise<unknown>, ErrorConstructor, RegExp][] = [
    ['a null value, by row and column', () => readAll(openSource(fixture('nulls.parquet'))), RangeError, /nulls\.parquet: row 417, column "f32" is null/],
    ['NaN, by row and column', () => readAll(openSource(fixture('nan.parquet'))), RangeError, /nan\.parquet: row 650, column "f64" \(0\) is NaN/],
    ['a string column', () => openSource(fixture('mixed.parquet')).info(), TypeError, /column "id" holds BYTE_ARRAY \(STRING\), not numbers: choose the numeric columns/],
    ['a timestamp column', () => openSource(fixture('mixed.parquet'), { columns: ['x', 'when'] }).info(), TypeError, /column "when" holds INT64 \(TIMESTAMP\)/],
    ['nested columns', () => openSource(fixture('nested.parquet')).info(), RangeError, /has nested columns/],
    ['a column it does not have', () => openSource(fixture('table-none.parquet'), { columns: ['nosuch'] }).info(), RangeError, /has no column "nosuch"; it has "f64", "f32"/],
    ['a column index past the end', () => openSource(fixture('table-none.parquet'), { columns: [6] }).info(), RangeError, /there is no column 6 \(0-based\); the file has 6/],
    ['a column twice', () => openSource(fixture('table-none.parquet'), { columns: ['f64', 0] }).info(), RangeError, /names column "f64" twice/],
    ['CSV options', () => Promise.resolve().then(() => openSource(fixture('table-none.parquet'), { delimiter: ';' })), TypeError, /is a Parquet file: delimiter only apply to CSV/],
    ['a file that is not Parquet', () => new ParquetSource(fixture('table.npy')).info(), RangeError, /table\.npy is not a Parquet file: it does not start and end with PAR1/],
    ['a truncated file', () => new ParquetSource(readFileSync(fixture('table-none.parquet')).subarray(0, 20000)).info(), RangeError, /not a Parquet file|footer cannot be read/],
  ];
  for (const [what, run, type, message] of refusals) {
    it(`refuses ${what}`, () => expectError(run, type, message));
  }

  it('is a source of pca: the same components as the values in memory', async () => {
    const { values, rows, cols } = reference;
    const fromFile = await pca(openSource(fixture('table-gzip.parquet')), { k: 3, seed: 5 });
    const inMemory = await pca({ data: values, rows, cols }, { k: 3, seed: 5 });
    expect(Array.from(fromFile.explainedVariance)).toEqual(Array.from(inMemory.explainedVariance));
    expect(Array.from(fromFile.components)).toEqual(Array.from(inMemory.components));
  });

  it('is read by the CLI: info, and fit with --columns (the variances of a float64 reference)', () => {
    const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
    const info = JSON.parse(execFileSync('node', [cli, 'info', fixture('table-zstd.parquet'), '--json'], { encoding: 'utf8' }));
    expect(info).toMatchObject({ format: 'parquet', rows: 1000, cols: 6, columnNames });
    const out = join(mkdtempSync(join(tmpdir(), 'eigengame-parquet-')), 'model.json');
    const fit = JSON.parse(execFileSync('node', [cli, 'fit', fixture('table-none.parquet'), '-k', '2', '--columns', 'f64,f64b', '--out', out, '--json'], { encoding: 'utf8' }));
    // The 2 × 2 covariance of columns 0 and 5 in float64, and its eigenvalues in closed form.
    const { values, rows, cols } = reference;
    const mean = [0, 5].map((c) => Array.from({ length: rows }, (_, r) => values[r * cols + c]).reduce((a, b) => a + b) / rows);
    let [a, b, d] = [0, 0, 0];
    for (let r = 0; r < rows; r++) {
      const x = values[r * cols] - mean[0];
      const y = values[r * cols + 5] - mean[1];
      a += x * x; b += x * y; d += y * y;
    }
    [a, b, d] = [a / (rows - 1), b / (rows - 1), d / (rows - 1)];
    const root = Math.sqrt(((a - d) / 2) ** 2 + b * b);
    const expected = [(a + d) / 2 + root, (a + d) / 2 - root];
    expect(fit).toMatchObject({ k: 2, d: 2, rows: 1000, converged: true });
    // The centred values are rounded to float32 (relative 6e-8) before their products: 7.5e-8 is measured, 1e-6 allowed.
    for (let i = 0; i < 2; i++) expect(Math.abs(fit.explainedVariance[i] - expected[i]) / expected[0]).toBeLessThan(1e-6);
  });
});
