// Matrix Market files read in one pass in batches of complete rows (openSparse): the fixtures scipy wrote, read
// against numpy's dense truth at every batch size (down to one entry, so that every row is a batch) and in any
// chunking; each batch canonical csr; rows out of order and symmetric files refused naming the line; empty rows at
// both ends; an abort while the entries arrive. scipy's .npz files (csr; csc transposed) the same way, from a path, a
// Blob, a File or bytes, stored and deflated, int32 and int64 indices, any byte order; every layout that does not
// stream and a stream input refused with the remedy; damaged files refused naming the member and the entry; an
// abort mid-file: the file closed, its members' reading stopped.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { openSparse, readSparse, type SparseRowSource } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { seededSparse } from '../helpers/random';
import {
  bytesOf, chunked, densify, npyBytes, npzEntries, npzOfRows, readDenseTruth, sparseFixture, transposeRows, watchFiles, zipBytes,
} from '../helpers/sparse-files';

const text = (lines: string[]) => new TextEncoder().encode(lines.join('\n') + '\n');
const GENERAL = '%%MatrixMarket matrix coordinate real general';

/** Every batch in order, checked to be complete consecutive rows in canonical csr, and the matrix they make, dense. */
async function readBatches(source: SparseRowSource): Promise<{ dense: number[][]; batches: { first: number; rows: number; entries: number }[] }> {
  const dense = Array.from({ length: source.rows }, () => new Array<number>(source.cols).fill(0));
  const batches: { first: number; rows: number; entries: number }[] = [];
  let next = 0;
  for await (const { first, rows } of source.batches()) {
    expect(first).toBe(next);
    const { indptr, indices, data } = rows.csr;
    for (let r = 0; r < rows.rows; r++) {
      for (let e = indptr[r]; e < indptr[r + 1]; e++) {
        if (e > indptr[r]) expect(indices[e]).toBeGreaterThan(indices[e - 1]);
        dense[first + r][indices[e]] = data[e];
      }
    }
    batches.push({ first, rows: rows.rows, entries: indices.length });
    next = first + rows.rows;
  }
  expect(next).toBe(source.rows);
  return { dense, batches };
}

/** The file opened and read to its end (a small file's errors come as it opens: its first chunk is all of it). */
const openAndRead = async (...args: Parameters<typeof openSparse>) => readBatches(await openSparse(...args));

