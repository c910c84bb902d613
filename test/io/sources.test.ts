// The .npy and CSV readers: every layout they accept gives the same numbers from every kind of input (path,
// Blob, bytes, stream in odd chunks), every bad file a message that names the problem and where, and random or
// mutated bytes never anything else (property-based, fixed seed).

import { existsSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSource, NpySource, openSource, pca } from '../../src/entries/node';
import { parseNpyHeader } from '../../src/io/npy';
import { chunkedStream, npyBytes, readAll } from '../helpers/npy';

const directory = mkdtempSync(join(tmpdir(), 'eigengame-sources-'));
function file(name: string, contents: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return path;
}

const rows = 13;
const cols = 5;
const values = Array.from({ length: rows * cols }, (_, i) => Math.fround(Math.sin(i + 1) * 100));
const asCsv = (separator = ',', lineEnd = '\n') =>
  Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols).join(separator)).join(lineEnd) + lineEnd;

describe('NpySource', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const version of [1, 2, 3]) {
      it(`reads ${dtype}, version ${version}.0, from a path, a Blob, bytes and a stream in odd chunks`, async () => {
        const bytes = npyBytes(values, rows, cols, dtype, version);
        const inputs = [file(`x-${dtype}-${version}.npy`, bytes), new Blob([bytes as Uint8Array<ArrayBuffer>]), bytes, chunkedStream(bytes, [1, 3, 7, 2, 64])];
        for (const input of inputs) {
          const source = new NpySource(input);
          expect(await source.info()).toMatchObject({ format: 'npy', rows, cols, dtype, rereadable: !(input instanceof ReadableStream) });
          expect(await readAll(source)).toEqual(values);
        }
      });
    }
  }

  it('reads blocks in any order, each block the same rows', async () => {
    const source = new NpySource(npyBytes(values, rows, cols));
    const seen: number[] = [];
    for await (const batch of source.batches(4, [3, 0, 2, 1])) {
      seen.push(batch.firstRow);
      expect(Array.from(batch.data)).toEqual(values.slice(batch.firstRow * cols, (batch.firstRow + batch.rows) * cols));
    }
    expect(seen).toEqual([12, 0, 8, 4]);
  });

  it('names a block that does not exist (.npy and CSV)', async () => {
    const text = asCsv();
    for (const source of [new NpySource(npyBytes(values, rows, cols), { name: 'x' }), new CsvSource(new TextEncoder().encode(text), { name: 'x' })]) {
      await expect(readAll({ batches: (n: number) => source.batches(n, [0, 4]) }, 4)).rejects.toThrow(/^x: there is no block 4 of 4 rows$/);
      await expect(readAll({ batches: (n: number) => source.batches(n, [1.5]) }, 4)).rejects.toThrow(/^x: there is no block 1\.5 of 4 rows$/);
    }
  });

  const good = npyBytes(values, rows, cols);
  const header = (dict: string) => {
    const text = dict + ' '.repeat(Math.max(0, 53 - dict.length)) + '\n';
    const bytes = new Uint8Array(10 + text.length + 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, text.length, true);
    bytes.set(new TextEncoder().encode(text), 10);
    return bytes;
  };
  const nan = npyBytes(values, rows, cols);
  new DataView(nan.buffer).setFloat32(nan.length - 4 * 7, NaN, true);

  it.each([
    ['an empty file', new Uint8Array(0), /x\.npy is empty/],
    ['not a .npy file', new TextEncoder().encode('a,b\n1,2\n'), /x\.npy is not a \.npy file: it does not start with \\x93NUMPY/],
    ['a file truncated in its data', good.subarray(0, good.length - 10), /x\.npy is truncated: its header says shape \(13, 5\) of float32, 260 bytes of data, but the file has 250/],
    ['a file truncated in its header', good.subarray(0, 40), /x\.npy is truncated: it ends inside the \.npy header/],
    ['only the magic', good.subarray(0, 6), /x\.npy is truncated: it ends right after the \.npy magic, after 6 bytes/],
    ['part of the magic', good.subarray(0, 3), /x\.npy is truncated: it ends inside the \.npy magic, after 3 bytes/],
    ['the magic and a version', good.subarray(0, 8), /x\.npy is truncated: it ends inside the \.npy preamble \(version and header length\), after 8 bytes/],
    ['three bytes that are not the magic', new Uint8Array([0x93, 0x4e, 0x00]), /x\.npy is not a \.npy file: it does not start with \\x93NUMPY/],
    ['a header claiming more than any file', header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000), }"), /x\.npy: shape \(100000000000, 100000000\) is too large to be a real file/],
    ['a header claiming more than the file', header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000), }"), /x\.npy is truncated: its header says shape \(1000000, 1000\) of float64, 8000000000 bytes of data, but the file has 8/],
    ['an integer dtype', header("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }"), /dtype '<i8' is not supported; eigengame reads float32/],
    ['a big-endian dtype', header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 1), }"), /big-endian: save it with X\.astype\('<f4'\)/],
    ['Fortran order', header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }"), /is in Fortran order/],
    ['a 3-D array', header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 1), }"), /has shape \(2, 1, 1\): eigengame reads 2-D arrays/],
    ['a 1-D array', header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), /has shape \(2,\): eigengame reads 2-D arrays/],
    ['no rows', header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"), /x\.npy is empty: its shape is \(0, 3\)/],
    ['a header that is not a dict', header('hello'), /the \.npy header is not a dict with descr, fortran_order and shape/],
    ['bytes after the data', new Uint8Array([...good, 1, 2, 3, 4]), /x\.npy has 4 bytes after the data its header describes/],
    ['a NaN', nan, /x\.npy: row 11, column 3 is NaN/],
  ])('rejects %s with a clear message', async (_, bytes, message) => {
    await expect(readAll(new NpySource(file('x.npy', bytes)))).rejects.toThrow(message);
  });

  it('says a stream that ends after the magic is truncated, not that it is not a .npy file', async () => {
    await expect(new NpySource(chunkedStream(good.subarray(0, 6), [2]), { name: 's.npy' }).info()).rejects.toThrow(/s\.npy is truncated: it ends right after the \.npy magic, after 6 bytes/);
    await expect(new NpySource(chunkedStream(good.subarray(0, 9), [4]), { name: 's.npy' }).info()).rejects.toThrow(/s\.npy is truncated: it ends inside the \.npy preamble \(version and header length\), after 9 bytes/);
  });

  it('rejects a stream that ends early, saying how many rows came', async () => {
    const source = new NpySource(chunkedStream(good.subarray(0, good.length - cols * 4 * 2), [5]), { name: 's.npy' });
    await expect(readAll(source, 4)).rejects.toThrow(/s\.npy is truncated: the stream ended after 11 of the header's 13 rows/);
  });

  it('refuses a batch that would not fit in memory, before allocating it', async () => {
    const source = new NpySource(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 300000000), }"), { name: 'wide.npy' });
    await expect(source.info()).rejects.toThrow(/wide\.npy is truncated/);
    const wide = new NpySource(npyBytes(new Float32Array(300000), 1, 300000), { name: 'wide.npy' });
    await expect(readAll(wide, 4096)).rejects.toThrow(/wide\.npy: a batch of 4096 rows × 300000 columns would take 4915200000 bytes/);
  });
});

