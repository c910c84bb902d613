// Matrix Market coordinate files: the fixtures scipy.io.mmwrite wrote (test/fixtures/sparse) read against numpy's
// dense truth (real, integer, pattern, symmetric, a gzipped genes × cells file read transposed); the text in any
// chunking (one byte at a time); every error naming its line; gzip damage; an abort while the entries arrive.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readSparse } from '../../src/entries/node';
import { chunked, densify, readDenseTruth, sparseFixture, transposeRows } from '../helpers/sparse-files';

const text = (lines: string[]) => new TextEncoder().encode(lines.join('\n') + '\n');
const mtx = (header: string, size: string, entries: string[]) => text([header, '% a comment', size, ...entries]);
const GENERAL = '%%MatrixMarket matrix coordinate real general';

describe('Matrix Market files written by scipy.io.mmwrite', () => {
  it.each([
    ['real.mtx', Float64Array],
    ['integer.mtx', Float32Array],
    ['pattern.mtx', Float32Array],
    ['symmetric.mtx', Float64Array],
  ] as const)('%s: numpy\'s dense matrix, every value to the bit, as csr', async (name, Data) => {
    const matrix = await readSparse(sparseFixture(name));
    expect(matrix.format).toBe('csr');
    expect(matrix.indptr).toBeInstanceOf(Int32Array);
    expect(matrix.indices).toBeInstanceOf(Int32Array);
    expect(matrix.data).toBeInstanceOf(Data);
    expect(densify(matrix)).toEqual(readDenseTruth(name));
  });

  it('genes-by-cells.mtx.gz: gunzipped, and read transposed it is numpy\'s cells × genes; untransposed its transpose', async () => {
    const truth = readDenseTruth('genes-by-cells.mtx.gz');
    const cells = await readSparse(sparseFixture('genes-by-cells.mtx.gz'), { transpose: true });
    expect(cells).toMatchObject({ format: 'csr', rows: 60, cols: 30 });
    expect(densify(cells)).toEqual(truth);
    const genes = await readSparse(sparseFixture('genes-by-cells.mtx.gz'));
    expect(genes).toMatchObject({ rows: 30, cols: 60 });
    expect(densify(genes)).toEqual(transposeRows(truth));
  });

  it('the same matrix from a stream one byte at a time, a Blob, and bytes whose format only their first bytes tell (gzip too)', async () => {
    const plain = new Uint8Array(readFileSync(sparseFixture('real.mtx')));
    const truth = readDenseTruth('real.mtx');
    for (const input of [chunked(plain, 1), new Blob([plain]), plain, gzipSync(plain), chunked(gzipSync(plain), 3)]) {
      expect(densify(await readSparse(input))).toEqual(truth);
    }
  });

  it('rows are sorted stably: a row\'s entries keep the file\'s order, duplicates kept', async () => {
    const matrix = await readSparse(mtx(GENERAL, '3 3 5', ['3 1 1', '1 3 2', '3 2 3', '1 1 4', '3 2 5']));
    expect(Array.from(matrix.indptr)).toEqual([0, 2, 2, 5]);
    expect(Array.from(matrix.indices)).toEqual([2, 0, 0, 1, 1]);
    expect(Array.from(matrix.data)).toEqual([2, 4, 1, 3, 5]);
  });

  it('CRLF line ends, blank lines, a last line without its line end, and exponents', async () => {
    const bytes = new TextEncoder().encode(`${GENERAL}\r\n%\r\n\r\n2 2 2\r\n1 1 -1.5E+2\r\n2 2 .25e-1`);
    expect(densify(await readSparse(bytes))).toEqual([[-150, 0], [0, 0.025]]);
  });

  it('an integer file keeps float32 while its values are exact there, and float64 from the first that is not', async () => {
    const header = '%%MatrixMarket matrix coordinate integer general';
    const small = await readSparse(mtx(header, '1 2 2', ['1 1 16777216', '1 2 -3']));
    expect(small.data).toBeInstanceOf(Float32Array);
    const large = await readSparse(mtx(header, '1 2 2', ['1 1 3', '1 2 16777217']));
    expect(large.data).toBeInstanceOf(Float64Array);
    expect(Array.from(large.data)).toEqual([3, 16777217]);
  });
});

