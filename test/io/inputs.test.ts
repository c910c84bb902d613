// The readers' hold on what they open, and inputs that are not plain files: every file a source opens is closed
// on every path (success, a bad value, a bad header, an iterator left early), streams are cancelled when left,
// FIFOs and character devices are read once as streams, directories are named as such.

import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvSource, EigenGame, NpySource, openSource, pca, type MatrixSource } from '../../src/entries/node';
import { chunkedStream, npyBytes, readAll } from '../helpers/npy';

const directory = mkdtempSync(join(tmpdir(), 'eigengame-inputs-'));
function file(name: string, contents: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return path;
}

const rows = 40;
const cols = 3;
const values = Array.from({ length: rows * cols }, (_, i) => Math.fround(Math.cos(i) * 10));
const dataLines = Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols).join(','));
const csvText = `${['a,b,c', ...dataLines].join('\n')}\n`;
const csvFile = file('good.csv', csvText);
const npyFile = file('good.npy', npyBytes(values, rows, cols));
const badValueCsv = file('bad-value.csv', `${['a,b,c', ...dataLines.slice(0, 20), 'x,1,2', ...dataLines.slice(20)].join('\n')}\n`);
const headerOnlyCsv = file('header-only.csv', 'a,b,c\n');
const truncatedNpy = file('truncated.npy', npyBytes(values, rows, cols).subarray(0, 200));
const nanNpy = (() => {
  const bytes = npyBytes(values, rows, cols);
  new DataView(bytes.buffer).setFloat32(bytes.length - 4 * 10, NaN, true);
  return file('nan.npy', bytes);
})();

/** Open file descriptors of this process (/dev/fd lists them on Linux and macOS). */
const openDescriptors = () => readdirSync('/dev/fd').length;

/**
 * Runs `operation` `times` times, keeping every source it made alive (a source that held a file would hold it
 * until the end, not until a garbage collection), and returns how many more descriptors are open afterwards.
 */
async function leakedDescriptors(times: number, operation: (keep: (source: MatrixSource) => MatrixSource) => Promise<unknown>): Promise<number> {
  const kept: MatrixSource[] = [];
  const keep = (source: MatrixSource) => (kept.push(source), source);
  await operation(keep); // a first round opens what Node opens once (thread pool, ...)
  const before = openDescriptors();
  for (let i = 0; i < times; i++) await operation(keep);
  const after = openDescriptors();
  expect(kept.length).toBeGreaterThan(times);
  return after - before;
}

async function leaveEarly(source: MatrixSource, batchSize: number, blockOrder?: number[]): Promise<void> {
  for await (const batch of source.batches(batchSize, blockOrder)) {
    expect(batch.rows).toBe(batchSize);
    break;
  }
}