/** The file descriptors of this process open on `path` (Linux: /proc/self/fd). */
function openDescriptors(path: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // the descriptor readdir itself used, closed by now
    }
  });
}

/** A Blob whose reads fail (or come back short) from byte `from` on, as a failing disk or a file cut while read would. */
class FaultyBlob extends Blob {
  constructor(bytes: Uint8Array, private readonly from: number, private readonly fault: 'error' | 'short') {
    super([bytes as Uint8Array<ArrayBuffer>]);
  }

  override slice(start = 0, end = this.size): Blob {
    if (end <= this.from) return super.slice(start, end);
    if (this.fault === 'short') return super.slice(start, this.from);
    return { arrayBuffer: () => Promise.reject(new Error('EIO: i/o error, read')) } as Blob;
  }
}

describe('NpySource reading a file in reused buffers, one block ahead', { timeout: 60_000 }, () => {
  // Odd shapes: rows that are no multiple of any batch size below, columns no multiple of 4 (the finiteness screen's lanes).
  const oddRows = 1001;
  const oddCols = 7;
  const oddValues = Array.from({ length: oddRows * oddCols }, (_, i) => Math.sin(i * 0.37) * 1e3 + (i % 11) * 1e-7);

  /** The file's values as its bytes say, decoded without the reader: each batch must be exactly these bytes. */
  function rawValues(bytes: Uint8Array): Uint8Array {
    return bytes.subarray(parseNpyHeader('x', bytes).dataOffset);
  }

  /** A version 1.0 header padded to `total` bytes (numpy pads to 64; other writers pad to 16, or to odd lengths). */
  function paddedHeader(dtype: '<f4' | '<f8', rows: number, cols: number, total: number): Uint8Array {
    const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
    const text = dict + ' '.repeat(total - 10 - dict.length - 1) + '\n';
    const bytes = new Uint8Array(total);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, text.length, true);
    bytes.set(new TextEncoder().encode(text), 10);
    return bytes;
  }

  function withHeader(header: Uint8Array, body: Uint8Array): Uint8Array {
    const bytes = new Uint8Array(header.length + body.length);
    bytes.set(header);
    bytes.set(body, header.length);
    return bytes;
  }

  const layouts: [string, Uint8Array][] = [];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const version of [1, 2, 3]) layouts.push([`${dtype}, version ${version}.0`, npyBytes(oddValues, oddRows, oddCols, dtype, version)]);
    // Data at an offset that is no multiple of 4 or 8 (a header of 83 bytes; 200 bytes of padding).
    const body = rawValues(npyBytes(oddValues, oddRows, oddCols, dtype));
    for (const total of [83, 200]) layouts.push([`${dtype}, a header of ${total} bytes`, withHeader(paddedHeader(dtype === 'float32' ? '<f4' : '<f8', oddRows, oddCols, total), body)]);
  }

  it.each(layouts)('gives each block as the file\'s own bits (%s), for any batch size and block order, as the stream reader does', async (name, bytes) => {
    const path = file(`odd-${name.replace(/[^a-z0-9]+/gi, '-')}.npy`, bytes);
    const raw = rawValues(bytes);
    const size = raw.byteLength / (oddRows * oddCols);
    for (const batchSize of [1, 3, 64, 1000, 1001, 5000]) {
      const blocks = Math.ceil(oddRows / batchSize);
      const shuffled = Array.from({ length: blocks }, (_, b) => (b * 7 + 3) % blocks);
      const orders = blocks % 7 === 0 ? [undefined] : [undefined, shuffled];
      for (const order of orders) {
        const seen = new Set<number>();
        for await (const batch of new NpySource(path).batches(batchSize, order)) {
          const start = batch.firstRow * oddCols * size;
          const got = new Uint8Array(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
          expect(got).toEqual(raw.subarray(start, start + batch.rows * oddCols * size));
          expect(batch.rows).toBe(Math.min(batchSize, oddRows - batch.firstRow));
          seen.add(batch.firstRow);
        }
        expect(seen.size).toBe(blocks);
      }
      // The stream reader (no random access, its own buffer) gives the same bits in the same batches.
      const fromFile: number[] = [];
      for await (const batch of new NpySource(path).batches(batchSize)) fromFile.push(...batch.data);
      const fromStream: number[] = [];
      for await (const batch of new NpySource(chunkedStream(bytes, [5, 4096, 13])).batches(batchSize)) fromStream.push(...batch.data);
      expect(fromStream).toEqual(fromFile);
    }
  });

  it('keeps a batch intact until the next one is asked for, while it reads ahead; and reuses two buffers', async () => {
    const path = file('held.npy', npyBytes(oddValues, oddRows, oddCols));
    const buffers = new Set<ArrayBufferLike>();
    let count = 0;
    for await (const batch of new NpySource(path).batches(64)) {
      const copy = batch.data.slice();
      // Lets the read of the next block (started before this batch was handed over) land.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
      expect(batch.data).toEqual(copy);
      buffers.add(batch.data.buffer);
      count++;
    }
    expect(count).toBe(Math.ceil(oddRows / 64));
    expect(buffers.size).toBe(2);
  });

  it('screens every value, in the four lanes and the tail, of float32 and float64', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [index, value] of [[0, NaN], [1, Infinity], [2, -Infinity], [3, NaN], [4 * 1000 + 2, -Infinity], [oddRows * oddCols - 1, NaN], [oddRows * oddCols - 3, Infinity]] as const) {
        const bad = oddValues.slice();
        bad[index] = value;
        const row = Math.floor(index / oddCols);
        const message = new RegExp(`bad\\.npy: row ${row}, column ${index % oddCols} is ${value} \\(every value must be a finite number\\)$`);
        await expect(readAll(new NpySource(file('bad.npy', npyBytes(bad, oddRows, oddCols, dtype))), 100)).rejects.toThrow(message);
      }
    }
  });

  it.skipIf(!existsSync('/proc/self/fd'))('closes the file when the caller stops mid-read, throws or aborts a fit', async () => {
    const path = file('closed.npy', npyBytes(oddValues, oddRows, oddCols));
    for await (const _batch of new NpySource(path).batches(10)) {
      expect(openDescriptors(path)).toHaveLength(1);
      break; // while the next block is being read
    }
    expect(openDescriptors(path)).toEqual([]);
    const failing = (async () => {
      for await (const batch of new NpySource(path).batches(10)) if (batch.firstRow === 20) throw new Error('the caller failed');
    })();
    await expect(failing).rejects.toThrow('the caller failed');
    expect(openDescriptors(path)).toEqual([]);
    const controller = new AbortController();
    const fit = pca(new NpySource(path), {
      k: 2, batchSize: 64, devices: 1, signal: controller.signal, onProgress: ({ step }) => step >= 3 && controller.abort(),
    });
    await expect(fit).rejects.toThrow(/abort/i);
    expect(openDescriptors(path)).toEqual([]);
  });

  it('names the rows and byte offsets of a read that fails, or comes back short, mid-file', async () => {
    const bytes = npyBytes(oddValues, oddRows, oddCols);
    const { dataOffset } = parseNpyHeader('x', bytes);
    const rowBytes = oddCols * 4;
    // The reads of blocks 0 and 1 succeed; block 2 (rows 200–299) fails.
    const from = dataOffset + 250 * rowBytes;
    const failing = new NpySource(new FaultyBlob(bytes, from, 'error'), { name: 'disk.npy' });
    await expect(readAll(failing, 100)).rejects.toThrow(
      `disk.npy: could not read rows 200–299 (bytes ${dataOffset + 200 * rowBytes}–${dataOffset + 300 * rowBytes - 1}): EIO: i/o error, read`,
    );
    const short = new NpySource(new FaultyBlob(bytes, from, 'short'), { name: 'cut.npy' });
    await expect(readAll(short, 100)).rejects.toThrow(`cut.npy is truncated: rows 200–299 are not all there (the file ended at byte ${from}; was it cut while being read?)`);
  });
});