describe('a Matrix Market file in batches of complete rows', () => {
  it.each(['real.mtx', 'integer.mtx', 'pattern.mtx'])('%s: numpy\'s dense matrix at every batch size, each batch about batchEntries entries', async (name) => {
    const truth = readDenseTruth(name);
    const stored = truth.flat().filter((value) => value !== 0).length;
    for (const batchEntries of [1, 2, 3, 5, 8, stored - 1, stored, 1 << 20]) {
      const source = await openSparse(sparseFixture(name), { batchEntries });
      expect(source).toMatchObject({ rows: truth.length, cols: truth[0].length, entries: stored, batchEntries });
      const { dense, batches } = await readBatches(source);
      expect(dense).toEqual(truth);
      const widest = Math.max(...truth.map((row) => row.filter((value) => value !== 0).length));
      // A batch ends at the first row that starts after batchEntries entries, and spans at most batchEntries rows.
      for (const batch of batches) {
        expect(batch.entries).toBeLessThan(batchEntries + widest);
        expect(batch.rows).toBeLessThanOrEqual(batchEntries);
      }
      if (batchEntries === 1) expect(batches.length).toBe(truth.length);
      if (batchEntries >= stored) expect(batches.length).toBe(1);
    }
  });

  it('cells-sorted.mtx.gz (10x Genomics\' order, sorted by cell): gunzipped and transposed, numpy\'s cells × genes, the same as readSparse', async () => {
    const truth = readDenseTruth('cells-sorted.mtx.gz');
    for (const batchEntries of [1, 7, 100, 1 << 20]) {
      const source = await openSparse(sparseFixture('cells-sorted.mtx.gz'), { transpose: true, batchEntries });
      expect(source).toMatchObject({ rows: 60, cols: 30, entries: 764 });
      expect((await readBatches(source)).dense).toEqual(truth);
    }
    expect(densify(await readSparse(sparseFixture('cells-sorted.mtx.gz'), { transpose: true }))).toEqual(truth);
  });

  it('the same matrix from a stream one byte at a time, a Blob, gzip chunks of 3 bytes: the format from the first bytes', async () => {
    const plain = new Uint8Array(readFileSync(sparseFixture('real.mtx')));
    const truth = readDenseTruth('real.mtx');
    for (const input of [chunked(plain, 1), new Blob([plain]), plain, gzipSync(plain), chunked(gzipSync(plain), 3)]) {
      expect((await readBatches(await openSparse(input, { batchEntries: 4 }))).dense).toEqual(truth);
    }
  });

  it('duplicates summed and a row\'s entries in any order; empty rows at the start, between and at the end', async () => {
    const lines = [GENERAL, '% c', '7 3 6', '3 3 1', '3 1 2', '3 3 0.5', '4 2 4', '6 1 -1', '6 2 3'];
    const expected = [[0, 0, 0], [0, 0, 0], [2, 0, 1.5], [0, 4, 0], [0, 0, 0], [-1, 3, 0], [0, 0, 0]];
    for (const batchEntries of [1, 2, 3, 6, 100]) {
      const { dense, batches } = await readBatches(await openSparse(text(lines), { batchEntries }));
      expect(dense).toEqual(expected);
      if (batchEntries === 1) expect(batches.map((batch) => [batch.first, batch.rows])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1]]);
      if (batchEntries === 100) expect(batches.map((batch) => [batch.first, batch.rows, batch.entries])).toEqual([[0, 7, 5]]);
    }
  });

  it('a long run of empty rows comes in batches of at most batchEntries rows', async () => {
    const { dense, batches } = await openAndRead(text([GENERAL, '10 2 2', '1 1 1', '10 2 1']), { batchEntries: 3 });
    expect(dense).toEqual([[1, 0], ...Array.from({ length: 8 }, () => [0, 0]), [0, 1]]);
    expect(batches.map((batch) => [batch.first, batch.rows, batch.entries])).toEqual([[0, 3, 1], [3, 3, 0], [6, 3, 0], [9, 1, 1]]);
  });

  it('a file of no entries: its rows, empty', async () => {
    const { dense } = await readBatches(await openSparse(text([GENERAL, '3 2 0']), { batchEntries: 2 }));
    expect(dense).toEqual([[0, 0], [0, 0], [0, 0]]);
  });
});

describe('what cannot be streamed is refused, naming the line and the remedy', () => {
  it('an entry of an earlier row than one already read: the line, the two rows, readSparse', async () => {
    const lines = [GENERAL, '% c', '4 4 4', '1 1 1', '2 2 1', '3 1 1', '2 4 1'];
    for (const batchEntries of [1, 2, 100]) {
      await expect(openAndRead(text(lines), { name: 'x.mtx', batchEntries })).rejects.toThrow(
        'x.mtx, line 7: an entry of row 2 after one of row 3: a file is streamed only when its entries come grouped by row in row order; read it whole with readSparse (the CLI: without --stream)',
      );
    }
    // Transposed, the rows are the file's columns: genes-by-cells.mtx.gz is sorted by gene.
    await expect(openAndRead(sparseFixture('genes-by-cells.mtx.gz'), { transpose: true, name: 'g.mtx.gz' })).rejects.toThrow(
      /^g\.mtx\.gz, line 59: an entry of row 3 \(its column index, the file being transposed\) after one of row 60: a file is streamed only when its entries come grouped by row in row order \(sorted by column, as 10x Genomics writes them\); read it whole with readSparse/,
    );
  });

  it('a symmetric file, at its header', async () => {
    await expect(openSparse(sparseFixture('symmetric.mtx'), { name: 's.mtx' })).rejects.toThrow(
      's.mtx, line 1: a symmetric file stores one triangle, and mirroring its entries breaks their order by row: it cannot be streamed; read it whole with readSparse',
    );
  });

  it('the reading errors of readSparse, with their lines: a bad value, a truncated file', async () => {
    await expect(openAndRead(text([GENERAL, '2 2 2', '1 1 1', '2 1 nan']), { name: 'x.mtx', batchEntries: 1 })).rejects.toThrow('x.mtx, line 4: the value "nan" is not a finite number');
    await expect(openAndRead(text([GENERAL, '2 2 3', '1 1 1', '2 1 1']), { name: 'x.mtx' })).rejects.toThrow('x.mtx ends at line 4 after 2 entries, but its size line (line 2) announces 3: is it truncated?');
    await expect(openSparse(text([GENERAL]), { name: 'x.mtx' })).rejects.toThrow('x.mtx ends at line 1 before its size line (rows columns entries)');
  });

  it('a .mtx.gz cut short: the gzip error, naming the file', async () => {
    const gz = new Uint8Array(readFileSync(sparseFixture('cells-sorted.mtx.gz')));
    await expect(openAndRead(gz.subarray(0, gz.byteLength - 100), { name: 'c.mtx.gz', transpose: true, batchEntries: 10 })).rejects.toThrow(
      /^c\.mtx\.gz: its gzip data is damaged or truncated after \d+ decompressed bytes: /,
    );
  });

  it('bad options', async () => {
    await expect(openSparse(text([GENERAL, '1 1 0']), { batchEntries: 0 })).rejects.toThrow('batchEntries must be an integer from 1 to 2^30, got 0');
    await expect(openSparse(text([GENERAL, '1 1 0']), { format: 'csv' as never })).rejects.toThrow('format must be \'npz\', \'mtx\' or \'mtx.gz\', got "csv"');
  });

  it('a second reading is refused', async () => {
    const source = await openSparse(text([GENERAL, '2 2 1', '1 1 1']));
    await readBatches(source);
    await expect(readBatches(source)).rejects.toThrow('is read once, in one pass: open it again (openSparse) to read it again');
  });
});