describe('every file a source opens is closed', () => {
  const times = 30;
  it.each<[string, (keep: (source: MatrixSource) => MatrixSource) => Promise<unknown>]>([
    ['CSV info() alone', (keep) => keep(new CsvSource(csvFile)).info()],
    ['.npy info() alone', (keep) => keep(new NpySource(npyFile)).info()],
    ['a CSV read to its end', (keep) => readAll(keep(new CsvSource(csvFile)))],
    ['a CSV with a bad value mid-file', async (keep) => expect(readAll(keep(new CsvSource(badValueCsv)))).rejects.toThrow(/bad-value\.csv: line 22, column 1 \("a"\): "x" is not a finite number/)],
    ['a .npy with a NaN mid-file', async (keep) => expect(readAll(keep(new NpySource(nanNpy)))).rejects.toThrow(/nan\.npy: row \d+, column \d is NaN/)],
    ['a header-only CSV', async (keep) => expect(keep(new CsvSource(headerOnlyCsv)).info()).rejects.toThrow(/header-only\.csv has no data rows after its header/)],
    ['a truncated .npy', async (keep) => expect(keep(new NpySource(truncatedNpy)).info()).rejects.toThrow(/truncated\.npy is truncated/)],
    ['a CSV left early', (keep) => leaveEarly(keep(new CsvSource(csvFile)), 4)],
    ['a CSV left early in block order (after its indexing pass)', (keep) => leaveEarly(keep(new CsvSource(csvFile)), 4, [3, 1, 0])],
    ['a .npy left early', (keep) => leaveEarly(keep(new NpySource(npyFile)), 4, [2, 0])],
    ['a pca fit rejected for a bad value', async (keep) => expect(pca(keep(new CsvSource(badValueCsv)), { k: 1, devices: 1 })).rejects.toThrow(/"x" is not a finite number/)],
    ['EigenGame.run stopping before the end of the file', async (keep) => {
      const game = await EigenGame.create({ d: cols, k: 1 });
      try {
        await game.run(keep(new NpySource(npyFile)), { steps: 2, batchSize: 4 });
      } finally {
        game.dispose();
      }
    }],
    ['a directory', async (keep) => expect(keep(new CsvSource(directory, { name: 'the-dir' })).info()).rejects.toThrow('the-dir is a directory, not a data file')],
  ])('%s', async (_, operation) => {
    expect(await leakedDescriptors(times, operation)).toBe(0);
  });

  it('the same source can be read again and again (each operation opens and closes its own handle)', async () => {
    const source = new CsvSource(csvFile);
    const before = openDescriptors();
    for (let i = 0; i < 5; i++) expect(await readAll(source, 8)).toEqual(values);
    expect(openDescriptors() - before).toBe(0);
  });
});

/** A ReadableStream of `chunks` that records whether it was cancelled. */
function watchedStream(chunks: Uint8Array[]) {
  const state = { cancelled: false, stream: null as unknown as ReadableStream<Uint8Array> };
  let next = 0;
  state.stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return state;
}

const lines = (text: string) => text.split(/(?<=\n)/).map((line) => new TextEncoder().encode(line));

describe('streams are released however they end', () => {
  it('a ReadableStream left early is cancelled and unlocked (CSV and .npy)', async () => {
    const csv = watchedStream(lines(csvText));
    await leaveEarly(new CsvSource(csv.stream, { name: 's.csv' }), 4);
    expect(csv.cancelled).toBe(true);
    expect(csv.stream.locked).toBe(false);
    const bytes = npyBytes(values, rows, cols);
    const npy = watchedStream([bytes.subarray(0, 100), bytes.subarray(100, 300), bytes.subarray(300)]);
    await leaveEarly(new NpySource(npy.stream, { name: 's.npy' }), 4);
    expect(npy.cancelled).toBe(true);
    expect(npy.stream.locked).toBe(false);
  });

  it('pca releases a stream it refuses: bad options, k above d, or a bad value', async () => {
    const refusals: [object, RegExp][] = [
      [{ k: 'two' }, /k must be a positive integer .*got "two"/],
      [{ k: cols + 1 }, /k = \d+ is larger than d/],
      [{ k: 1, batchSize: 1 }, /batchSize must be an integer ≥ 2/],
    ];
    for (const [options, message] of refusals) {
      const stream = watchedStream(lines(csvText));
      await expect(pca(new CsvSource(stream.stream, { name: 's.csv' }), options as never)).rejects.toThrow(message);
      expect(stream.cancelled, JSON.stringify(options)).toBe(true);
      expect(stream.stream.locked).toBe(false);
    }
  });

  it('a stream with a bad header is cancelled by info(); one only described is cancelled by close()', async () => {
    const bad = watchedStream(lines('not npy at all\n'.repeat(5)));
    await expect(new NpySource(bad.stream, { name: 's.npy' }).info()).rejects.toThrow(/s\.npy is not a \.npy file/);
    expect(bad.cancelled).toBe(true);
    const described = watchedStream(lines(csvText));
    const source = new CsvSource(described.stream, { name: 's.csv' });
    expect((await source.info()).rereadable).toBe(false);
    expect(described.cancelled).toBe(false);
    await source.close();
    expect(described.cancelled).toBe(true);
    expect(described.stream.locked).toBe(false);
    await expect(readAll(source)).rejects.toThrow(/s\.csv is a stream and has been read \(or closed\) already/);
  });

  it('a stream with a bad value is cancelled', async () => {
    const csv = watchedStream(lines(csvText.replace('\n', '\n1,2,x\n')));
    await expect(readAll(new CsvSource(csv.stream, { name: 's.csv' }))).rejects.toThrow(/s\.csv: line 2, column 3 \("c"\): "x" is not a finite number/);
    expect(csv.cancelled).toBe(true);
  });

  it('a stream in 1-byte chunks with a long first line or a long .npy header is read in linear time', async () => {
    // Each chunk used to be checked again (CSV) or copied again (.npy) whenever another came: quadratic.
    const wide = Array.from({ length: 6000 }, (_, i) => i % 10);
    const csv = new TextEncoder().encode(`${wide.join(',')}\n${wide.join(',')}\n`);
    expect(await readAll(new CsvSource(chunkedStream(csv, [1]), { name: 's.csv' }), 2)).toEqual([...wide, ...wide]);
    // A version 2.0 header padded to 256 KiB.
    const text = new TextEncoder().encode(`${"{'descr': '<f4', 'fortran_order': False, 'shape': (40, 3), }".padEnd(2 ** 18 - 1)}\n`);
    const data = npyBytes(values, rows, cols).subarray(128);
    const padded = new Uint8Array(12 + text.length + data.length);
    padded.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(padded.buffer).setUint32(8, text.length, true);
    padded.set(text, 12);
    padded.set(data, 12 + text.length);
    expect(await readAll(new NpySource(chunkedStream(padded, [1]), { name: 's.npy' }))).toEqual(values);
  });

  it('a Node stream left early is destroyed', async () => {
    const stream = Readable.from(lines(csvText));
    await leaveEarly(new CsvSource(stream, { name: 's.csv' }), 4);
    expect(stream.destroyed).toBe(true);
  });
});