describe('NpySource of a slice of rows', () => {
  const sliceRows = 1001;
  const sliceCols = 7;
  const sliceValues = Array.from({ length: sliceRows * sliceCols }, (_, i) => Math.fround(Math.cos(i * 0.11) * 50));

  /** A Blob that records the byte ranges read from it. */
  class RecordingBlob extends Blob {
    readonly ranges: [number, number][] = [];

    override slice(start = 0, end = this.size): Blob {
      this.ranges.push([start, Math.min(end, this.size)]);
      return super.slice(start, end);
    }
  }

  it.each([[0, 1001], [0, 0], [1000, 1001], [3, 500], [250, 250], [499, 1001]])('rows [%i, %i): those rows only, numbered from the slice, and no other row\'s bytes read', async (start, end) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const bytes = npyBytes(sliceValues, sliceRows, sliceCols, dtype, 2);
      const size = dtype === 'float32' ? 4 : 8;
      const { dataOffset } = parseNpyHeader('x', bytes);
      const blob = new RecordingBlob([bytes as Uint8Array<ArrayBuffer>]);
      const source = new NpySource(blob, { rows: [start, end] });
      expect(await source.info()).toMatchObject({ rows: end - start, cols: sliceCols, dtype });
      const expected = dtype === 'float32' ? sliceValues : Array.from(new Float64Array(sliceValues));
      expect(await readAll(source, 64)).toEqual(expected.slice(start * sliceCols, end * sliceCols));
      const firstRows: number[] = [];
      for await (const batch of source.batches(100, [1, 0].filter((b) => b * 100 < end - start))) firstRows.push(batch.firstRow);
      expect(firstRows).toEqual([1, 0].filter((b) => b * 100 < end - start).map((b) => b * 100));
      // Past the header (read from byte 0, before the data), every read lies within the slice's bytes.
      const reads = blob.ranges.filter(([from]) => from >= dataOffset);
      expect(blob.ranges.every(([from, to]) => to <= dataOffset || from >= dataOffset)).toBe(true);
      for (const [from, to] of reads) {
        expect(from).toBeGreaterThanOrEqual(dataOffset + start * sliceCols * size);
        expect(to).toBeLessThanOrEqual(dataOffset + end * sliceCols * size);
      }
      // Every row once (readAll), then blocks 1 and 0 of 100 rows (as far as the slice has them): no byte twice per pass.
      const length = end - start;
      expect(reads.reduce((sum, [from, to]) => sum + to - from, 0)).toBe((length + Math.min(length, 200)) * sliceCols * size);
    }
  });

  it('names the file\'s row of a value that is not finite, and of a read that fails', async () => {
    const bad = sliceValues.slice();
    bad[600 * sliceCols + 2] = NaN;
    const bytes = npyBytes(bad, sliceRows, sliceCols);
    await expect(readAll(new NpySource(bytes, { name: 'x.npy', rows: [550, 700] }), 64)).rejects.toThrow(/^x\.npy: row 600, column 2 is NaN/);
    const { dataOffset } = parseNpyHeader('x', bytes);
    const good = npyBytes(sliceValues, sliceRows, sliceCols);
    const failing = new NpySource(new FaultyBlob(good, dataOffset + 620 * sliceCols * 4, 'error'), { name: 'disk.npy', rows: [550, 700] });
    await expect(readAll(failing, 64)).rejects.toThrow(/^disk\.npy: could not read rows 614–677 \(bytes/);
  });

  it.each([
    [[5, 3], /^rows: start 5 is after end 3 \(rows are \[start, end\)\)$/],
    [[-1, 3], /^rows: start must be a non-negative integer, got -1$/],
    [[0, 2.5], /^rows: end must be a non-negative integer, got 2\.5$/],
    [[0, '3'], /^rows: end must be a non-negative integer, got "3"$/],
    [[0, NaN], /^rows: end must be a non-negative integer, got NaN$/],
    [[1], /^rows must be \[start, end\), two row numbers, got an array of 1$/],
    [{ start: 0, end: 2 }, /^rows must be \[start, end\), two row numbers, got/],
  ])('refuses rows %j, naming the option', (rows, message) => {
    expect(() => new NpySource(npyBytes(sliceValues, sliceRows, sliceCols), { rows: rows as [number, number] })).toThrow(message);
  });

  it('refuses rows past the file\'s end when opened, and a slice of a stream', async () => {
    const bytes = npyBytes(sliceValues, sliceRows, sliceCols);
    await expect(new NpySource(bytes, { name: 'x.npy', rows: [1000, 1002] }).info()).rejects.toThrow(/^x\.npy: rows \[1000, 1002\) reach past the file's 1001 rows$/);
    await expect(new NpySource(chunkedStream(bytes, [100]), { name: 's.npy', rows: [0, 10] }).info()).rejects.toThrow(/^s\.npy is a stream: the rows option needs a file, a Blob or bytes/);
  });
});