describe('Matrix Market errors name the line', () => {
  it.each([
    ['skew-symmetric', ['%%MatrixMarket matrix coordinate real skew-symmetric', '2 2 0'],
      'x.mtx, line 1: the header names the symmetry "skew-symmetric": eigengame reads general or symmetric (not skew-symmetric or hermitian)'],
    ['hermitian', ['%%MatrixMarket matrix coordinate complex hermitian', '2 2 0'],
      'x.mtx, line 1: the header says "complex": complex values have no principal components here (real, integer or pattern)'],
    ['array', ['%%MatrixMarket matrix array real general', '2 2'],
      'x.mtx, line 1: the header says "array": a dense Matrix Market file; eigengame reads the sparse "coordinate" format'],
    ['vector', ['%%MatrixMarket vector coordinate real general', '2 2 0'], 'x.mtx, line 1: the header names the object "vector": eigengame reads matrices'],
    ['no header', ['2 2 0'], 'x.mtx, line 1: not a Matrix Market file: it should start with %%MatrixMarket, found "2 2 0"'],
    ['a bad size line', [GENERAL, '2 2'], 'x.mtx, line 2: the size line should be three whole numbers, rows columns entries; found "2 2"'],
    ['a non-square symmetric file', ['%%MatrixMarket matrix coordinate real symmetric', '2 3 0'],
      'x.mtx, line 2: a symmetric matrix must be square, but the size line says 2 × 3'],
    ['a bad token', [GENERAL, '% c', '2 2 2', '1 1 1', '2 x 1'], 'x.mtx, line 5: the column index "x" is not a whole number'],
    ['a bad value', [GENERAL, '2 2 1', '1 1 1,5'], 'x.mtx, line 3: the value "1,5" is not a number'],
    ['NaN', [GENERAL, '2 2 1', '1 1 nan'], 'x.mtx, line 3: the value "nan" is not a finite number'],
    ['Infinity', [GENERAL, '2 2 1', '1 1 -Inf'], 'x.mtx, line 3: the value "-Inf" is not a finite number'],
    ['beyond float64', [GENERAL, '2 2 1', '1 1 1e400'], 'x.mtx, line 3: the value 1e400 is beyond float64\'s range'],
    ['an index past the size', [GENERAL, '2 2 1', '3 1 1'], 'x.mtx, line 3: row index 3 is out of range: the matrix has 2 rows, numbered from 1 to 2'],
    ['a 0 index', [GENERAL, '2 2 1', '1 0 1'], 'x.mtx, line 3: column index 0 is out of range: the matrix has 2 columns, numbered from 1 to 2'],
    ['a value in a pattern file', ['%%MatrixMarket matrix coordinate pattern general', '2 2 1', '1 1 1'],
      'x.mtx, line 3: expected two numbers, i j (a pattern file has no values), found 3: "1 1 1"'],
    ['a missing value', [GENERAL, '2 2 1', '1 1'], 'x.mtx, line 3: expected three numbers, i j value, found 2: "1 1"'],
    ['an integer file with a decimal', ['%%MatrixMarket matrix coordinate integer general', '2 2 1', '1 1 1.5'], 'x.mtx, line 3: the value "1.5" is not an integer'],
    ['more entries than announced', [GENERAL, '2 2 1', '1 1 1', '2 2 1'], 'x.mtx, line 4: an entry beyond the 1 that the size line (line 2) announces'],
    ['fewer entries than announced', [GENERAL, '% c', '2 2 3', '1 1 1', '2 2 1'], 'x.mtx ends at line 5 after 2 entries, but its size line (line 3) announces 3: is it truncated?'],
    ['no size line', [GENERAL, '% only comments'], 'x.mtx ends at line 2 before its size line (rows columns entries)'],
  ])('%s', async (_, lines, message) => {
    await expect(readSparse(text(lines), { name: 'x.mtx' })).rejects.toThrow(message);
  });

  it('an empty file', async () => {
    await expect(readSparse(new Uint8Array(0), { name: 'e.mtx' })).rejects.toThrow('e.mtx is empty: a Matrix Market file starts with a %%MatrixMarket line');
  });

  it('a .mtx.gz that is truncated, and one whose bytes were damaged', async () => {
    const gz = new Uint8Array(readFileSync(sparseFixture('genes-by-cells.mtx.gz')));
    await expect(readSparse(gz.subarray(0, gz.byteLength - 100), { name: 'g.mtx.gz' })).rejects.toThrow(
      /^g\.mtx\.gz: its gzip data is damaged or truncated after \d+ decompressed bytes: /,
    );
    const damaged = gz.slice();
    damaged.fill(0xff, 500, 520);
    await expect(readSparse(damaged, { name: 'g.mtx.gz' })).rejects.toThrow(/^g\.mtx\.gz: its gzip data is damaged or truncated after \d+ decompressed bytes: /);
  });

  it('a name that tells no format, and bytes that tell none either', async () => {
    await expect(readSparse(text(['1 2 3']), { name: 'data.bin' })).rejects.toThrow(
      'data.bin: neither its name nor its first bytes say a sparse format: .npz (scipy.sparse.save_npz), .mtx or .mtx.gz (Matrix Market); pass { format }',
    );
  });
});

describe('reading as the bytes arrive', () => {
  it('an abort while a long file arrives stops the reading with the signal\'s reason and releases the stream', async () => {
    const controller = new AbortController();
    let sent = 0;
    let released = false;
    const line = new TextEncoder().encode('1 1 1\n'.repeat(1000));
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new TextEncoder().encode(`${GENERAL}\n1 1 100000000\n`)),
      pull(c) {
        // The reader has taken 50 chunks: the user gives up (from a timer: a macrotask, as a click would be).
        if (++sent === 50) setTimeout(() => controller.abort(new Error('given up')), 0);
        c.enqueue(line);
      },
      cancel: () => void (released = true),
    });
    await expect(readSparse(stream, { signal: controller.signal })).rejects.toThrow('given up');
    expect(released).toBe(true);
    // It stopped soon after the abort: a turn comes after every chunk (a generous bound: 10 000 chunks).
    expect(sent).toBeLessThan(10000);
  });
});
