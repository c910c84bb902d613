// Matrix Market files read in one pass in batches of complete rows (openSparse): the fixtures scipy wrote, read
// against numpy's dense truth at every batch size (down to one entry, so that every row is a batch) and in any
// chunking; each batch canonical csr; rows out of order and symmetric files refused naming the line; .npz refused;
// empty rows at both ends; an abort while the entries arrive.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openSparse, readSparse, type SparseRowSource } from '../../src/entries/node';
import { chunked, densify, readDenseTruth, sparseFixture } from '../helpers/sparse-files';

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

  it('an .npz file, by its name or its bytes', async () => {
    for (const input of [sparseFixture('csr.npz'), new Uint8Array(readFileSync(sparseFixture('csr.npz')))]) {
      await expect(openSparse(input, { name: 'm.npz' })).rejects.toThrow(
        'm.npz is a scipy .npz file (a zip, its arrays read whole): it cannot be streamed; read it with readSparse',
      );
    }
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
    await expect(openSparse(text([GENERAL, '1 1 0']), { format: 'csv' as never })).rejects.toThrow('format must be \'mtx\' or \'mtx.gz\', got "csv"');
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