describe('CsvSource', () => {
  it.each([
    ['commas, LF', asCsv(), {}],
    ['commas, CRLF', asCsv(',', '\r\n'), {}],
    ['tabs (sniffed)', asCsv('\t'), {}],
    ['semicolons (sniffed)', asCsv(';'), {}],
    ['a header row (detected)', `a,b,"c, with comma",d,"say ""e"""\n${asCsv()}`, {}],
    ['quoted numbers and spaces', asCsv().trimEnd().split('\n').map((line) => line.split(',').map((v, i) => (i % 2 ? ` "${v}" ` .trim() : ` ${v} `)).join(',')).join('\n'), {}],
    ['blank lines and no final line end', `\n${asCsv().trimEnd()}\n\n`.replace('\n', '\n\n'), {}],
  ])('reads %s to the same numbers, from a path, a Blob and a stream in odd chunks', async (_, text, options) => {
    const bytes = new TextEncoder().encode(text);
    for (const input of [file('x.csv', bytes), new Blob([bytes]), chunkedStream(bytes, [1, 2, 5, 11])]) {
      expect(await readAll(new CsvSource(input, options))).toEqual(values);
    }
  });

  it('reads TSV by its extension, and chosen columns by name or index', async () => {
    const text = `a\tb\tc\td\te\n${asCsv('\t')}`;
    const source = new CsvSource(file('x.tsv', text), { columns: ['d', 1] });
    expect(await source.info()).toMatchObject({ cols: 2, columnNames: ['d', 'b'], rows: null });
    const expected = Array.from({ length: rows }, (_, r) => [values[r * cols + 3], values[r * cols + 1]]).flat();
    expect(await readAll(source)).toEqual(expected);
    expect((await source.info()).rows).toBe(rows);
  });

  it('reads blocks in any order after indexing them in a first pass', async () => {
    const source = new CsvSource(file('x.csv', `h1,h2,h3,h4,h5\n${asCsv()}`));
    const seen: number[] = [];
    for await (const batch of source.batches(5, [2, 0, 1])) {
      seen.push(batch.firstRow);
      expect(Array.from(batch.data)).toEqual(values.slice(batch.firstRow * cols, (batch.firstRow + batch.rows) * cols));
    }
    expect(seen).toEqual([10, 0, 5]);
  });

  it.each([
    ['a cell that is not a number', 'a,b\n1,2\n3,x\n', /x\.csv: line 3, column 2 \("b"\): "x" is not a finite number/],
    ['a hex cell', 'a,b\n1,2\n3,0x10\n', /x\.csv: line 3, column 2 \("b"\): "0x10" is not a decimal number/],
    ['a hex cell with spaces', 'a,b\n1,2\n3, 0X1f \n', /x\.csv: line 3, column 2 \("b"\): "0X1f" is not a decimal number/],
    ['a binary cell', '1,2\n0b101,3\n', /x\.csv: line 2, column 1: "0b101" is not a decimal number/],
    ['an octal cell', '1,2\n0o17,3\n', /x\.csv: line 2, column 1: "0o17" is not a decimal number/],
    ['a numeric separator', '1,2\n1_000,3\n', /x\.csv: line 2, column 1: "1_000" is not a finite number/],
    ['a blank cell', '1,2\n3,   \n', /x\.csv: line 2, column 2: is empty/],
    ['inf', '1,2\ninf,3\n', /x\.csv: line 2, column 1: "inf" is not a finite number/],
    ['-Infinity', '1,2\n-Infinity,3\n', /x\.csv: line 2, column 1: "-Infinity" is not a finite number/],
    ['nan', '1,2\n3,nan\n', /x\.csv: line 2, column 2: "nan" is not a finite number/],
    ['a value beyond float64', '1,2\n3,1e400\n', /x\.csv: line 2, column 2: "1e400" is too large for a float64 number/],
    ['an empty cell', '1,2\n3,\n', /x\.csv: line 2, column 2: is empty/],
    ['a ragged row', 'a,b,c\n1,2,3\n4,5\n', /x\.csv: line 3 has 2 fields, the header \(line 1\) has 3/],
    ['a ragged row without header', '1,2,3\n4,5,6,7\n', /x\.csv: line 2 has 4 fields, the first row \(line 1\) has 3/],
    ['an empty file', '', /x\.csv is empty/],
    ['only blank lines', '\n\n', /x\.csv is empty/],
    ['a header and no data', 'a,b\n', /x\.csv has no data rows after its header/],
    ['an unclosed quote', '1,2\n3,"4\n', /x\.csv: line 2: a quoted field is never closed/],
    ['text after a closing quote', '1,"2"x\n', /x\.csv: line 1, column 2: unexpected "x" after a closing quote/],
    ['Infinity', '1,2\nInfinity,3\n', /x\.csv: line 2, column 1: "Infinity" is not a finite number/],
  ])('rejects %s, naming the file, line and column', async (_, text, message) => {
    await expect(readAll(new CsvSource(file('x.csv', text)))).rejects.toThrow(message);
  });

  // The header rule ('auto'): a first record is the header only if one of its cells can be nothing but a name. A first
  // record of numbers with a bad cell (empty, NaN, inf, hex, NA) is data, so the bad cell is the error it is on any
  // other line, and no row is dropped without a word.
  it.each([
    ['an empty cell', '1,,3\n4,5,6\n', /^x\.csv: line 1, column 2: is empty \(line 1 is read as data, as its other cells are numbers; if it names the columns, declare a header\)$/],
    ['a blank cell', '1, ,3\n4,5,6\n', /^x\.csv: line 1, column 2: is empty/],
    ['only empty cells', ',,\n4,5,6\n', /^x\.csv: line 1, column 1: is empty/],
    ['nan', '1,nan,3\n4,5,6\n', /^x\.csv: line 1, column 2: "nan" is not a finite number/],
    ['-inf', '-inf,2,3\n4,5,6\n', /^x\.csv: line 1, column 1: "-inf" is not a finite number/],
    ['NA', '1,NA,3\n4,5,6\n', /^x\.csv: line 1, column 2: "NA" is not a finite number/],
    ['Infinity', 'Infinity,2,3\n4,5,6\n', /^x\.csv: line 1, column 1: "Infinity" is not a finite number/],
    ['a hex cell', '0x10,2,3\n4,5,6\n', /^x\.csv: line 1, column 1: "0x10" is not a decimal number/],
  ])('takes a first record of numbers with %s for data, and refuses the cell (no row dropped)', async (_, text, message) => {
    await expect(readAll(new CsvSource(file('x.csv', text), { name: 'x.csv' }))).rejects.toThrow(message);
    // The same cell on a later line: the same error, without the note on line 1.
    const later = `7,8,9\n${text}`;
    const error = await readAll(new CsvSource(file('x.csv', later), { name: 'x.csv' })).then(() => null, (thrown: Error) => thrown);
    expect(error?.message).toMatch(/^x\.csv: line 2, column \d: /);
    expect(error?.message).not.toMatch(/read as data/);
  });

  it('still takes a first record with a word in it for the header, empty cells and all (pandas\' unnamed index)', async () => {
    const source = new CsvSource(file('x.csv', ',a,b\n1,2,3\n4,5,6\n'));
    expect(await readAll(source)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await source.info()).columnNames).toEqual(['', 'a', 'b']);
    expect(await readAll(new CsvSource(file('x.csv', 'nan,x\n1,2\n')))).toEqual([1, 2]);
  });

  it('reads past a UTF-8 byte order mark (JavaScript counts it as white space): a first record of numbers is still data, a header\'s first name is still found', async () => {
    const bom = '\uFEFF';
    const data = new TextEncoder().encode(`${bom}${asCsv()}`);
    for (const input of [file('x.csv', data), new Blob([data]), chunkedStream(data, [1, 2, 5, 11])]) {
      expect(await readAll(new CsvSource(input))).toEqual(values);
    }
    const named = new CsvSource(file('x.csv', `${bom}a,b,c,d,e\n${asCsv()}`), { columns: ['a'] });
    expect(await readAll(named)).toEqual(values.filter((_, i) => i % cols === 0));
    // Blocks read again from the start of the file skip it again.
    const blocks: number[] = [];
    for await (const batch of new CsvSource(file('x.csv', data)).batches(5, [0, 2, 1])) blocks.push(batch.data[0]);
    expect(blocks).toEqual([values[0], values[10 * cols], values[5 * cols]]);
  });

  it('reads every decimal form (signs, a bare fraction or point, exponents, spaces around) as float64, unrounded', async () => {
    const text = '+1,-2.5,.5,1.,1e3,-1E-2,+2.5e+1, 7 ,-0,1700000000.123456,1e40\n';
    expect(await readAll(new CsvSource(file('x.csv', text)))).toEqual([1, -2.5, 0.5, 1, 1000, -0.01, 25, 7, -0, 1700000000.123456, 1e40]);
  });

  it('accepts a cell exactly when it is a finite decimal number (fast-check, fixed seed)', async () => {
    // The reference grammar, written independently of the reader's fast path.
    const decimal = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
    const cell = fc.oneof(
      fc.stringMatching(/^[ 0-9+\-.eExXbBoO_]{0,8}$/),
      fc.constantFrom('0x10', '0b1', '0o7', '00x1', '-0x1', 'Infinity', '+inf', 'NaN', ' ', '0', '1e39', '1e309', '1_0', '.', '+.e1', '0e0'),
    );
    await fc.assert(fc.asyncProperty(cell, async (text) => {
      const expected = decimal.test(text) && Number.isFinite(Number(text));
      const read = readAll(new CsvSource(new TextEncoder().encode(`${text},1\n`), { name: 'x.csv', header: false, delimiter: ',' }));
      if (expected) expect(await read).toEqual([Number(text), 1]);
      else await expect(read).rejects.toThrow(/^x\.csv: line 1, column 1: /);
    }), { seed: 20261124, numRuns: 1000 });
  });

  it('rejects columns that do not exist', async () => {
    await expect(new CsvSource(file('x.csv', 'a,b\n1,2\n'), { columns: ['z'] }).info()).rejects.toThrow(/no column named "z"; the header has "a", "b"/);
    await expect(new CsvSource(file('x.csv', '1,2\n3,4\n'), { columns: ['a'] }).info()).rejects.toThrow(/asked for by name, but the data has no header row/);
    await expect(new CsvSource(file('x.csv', '1,2\n3,4\n'), { columns: [5] }).info()).rejects.toThrow(/there is no column 5 \(0-based\); the data has 2/);
    expect(() => new CsvSource('x.csv', { delimiter: ',,' })).toThrow(/delimiter must be one character/);
    expect(() => new CsvSource('x.csv', { columns: [] })).toThrow(/columns must be a non-empty array/);
  });

  it('quotes strings in option errors, so "1" never reads as 1', async () => {
    expect(() => new CsvSource('x.csv', { header: 'true' as never })).toThrow(/header must be true, false or 'auto', got "true"$/);
    expect(() => new CsvSource('x.csv', { columns: 'a,b' as never })).toThrow(/columns must be .*, got "a,b"$/);
    expect(() => new CsvSource('x.csv', { columns: ['a', -1] })).toThrow(/columns must be .*, got \["a", -1\]$/);
    expect(() => openSource('x.csv', { format: 'NPY' as never })).toThrow(/format must be 'npy', 'csv' or 'parquet', got "NPY"$/);
    await expect(readAll(new CsvSource(new TextEncoder().encode('1,2\n'), { name: 'x.csv' }), '8' as never)).rejects.toThrow(/x\.csv: batchSize must be a positive integer, got "8"$/);
  });

  it('names a file it cannot open', async () => {
    await expect(new CsvSource(join(directory, 'missing.csv')).info()).rejects.toThrow(/missing\.csv: could not open it: ENOENT/);
  });
});