describe('files that are not regular files', () => {
  it('a FIFO is read once, as a stream, and closed', async () => {
    const fifo = join(directory, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const before = openDescriptors();
    const writer = createWriteStream(fifo);
    const written = new Promise<void>((resolve) => writer.on('close', () => resolve()));
    writer.end(csvText);
    const source = openSource(fifo);
    expect(await source.info()).toMatchObject({ rereadable: false, cols, columnNames: ['a', 'b', 'c'] });
    expect(await readAll(source)).toEqual(values);
    await written;
    expect(openDescriptors()).toBe(before);
  });

  it('/dev/zero is not empty: read as .npy it is not one, read as CSV it is binary, and neither reads forever', async () => {
    await expect(new NpySource('/dev/zero').info()).rejects.toThrow(/\/dev\/zero is not a \.npy file: it does not start with \\x93NUMPY/);
    await expect(readAll(openSource('/dev/zero', { format: 'csv' }))).rejects.toThrow(/^\/dev\/zero has a NUL byte at byte offset 0: it is binary data \(or UTF-16 text\), not CSV$/);
  });

  it('a directory is named as one, never as a bare EISDIR', async () => {
    for (const source of [new CsvSource(directory), new NpySource(directory), openSource(new URL(`file://${directory}`), { format: 'npy' })]) {
      await expect(source.info()).rejects.toThrow(`${directory} is a directory, not a data file`);
    }
  });
});

/** A stream of `prefix`, then `pattern` repeated forever in chunks of at most 1 MiB, counting the bytes pulled from it. */
function endless(prefix: string, pattern: string) {
  const chunk = new TextEncoder().encode(pattern.repeat(Math.floor(2 ** 20 / pattern.length)));
  const state = { pulled: 0, cancelled: false, stream: null as unknown as ReadableStream<Uint8Array> };
  state.stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (prefix) controller.enqueue(new TextEncoder().encode(prefix));
    },
    pull(controller) {
      state.pulled += chunk.byteLength;
      controller.enqueue(chunk.slice());
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return state;
}

describe('long cells, binary files and files without line ends', () => {
  const long = 'x'.repeat(300_000);

  it('a 300 kB header cell or text cell is read (and a column can be chosen by its 300 kB name)', async () => {
    const text = `a,${long},c\n1,"${long}",2\n3,"${long}",4\n`;
    const path = file('long.csv', text);
    expect(await readAll(new CsvSource(path, { columns: ['a', 'c'] }))).toEqual([1, 2, 3, 4]);
    expect((await new CsvSource(path, { columns: [long] }).info()).columnNames).toEqual([long]);
  });

  it('a 300 kB cell that is not a number is named, cut short, with its file, line and column', async () => {
    await expect(readAll(new CsvSource(file('long.csv', `a,b\n1,2\n3,${long}\n`), { name: 'long.csv' }))).rejects.toThrow(
      new RegExp(`^long\\.csv: line 3, column 2 \\("b"\\): "${'x'.repeat(64)}"… \\(300000 characters\\) is not a finite number$`),
    );
  });

  it('a field of exactly 1 MiB is read; one byte more is refused, naming the line and column', async () => {
    const limit = 2 ** 20;
    const exactly = `a,b\n1,"${'y'.repeat(limit)}"\n`;
    expect(await readAll(new CsvSource(file('mib.csv', exactly), { columns: ['a'] }))).toEqual([1]);
    const over = `a,b\n1,2\n3,"${'y'.repeat(limit + 1)}"\n`;
    await expect(readAll(new CsvSource(file('mib.csv', over), { columns: ['a'], name: 'mib.csv' }))).rejects.toThrow(
      /^mib\.csv: line 3, column 2: a field longer than 1048576 bytes \(1 MiB\) is not read \(is a quote or a line end missing\?\)$/,
    );
  });

  // What a stream of each kind must be refused within: the limit it meets, plus a chunk read ahead.
  it.each([
    ['digits without a delimiter', '', '1234567890', /^s\.csv: line 1, column 1: a field longer than 1048576 bytes \(1 MiB\) is not read/, 3],
    ['a quote never closed', '2,"', '1,2\n', /^s\.csv: line 1, column 2: a field longer than 1048576 bytes \(1 MiB\) is not read \(is a quote or a line end missing\?\)$/, 3],
    ['short fields without a line end', '', '1,', /^s\.csv: line 1: a record of more than 1048576 fields is not read \(is a line end missing\?\)$/, 4],
    ['long fields without a line end', '', `${'9'.repeat(99)},`, /^s\.csv: line 1: a record longer than 67108864 bytes \(64 MiB\) is not read \(is a line end missing\?\)$/, 66],
  ])('an endless stream of %s is refused after a bounded read, and cancelled', async (_, prefix, pattern, message, mebibytes) => {
    const source = endless(prefix, pattern);
    await expect(readAll(new CsvSource(source.stream, { name: 's.csv', header: false, delimiter: ',' }))).rejects.toThrow(message);
    expect(source.pulled).toBeLessThanOrEqual(mebibytes * 2 ** 20);
    expect(source.cancelled).toBe(true);
  }, 120_000); // 64 MiB parsed: about 1 s here, and many times that on a loaded machine

  it('a NUL byte makes a file binary, named with its byte offset', async () => {
    await expect(readAll(new CsvSource(file('nul.csv', 'a,b\n1,2\n3,\0\n'), { name: 'nul.csv' }))).rejects.toThrow(/^nul\.csv has a NUL byte at byte offset 10: it is binary data \(or UTF-16 text\), not CSV$/);
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from('a,b\n1,2\n', (c) => [c.charCodeAt(0), 0]).flat()]);
    await expect(readAll(new CsvSource(file('utf16.csv', utf16), { name: 'utf16.csv' }))).rejects.toThrow(/^utf16\.csv has a NUL byte at byte offset 3: it is binary data \(or UTF-16 text\)/);
  });
});