describe('reading as the bytes arrive', () => {
  it('batches come before the file has all arrived, and an abort stops the reading and releases the stream', async () => {
    const controller = new AbortController();
    let sent = 0;
    let released = false;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new TextEncoder().encode(`${GENERAL}\n100000000 1 100000000\n`)),
      pull(c) {
        sent++;
        c.enqueue(new TextEncoder().encode(Array.from({ length: 100 }, (_, i) => `${sent * 100 + i + 1} 1 1\n`).join('')));
      },
      cancel: () => void (released = true),
    });
    // Ten batches a chunk: the abort is seen between batches, not only when the next chunk is awaited.
    const source = await openSparse(stream, { signal: controller.signal, batchEntries: 10 });
    let batches = 0;
    await expect((async () => {
      for await (const _ of source.batches()) {
        // Batches of rows arrive long before the file's 10^8 entries have: the user gives up after the 25th.
        if (++batches === 25) controller.abort(new Error('given up'));
      }
    })()).rejects.toThrow('given up');
    expect(released).toBe(true);
    expect(batches).toBe(25);
  });
});

/**
 * The batches cut as a Matrix Market file's are: each of at most batchEntries rows, fewer than batchEntries entries
 * before its last row, and each but the last full (batchEntries entries reached, or batchEntries rows).
 */
function expectBatchBounds(batches: { first: number; rows: number; entries: number }[], batchEntries: number, truth: number[][]): void {
  const stored = (r: number) => truth[r].filter((value) => value !== 0).length;
  batches.forEach((batch, i) => {
    expect(batch.rows).toBeLessThanOrEqual(batchEntries);
    expect(batch.entries - stored(batch.first + batch.rows - 1)).toBeLessThan(batchEntries);
    if (i < batches.length - 1) expect(batch.entries >= batchEntries || batch.rows === batchEntries, `batch ${i} is full`).toBe(true);
  });
}

const fixtureBytes = (name: string) => new Uint8Array(readFileSync(sparseFixture(name)));