describe('openSource', () => {
  it('picks the reader by extension, or as told', async () => {
    expect((await openSource(file('a.npy', npyBytes(values, rows, cols))).info()).format).toBe('npy');
    expect((await openSource(file('a.tsv', asCsv('\t'))).info()).format).toBe('csv');
    expect((await openSource(new Blob([asCsv()]), { format: 'csv' }).info()).cols).toBe(cols);
    expect(() => openSource(new Blob([asCsv()]))).toThrow(/cannot tell its format from its name: pass \{ format: 'npy' \}, \{ format: 'csv' \} or \{ format: 'parquet' \}/);
    expect(() => openSource('a.npy', { columns: [0] })).toThrow(/a\.npy is a \.npy file: columns only apply to CSV/);
  });
});

describe('fuzzing the parsers (fast-check, fixed seed)', () => {
  const settings = { seed: 20261123, numRuns: 300 };
  /** A parser's contract on any input: numbers, or a RangeError/TypeError; never another error, never a hang. */
  async function parsesOrRejectsCleanly(make: () => { batches(n: number): AsyncGenerator<{ data: Float32Array | Float64Array }> }) {
    try {
      const numbers = await readAll(make(), 3);
      expect(numbers.every(Number.isFinite)).toBe(true);
    } catch (error) {
      if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      expect((error as Error).message).toMatch(/^x\.(npy|csv)/);
    }
  }

  it('random bytes: .npy and CSV readers parse or reject with a named error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
      await parsesOrRejectsCleanly(() => new NpySource(bytes, { name: 'x.npy' }));
      await parsesOrRejectsCleanly(() => new CsvSource(bytes, { name: 'x.csv' }));
    }), settings);
  });

  it('mutated .npy files (bytes changed, cut, inserted): parse or reject with a named error', async () => {
    const base = npyBytes(values, rows, cols, 'float64', 2);
    const mutation = fc.record({
      at: fc.nat({ max: base.length - 1 }), byte: fc.integer({ min: 0, max: 255 }), cut: fc.nat({ max: base.length }),
      kind: fc.constantFrom('set', 'cut', 'insert'),
    });
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
      let bytes = base.slice();
      for (const { at, byte, cut, kind } of mutations) {
        if (kind === 'set') bytes[at % bytes.length] = byte;
        else if (kind === 'cut') bytes = bytes.slice(0, cut);
        else bytes = new Uint8Array([...bytes.slice(0, at), byte, ...bytes.slice(at)]);
        if (bytes.length === 0) break;
      }
      await parsesOrRejectsCleanly(() => new NpySource(bytes, { name: 'x.npy' }));
      await parsesOrRejectsCleanly(() => new NpySource(chunkedStream(bytes, [3, 17]), { name: 'x.npy' }));
    }), settings);
  });

  it('any float32 matrix written as CSV, with any quoting and line ends, reads back exactly', async () => {
    const matrix = fc.integer({ min: 1, max: 6 }).chain((width) =>
      fc.array(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }));
    const style = fc.record({ quote: fc.boolean(), crlf: fc.boolean(), delimiter: fc.constantFrom(',', '\t', ';'), chunk: fc.integer({ min: 1, max: 9 }) });
    await fc.assert(fc.asyncProperty(matrix, style, async (table, { quote, crlf, delimiter, chunk }) => {
      const text = table.map((row) => row.map((v) => (quote ? `"${v}"` : String(v))).join(delimiter)).join(crlf ? '\r\n' : '\n');
      const source = new CsvSource(chunkedStream(new TextEncoder().encode(text), [chunk]), { name: 'x.csv', delimiter, header: false });
      // String(-0) is '0': the text itself has lost the sign.
      expect(await readAll(source, 2)).toEqual(table.flat().map((v) => (Object.is(v, -0) ? 0 : v)));
    }), settings);
  });

  it('mutated CSV text: parses or rejects with a named error', async () => {
    const base = `a,b,"c"\n${asCsv().split('\n').slice(0, 6).map((l) => l.split(',').slice(0, 3).join(',')).join('\n')}\n`;
    await fc.assert(fc.asyncProperty(fc.nat({ max: base.length - 1 }), fc.constantFrom('"', ',', '\n', '\r', 'x', '', '1e99', '-'), async (at, insert) => {
      const text = base.slice(0, at) + insert + base.slice(at + (insert === '' ? 1 : 0));
      await parsesOrRejectsCleanly(() => new CsvSource(new TextEncoder().encode(text), { name: 'x.csv' }));
    }), settings);
  });
});