describe('a scipy .npz file in batches of complete rows', () => {
  it.each([
    ['csr.npz', 'float64, int32 indices, deflated'],
    ['csr-int64.npz', 'int64 indptr and indices'],
    ['csr-big-endian.npz', '>f8 data, >i4 indices'],
    ['csr-counts.npz', 'int64 data'],
    ['csr-bool.npz', 'bool data'],
    ['cells.npz', '60 cells × 30 genes of counts'],
  ])('%s (%s): numpy\'s dense matrix at every batch size, the batches bounded as a Matrix Market file\'s', async (name) => {
    const truth = readDenseTruth(name);
    const stored = truth.flat().filter((value) => value !== 0).length;
    for (const batchEntries of [1, 2, 3, 5, stored - 1, stored, 1 << 20]) {
      const source = await openSparse(sparseFixture(name), { batchEntries });
      expect(source).toMatchObject({ rows: truth.length, cols: truth[0].length, entries: stored, batchEntries });
      const { dense, batches } = await readBatches(source);
      expect(dense).toEqual(truth);
      expectBatchBounds(batches, batchEntries, truth);
      if (batchEntries === 1) expect(batches.length).toBe(truth.length);
      if (batchEntries >= stored) expect(batches.length).toBe(1);
    }
  });

  it.each([
    ['csc-stored.npz', 'float32, stored'],
    ['genes-by-cells-csc.npz', 'genes × cells, int64 counts and indices, stored'],
  ])('%s (%s), a csc matrix read with transpose: its columns are the rows, numpy\'s transposed matrix', async (name) => {
    // csc-stored.npz's truth is the file's matrix; genes-by-cells-csc.npz's is already cells × genes.
    const truth = name === 'csc-stored.npz' ? transposeRows(readDenseTruth(name)) : readDenseTruth(name);
    const stored = truth.flat().filter((value) => value !== 0).length;
    for (const batchEntries of [1, 4, stored, 1 << 20]) {
      const source = await openSparse(sparseFixture(name), { transpose: true, batchEntries });
      expect(source).toMatchObject({ rows: truth.length, cols: truth[0].length, entries: stored });
      const { dense, batches } = await readBatches(source);
      expect(dense).toEqual(truth);
      expectBatchBounds(batches, batchEntries, truth);
    }
    expect(densify(await readSparse(sparseFixture(name), { transpose: true }))).toEqual(truth);
  });

  it('from a path, a Blob, a File and bytes, whatever the name says: the format from the first bytes', async () => {
    const truth = readDenseTruth('csr.npz');
    const bytes = fixtureBytes('csr.npz');
    for (const input of [sparseFixture('csr.npz'), new Blob([bytes]), new File([bytes], 'matrix.bin'), bytes, bytes.buffer]) {
      expect((await readBatches(await openSparse(input, { batchEntries: 4 }))).dense).toEqual(truth);
    }
    expect((await readBatches(await openSparse(bytes, { format: 'npz', name: 'x.mtx' }))).dense).toEqual(truth);
  });

  it('duplicates summed and a row\'s entries in any order; empty rows at the start, between and at the end; stored and deflated', async () => {
    const expected = [[0, 0, 0], [0, 0, 0], [2, 0, 1.5], [0, 4, 0], [0, 0, 0], [-1, 3, 0], [0, 0, 0]];
    const entries = npzEntries({
      format: 'csr', shape: [7, 3], indptr: Int32Array.from([0, 0, 0, 3, 4, 4, 6, 6]), indices: Int32Array.from([2, 0, 2, 1, 0, 1]),
      values: Float64Array.from([1, 2, 0.5, 4, -1, 3]),
    });
    for (const deflate of [false, true]) {
      for (const batchEntries of [1, 2, 3, 6, 100]) {
        const { dense, batches } = await readBatches(await openSparse(zipBytes(entries, { deflate }), { batchEntries }));
        expect(dense).toEqual(expected);
        if (batchEntries === 1) expect(batches.map((batch) => [batch.first, batch.rows])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1]]);
        if (batchEntries === 3) expect(batches.map((batch) => [batch.first, batch.rows, batch.entries])).toEqual([[0, 3, 2], [3, 3, 3], [6, 1, 0]]);
        if (batchEntries === 100) expect(batches.map((batch) => [batch.first, batch.rows, batch.entries])).toEqual([[0, 7, 5]]);
      }
    }
  });

  it('a larger matrix, values and indices cut across the inflater\'s chunks: readSparse\'s matrix, int32 and int64, stored and deflated', async () => {
    const [n, d] = [3000, 37];
    const { dense } = seededSparse(n, d, 4, (_, c, next) => (next() > 0.3 ? null : Math.fround((next() - 0.4) * (1 + c))));
    for (const options of [{ deflate: true }, { deflate: false, int64: true }, { deflate: true, int64: true }]) {
      const bytes = npzOfRows(dense, n, d, options);
      const whole = densify(await readSparse(bytes));
      for (const batchEntries of [97, 1 << 20]) expect((await readBatches(await openSparse(bytes, { batchEntries }))).dense).toEqual(whole);
    }
  }, 120_000); // about 2 s here, many times that on a loaded machine
  it('values that straddle the file\'s chunks: members whose data starts at an odd offset, a megabyte read at a time', async () => {
    const [n, d] = [50000, 10];
    const { csr } = seededSparse(n, d, 6, (_, c, next) => (next() > 0.6 ? null : (next() - 0.5) * 10 ** (c - 5)));
    const odd = (descr: string, values: ArrayBufferView & { length: number }) => {
      // A v1 header of 133 bytes: the values start at offsets 5 mod 8 of the member, so chunks of 2^20 bytes split some.
      const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${values.length},), }`;
      const text = dict.padEnd(133 - 10 - 1, ' ') + '\n';
      const header = new Uint8Array(10 + text.length);
      header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(header.buffer).setUint16(8, text.length, true);
      header.set(new TextEncoder().encode(text), 10);
      const out = new Uint8Array(header.length + values.byteLength);
      out.set(header);
      out.set(bytesOf(values), header.length);
      return out;
    };
    const entries = npzEntries({ format: 'csr', shape: [n, d], indptr: Int32Array.from(csr.indptr) })
      .filter((entry) => entry.name !== 'data.npy')
      .concat([{ name: 'indices.npy', bytes: odd('<i4', Int32Array.from(csr.indices)) }, { name: 'data.npy', bytes: odd('<f8', Float64Array.from(csr.data)) }]);
    const bytes = zipBytes(entries);
    expect(bytes.byteLength).toBeGreaterThan(3 * 2 ** 20);
    const whole = densify(await readSparse(bytes));
    expect(whole).toEqual(densify(csr));
    expect((await readBatches(await openSparse(bytes, { batchEntries: 5000 }))).dense).toEqual(whole);
  }, 120_000); // about 2 s here, many times that on a loaded machine
});

describe('what of an .npz cannot be streamed is refused, naming the file, its layout and the remedy', () => {
  it('csr read with transpose; csc without; coo; bsr', async () => {
    await expect(openSparse(sparseFixture('csr.npz'), { transpose: true, name: 'm.npz' })).rejects.toThrow(
      'm.npz holds a csr matrix: read transposed, its rows are the file\'s columns, which csr does not store together, so it cannot be streamed; ' +
      'save it with save_npz(file, X.tocsc()) to stream it transposed, or read it whole with readSparse (the CLI: without --stream)',
    );
    await expect(openSparse(sparseFixture('csc-stored.npz'), { name: 'm.npz' })).rejects.toThrow(
      'm.npz holds a csc matrix: its rows are spread over its columns, so it cannot be streamed by rows; save it with save_npz(file, X.tocsr()), ' +
      'read it transposed (transpose; the CLI: --transpose) if its columns are the samples, or read it whole with readSparse (the CLI: without --stream)',
    );
    for (const format of ['coo', 'bsr']) {
      await expect(openSparse(sparseFixture(`${format}.npz`), { name: 'm.npz' })).rejects.toThrow(
        `m.npz holds a ${format} matrix, whose entries are not grouped by row: it cannot be streamed; save it with save_npz(file, X.tocsr()) ` +
        '(X.tocsc() to read it transposed), or read it whole with readSparse (the CLI: without --stream)',
      );
    }
  });

  it('an .npz given as a stream (no random access): refused, the stream released', async () => {
    let released = false;
    const bytes = fixtureBytes('csr.npz');
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(bytes.slice(0, 100)), cancel: () => void (released = true) });
    await expect(openSparse(stream, { name: 'm.npz' })).rejects.toThrow(
      'm.npz is a scipy .npz file given as a stream: its directory is at its end and its members are read side by side, which needs random access; ' +
      'pass a path, File or Blob, or read it whole with readSparse',
    );
    expect(released).toBe(true);
    await expect(openSparse((async function* () { yield bytes; })())).rejects.toThrow('the stream is a scipy .npz file given as a stream');
  });
});

describe('a damaged .npz is refused, naming the file, the member and the entry', () => {
  const csr = (arrays: Partial<Parameters<typeof npzEntries>[0]>) => npzEntries({
    format: 'csr', shape: [3, 4], indptr: Int32Array.from([0, 2, 2, 4]), indices: Int32Array.from([0, 3, 1, 2]), values: Float64Array.from([1, 2, 3, 4]), ...arrays,
  });
  const opened = (entries: { name: string; bytes: Uint8Array }[], batchEntries = 1) => openAndRead(zipBytes(entries, { deflate: true }), { name: 'x.npz', batchEntries });

  it('an indptr that does not start at 0, decreases, does not end at the entries\' count or has the wrong length', async () => {
    await expect(opened(csr({ indptr: Int32Array.from([1, 2, 2, 4]) }))).rejects.toThrow('x.npz, entry indptr.npy: its first offset is 1: it must be 0');
    await expect(opened(csr({ indptr: Int32Array.from([0, 3, 2, 4]) }))).rejects.toThrow('x.npz, entry indptr.npy decreases at position 2: 3 then 2 (row 1 would have fewer than no entries)');
    await expect(opened(csr({ indptr: Int32Array.from([0, 2, 2, 3]) }))).rejects.toThrow('x.npz: indptr.npy ends at 3, but indices.npy and data.npy have 4 entries: it must end at their count');
    await expect(opened(csr({ indptr: Int32Array.from([0, 2, 4]) }))).rejects.toThrow('x.npz: indptr.npy has 3 offsets, but a csr matrix of shape (3, 4) has 4 (rows + 1)');
  });

  it('an index out of range and a value not finite, in a later batch: the entry, its row (and column)', async () => {
    await expect(opened(csr({ indices: Int32Array.from([0, 3, 1, 4]) }))).rejects.toThrow('x.npz, entry indices.npy: entry 3 (row 2) has column 4, outside the shape\'s 4 columns (0 to 3)');
    await expect(opened(csr({ indices: Int32Array.from([0, -1, 1, 2]) }))).rejects.toThrow('x.npz, entry indices.npy: entry 1 (row 0) has column -1, outside the shape\'s 4 columns (0 to 3)');
    await expect(opened(csr({ values: Float64Array.from([1, 2, 3, NaN]) }))).rejects.toThrow('x.npz, entry data.npy: entry 3 (row 2, column 2) is NaN: values must be finite');
    await expect(opened(csr({ values: Float64Array.from([1, 2, -Infinity, 4]) }))).rejects.toThrow('x.npz, entry data.npy: entry 2 (row 2, column 1) is -Infinity: values must be finite');
    // Transposed csc: the groups are the file's columns, the indices its rows.
    const csc = npzEntries({ format: 'csc', shape: [4, 3], indptr: Int32Array.from([0, 2, 2, 4]), indices: Int32Array.from([0, 3, 1, 9]), values: Float64Array.from([1, 2, 3, 4]) });
    await expect(openAndRead(zipBytes(csc), { name: 'x.npz', transpose: true })).rejects.toThrow('x.npz, entry indices.npy: entry 3 (column 2) has row 9, outside the shape\'s 4 rows (0 to 3)');
  });

  it('indices and data of different lengths; a member shorter than its header says; a dtype that is not an index', async () => {
    await expect(opened(csr({ indices: Int32Array.from([0, 3, 1]) }))).rejects.toThrow('x.npz: indices.npy has 3 values but data.npy has 4: they must have one per stored entry');
    const short = csr({ data: bytesOf(Float64Array.from([1, 2, 3])), dataCount: 4 });
    await expect(opened(short)).rejects.toThrow('x.npz, entry data.npy: its header says 4 values of \'<f8\' (32 bytes), but the entry has 24 bytes after its 128-byte header');
    const floats = csr({}).map((entry) => entry.name === 'indices.npy' ? { name: entry.name, bytes: npyBytes('<f4', '(4,)', bytesOf(Float32Array.from([0, 3, 1, 2]))) } : entry);
    await expect(opened(floats)).rejects.toThrow('x.npz, entry indices.npy: dtype \'<f4\' is not an integer type: indices are integers (int32 or int64)');
  });

  it('a file cut short; a member reaching past its end; deflated data damaged; a stored member whose bytes do not match its CRC-32', async () => {
    const bytes = fixtureBytes('cells.npz');
    await expect(openSparse(bytes.subarray(0, bytes.length - 200), { name: 'c.npz' })).rejects.toThrow(
      /^c\.npz is truncated or damaged: it starts as a zip file but has no end of central directory record/,
    );
    // Damage the middle of data.npy's deflated bytes (the last member save_npz writes before its directory is format, shape or data).
    const entries = npzEntries({ format: 'csr', shape: [200, 5], indptr: Int32Array.from({ length: 201 }, (_, i) => 5 * i), indices: Int32Array.from({ length: 1000 }, (_, i) => i % 5), values: Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i)) });
    const deflated = zipBytes(entries, { deflate: true });
    const dataAt = findBytes(deflated, new TextEncoder().encode('data.npy'));
    const damaged = deflated.slice();
    for (let i = dataAt + 200; i < dataAt + 260; i++) damaged[i] ^= 0x5a;
    await expect(openAndRead(damaged, { name: 'd.npz', batchEntries: 10 })).rejects.toThrow(/^d\.npz, entry data\.npy: (its deflated data|CRC-32 mismatch)/);
    // The central directory claims more deflated bytes of data.npy than the file holds after its local header.
    const name = new TextEncoder().encode('data.npy');
    const central = findBytes(deflated, name, findBytes(deflated, name) + 1) - 46;
    const overlong = deflated.slice();
    const view = new DataView(overlong.buffer);
    view.setUint32(central + 20, view.getUint32(central + 20, true) + 5000, true);
    await expect(openAndRead(overlong, { name: 'o.npz' })).rejects.toThrow(/^o\.npz is truncated: data\.npy's data at bytes \d+–\d+ reaches past the end of the file \(\d+ bytes\)$/);
    const stored = zipBytes(entries);
    const flipped = stored.slice();
    flipped[findBytes(stored, new TextEncoder().encode('data.npy')) + 8 + 128 + 8 * 700] ^= 1;
    await expect(openAndRead(flipped, { name: 's.npz', batchEntries: 10 })).rejects.toThrow(/^s\.npz, entry data\.npy: CRC-32 mismatch: its data \(bytes \d+–\d+\) gives 0x[0-9a-f]{8}, the central directory says 0x[0-9a-f]{8}: the file is damaged$/);
  });
});

/** Where `needle` first occurs in `bytes` from `from` (a zip entry's name: in its local header, its data follows). */
function findBytes(bytes: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}

describe('an .npz read and left part way', () => {
  it('an abort between batches: the signal\'s reason, the file closed, the rest of its members never read', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'eigengame-npz-stream-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    // Members of 10 and 20 MB stored, read a megabyte at a time: three batches of 1000 entries need the first of each.
    const [n, d] = [200000, 20];
    const { dense } = seededSparse(n, d, 8, (_, c, next) => (next() > 0.5 ? null : Math.fround(next() + c)));
    for (const deflate of [false, true]) {
      const path = join(directory, `big-${deflate}.npz`);
      writeFileSync(path, npzOfRows(dense, n, d, { deflate }));
      const watches = watchFiles(currentHost(), vi.spyOn);
      onTestFinished(() => void vi.restoreAllMocks());
      const controller = new AbortController();
      const source = await openSparse(path, { batchEntries: 1000, signal: controller.signal });
      let batches = 0;
      await expect((async () => {
        for await (const _ of source.batches()) if (++batches === 3) controller.abort(new Error('given up'));
      })()).rejects.toThrow('given up');
      expect(batches).toBe(3);
      // Let any reading the inflaters had queued settle: none may come after the file is closed.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(watches).toHaveLength(1);
      expect(watches[0].closes).toBe(1);
      expect(watches[0].readsAfterClose).toBe(0);
      expect(watches[0].bytesRead).toBeLessThan(watches[0].size / 2);
      vi.restoreAllMocks();
    }
  }, 120_000); // two files of 30 MB written and read: about 4 s here, many times that on a loaded machine

  it('a refusal after opening, or a batch left: the file closed once', async () => {
    const watches = watchFiles(currentHost(), vi.spyOn);
    onTestFinished(() => void vi.restoreAllMocks());
    await expect(openSparse(sparseFixture('csc-stored.npz'))).rejects.toThrow('holds a csc matrix');
    const source = await openSparse(sparseFixture('cells.npz'), { batchEntries: 10 });
    for await (const _ of source.batches()) break;
    expect(watches.map((watch) => watch.closes)).toEqual([1, 1]);
    await source.close();
    expect(watches[1].closes).toBe(1);
  });
});
