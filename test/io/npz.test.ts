// scipy.sparse.save_npz files: the fixtures scipy wrote (test/fixtures/sparse, by scripts/sparse-fixtures.py) read
// against numpy's dense truth, in every layout and dtype save_npz writes; zips built here (node:zlib's deflate and
// CRC-32) for zip64 records and for what scipy never writes; and every error on bytes damaged at known offsets.

import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openSource, readSparse } from '../../src/entries/node';
import {
  bytesOf, chunked, densify, npyBytes, npzEntries, readDenseTruth, sparseFixture, transposeRows, zipBytes,
} from '../helpers/sparse-files';

const fixtureBytes = (name: string) => new Uint8Array(readFileSync(sparseFixture(name)));

/** Where the central directory starts (a file without a zip comment: the end record is its last 22 bytes). */
function directoryOffset(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.byteLength - 22 + 16, true);
}

describe('.npz files written by scipy.sparse.save_npz', () => {
  it.each([
    ['csr.npz', 'csr', Int32Array, Float64Array],
    ['csc-stored.npz', 'csc', Int32Array, Float32Array],
    ['csr-int64.npz', 'csr', Int32Array, Float64Array],
    ['csr-counts.npz', 'csr', Int32Array, Float64Array],
    ['csr-bool.npz', 'csr', Int32Array, Float64Array],
    ['csr-big-endian.npz', 'csr', Int32Array, Float64Array],
    ['coo.npz', 'csr', Int32Array, Float64Array],
  ] as const)('%s: numpy\'s dense matrix, every value to the bit', async (name, format, Indices, Data) => {
    const matrix = await readSparse(sparseFixture(name));
    expect(matrix.format).toBe(format);
    expect(matrix.indices).toBeInstanceOf(Indices);
    expect(matrix.indptr).toBeInstanceOf(Int32Array);
    expect(matrix.data).toBeInstanceOf(Data);
    expect(densify(matrix)).toEqual(readDenseTruth(name));
  });

  it('coo.npz keeps its duplicate entry for the fit to sum, rows sorted stably', async () => {
    // scipy's coo: (0,1) 1.5, (2,0) −2, (1,4) 0.25, (3,3) 4, (2,0) 3, (0,2) −1/3.
    const matrix = await readSparse(sparseFixture('coo.npz'));
    expect(Array.from(matrix.indptr)).toEqual([0, 2, 3, 5, 6]);
    expect(Array.from(matrix.indices)).toEqual([1, 2, 4, 0, 0, 3]);
    expect(Array.from(matrix.data)).toEqual([1.5, -1 / 3, 0.25, -2, 3, 4]);
  });

  it('transpose reads csr as the transpose\'s csc, and csc as csr, without a copy', async () => {
    const csr = await readSparse(sparseFixture('csr.npz'), { transpose: true });
    expect(csr).toMatchObject({ format: 'csc', rows: 7, cols: 9 });
    expect(densify(csr)).toEqual(transposeRows(readDenseTruth('csr.npz')));
    const csc = await readSparse(sparseFixture('csc-stored.npz'), { transpose: true });
    expect(csc).toMatchObject({ format: 'csr', rows: 11, cols: 8 });
    expect(densify(csc)).toEqual(transposeRows(readDenseTruth('csc-stored.npz')));
  });

  it('a Blob, a File, bytes without a name, a ReadableStream in small chunks and a Node stream give the same matrix', async () => {
    const bytes = fixtureBytes('csr.npz');
    const truth = readDenseTruth('csr.npz');
    const inputs = [
      new Blob([bytes]), new File([bytes], 'x.npz'), bytes, bytes.buffer, chunked(bytes, 7), Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]),
    ];
    for (const input of inputs) expect(densify(await readSparse(input))).toEqual(truth);
  });

  it('openSource, which reads dense rows, refuses a sparse file\'s name and points to readSparse', () => {
    for (const [name, kind] of [['x.npz', 'npz'], ['m.mtx', 'mtx'], ['m.MTX.GZ', 'mtx.gz']]) {
      expect(() => openSource(new Uint8Array(8), { name })).toThrow(
        `${name} is a sparse matrix file (.${kind}): read it with readSparse(input) and hand the matrix to pca; openSource reads dense rows (.npy, CSV, Parquet)`,
      );
    }
  });

  it('a runtime without DecompressionStream: a deflated file is refused saying so and what to do, a stored one reads', async () => {
    const saved = globalThis.DecompressionStream;
    // @ts-expect-error: a runtime that lacks it
    delete globalThis.DecompressionStream;
    try {
      await expect(readSparse(sparseFixture('csr.npz'), { name: 'c.npz' })).rejects.toThrow(
        "c.npz, entry format.npy: this runtime has no DecompressionStream (Node ≥ 18 and current browsers have it), so deflate-raw data cannot be inflated: save it with scipy.sparse.save_npz(file, X, compressed=False)",
      );
      expect(densify(await readSparse(sparseFixture('csc-stored.npz')))).toEqual(readDenseTruth('csc-stored.npz'));
    } finally {
      globalThis.DecompressionStream = saved;
    }
  });

  it('a bsr file is refused by its format\'s name, with the conversion to make', async () => {
    await expect(readSparse(sparseFixture('bsr.npz'), { name: 'b.npz' })).rejects.toThrow(
      'b.npz holds a bsr matrix: eigengame reads csr, csc and coo; save it with save_npz(file, X.tocsr())',
    );
  });
});

describe('.npz zips built here', () => {
  const csr = {
    format: 'csr', shape: [3, 4] as [number, number], indptr: Int32Array.from([0, 2, 2, 3]), indices: Int32Array.from([1, 3, 0]),
    values: Float64Array.from([0.5, -2, 7]),
  };
  const dense = [[0, 0.5, 0, -2], [0, 0, 0, 0], [7, 0, 0, 0]];

  it('zip64 records (the end record deferring to them, sizes and offsets in zip64 extra fields), stored and deflated', async () => {
    for (const deflate of [false, true]) {
      const matrix = await readSparse(zipBytes(npzEntries(csr), { zip64: true, deflate }), { format: 'npz' });
      expect(densify(matrix)).toEqual(dense);
    }
  });

  it('a format.npy of numpy\'s str type (\'<U3\', UTF-32) as well as bytes', async () => {
    const entries = npzEntries(csr).map((entry) => (entry.name === 'format.npy'
      ? { name: entry.name, bytes: npyBytes('<U3', '()', bytesOf(Uint32Array.from([...'csr'].map((c) => c.charCodeAt(0))))) } : entry));
    expect(densify(await readSparse(zipBytes(entries), { name: 'u.npz' }))).toEqual(dense);
  });

  it('64-bit indices beyond 32 bits are refused naming the entry and the position', async () => {
    const entries = npzEntries({ ...csr, indices: BigInt64Array.from([1n, 2n ** 32n + 1n, 0n]) });
    await expect(readSparse(zipBytes(entries), { name: 'big.npz' })).rejects.toThrow(
      'big.npz, entry indices.npy: value 4294967297 at position 1 does not fit in 32 bits',
    );
  });

  it.each([
    ['indptr of the wrong length for the shape', { indptr: Int32Array.from([0, 2, 3]) },
      'e.npz: indptr.npy has 3 offsets, but a csr matrix of shape (3, 4) has 4 (rows + 1)'],
    ['indices and data of different lengths', { indices: Int32Array.from([1, 3]) },
      'e.npz: indices.npy has 2 values but data.npy has 3: they must have one per stored entry'],
    ['a format that is no sparse format', { format: 'abc' }, 'e.npz: format.npy says "abc", not a scipy sparse format (csr, csc or coo)'],
    ['dia, refused by name', { format: 'dia' }, 'e.npz holds a dia matrix: eigengame reads csr, csc and coo'],
    ['a negative shape', { shape: BigInt64Array.from([-1n, 4n]) }, 'e.npz: shape.npy says (-1, 4): each must be a whole number from 0 to 2^31 − 1'],
    ['complex data', { dataDescr: '<c8', data: new Uint8Array(24) }, "e.npz: data.npy has dtype '<c8': complex values have no principal components here"],
    ['float16 data', { dataDescr: '<f2', data: new Uint8Array(6), dataCount: 3 }, "e.npz: data.npy has dtype '<f2'; eigengame reads float32, float64, integer and bool data"],
    ['an entry longer than its header says', { dataDescr: '<f4', data: new Uint8Array(24), dataCount: 3 },
      "e.npz, entry data.npy: its header says 3 values of '<f4' (12 bytes), but the entry has 24 bytes after its 128-byte header"],
  ] as const)('%s', async (_, change, message) => {
    const entries = npzEntries({ ...csr, ...change } as Parameters<typeof npzEntries>[0]);
    const promise = readSparse(zipBytes(entries), { name: 'e.npz' });
    await expect(promise).rejects.toThrow(message);
  });

  it('coo row and col are checked against the shape before the sort, naming the entry', async () => {
    const coo = { format: 'coo', shape: [2, 2] as [number, number], row: Int32Array.from([0, 2]), col: Int32Array.from([1, 1]), values: Float64Array.from([1, 2]) };
    await expect(readSparse(zipBytes(npzEntries(coo)), { name: 'c.npz' })).rejects.toThrow(
      'c.npz: entry 1 of row.npy and col.npy has row 2, outside the shape\'s 2 rows (0 to 1)',
    );
  });

  it('a missing entry is named, with the entries there are', async () => {
    const entries = npzEntries(csr).filter((entry) => entry.name !== 'indptr.npy');
    await expect(readSparse(zipBytes(entries), { name: 'm.npz' })).rejects.toThrow(
      'm.npz has no entry indptr.npy (its entries: indices.npy, format.npy, shape.npy, data.npy): not a file written by scipy.sparse.save_npz',
    );
  });
});

describe('damaged .npz files: errors name the file, the entry and the offset', () => {
  it('a bad local header signature at byte 0', async () => {
    const bytes = fixtureBytes('csr.npz');
    bytes[0] = 0x51; // 'Q' instead of 'P': the first entry (indices.npy) starts at 0
    await expect(readSparse(bytes, { name: 'd.npz', format: 'npz' })).rejects.toThrow(
      'd.npz, entry indices.npy: bad signature at byte 0: expected a local file header (PK\\3\\4)',
    );
  });

  it('a bad central directory signature', async () => {
    const bytes = fixtureBytes('csr.npz');
    const at = directoryOffset(bytes);
    bytes[at + 1] = 0;
    await expect(readSparse(bytes, { name: 'd.npz' })).rejects.toThrow(
      `d.npz: bad signature at byte ${at}: expected a central directory entry (PK\\1\\2), entry 1 of 5`,
    );
  });

  it('a CRC-32 that the inflated data does not match', async () => {
    const bytes = fixtureBytes('csr.npz');
    const at = directoryOffset(bytes) + 16; // the first entry's CRC-32
    bytes[at] ^= 0x01;
    await expect(readSparse(bytes, { name: 'd.npz' })).rejects.toThrow(/^d\.npz, entry indices\.npy: CRC-32 mismatch: its data \(bytes \d+–\d+\) gives 0x[0-9a-f]{8}, the central directory says 0x[0-9a-f]{8}: the file is damaged$/);
  });

  it('a stored entry whose bytes changed fails its CRC-32', async () => {
    const bytes = fixtureBytes('csc-stored.npz');
    bytes[200] ^= 0x10; // inside indices.npy's stored data
    await expect(readSparse(bytes, { name: 's.npz' })).rejects.toThrow(/^s\.npz, entry indices\.npy: CRC-32 mismatch/);
  });

  it('deflated data that is corrupt', async () => {
    const bytes = fixtureBytes('csr.npz');
    bytes.fill(0xff, 60, 80); // inside indices.npy's deflated data (it starts at byte 30 + 11 + the zip64 extra)
    await expect(readSparse(bytes, { name: 'd.npz' })).rejects.toThrow(/^d\.npz, entry indices\.npy: (its deflated data \(bytes \d+–\d+\) is corrupt after \d+ inflated bytes|CRC-32 mismatch)/);
  });

  it('an unknown compression method', async () => {
    const bytes = fixtureBytes('csr.npz');
    const at = directoryOffset(bytes);
    bytes[at + 10] = 12; // bzip2
    await expect(readSparse(bytes, { name: 'd.npz' })).rejects.toThrow(
      `d.npz, entry indices.npy (central directory at byte ${at}): compression method 12 is not supported (stored, 0, and deflated, 8, are)`,
    );
  });

  it('a truncated file: no end record', async () => {
    const bytes = fixtureBytes('csr.npz').subarray(0, 600);
    await expect(readSparse(bytes, { name: 't.npz' })).rejects.toThrow(
      't.npz is truncated or damaged: it starts as a zip file but has no end of central directory record (PK\\5\\6) in its last 600 bytes',
    );
  });

  it('an entry whose data reaches past the end of the file', async () => {
    const bytes = fixtureBytes('csr.npz');
    const at = directoryOffset(bytes) + 20; // the first entry's compressed size
    new DataView(bytes.buffer).setUint32(at, 100000, true);
    // indices.npy's data starts after its 30-byte local header, its 11-byte name and numpy's 20-byte zip64 extra.
    await expect(readSparse(bytes, { name: 'c.npz' })).rejects.toThrow(
      `c.npz is truncated: indices.npy's data at bytes 61–100060 reaches past the end of the file (${bytes.byteLength} bytes)`,
    );
  });

  it('bytes that are no zip at all', async () => {
    await expect(readSparse(new TextEncoder().encode('hello, this is not a zip file'), { name: 'n.npz' })).rejects.toThrow(
      'n.npz is not a .npz file: it is no zip archive (it does not start with PK\\3\\4 and has no end of central directory record)',
    );
  });

  it('a signal aborted before reading, or while a stream is gathered, rejects with its reason, the stream released', async () => {
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await expect(readSparse(fixtureBytes('csr.npz'), { signal: aborted.signal })).rejects.toThrow('stop');
    // An endless stream (a zip's directory is at its end: the stream is gathered first): the user gives up after 50
    // chunks, from a timer (a macrotask, as a click would be).
    const controller = new AbortController();
    let sent = 0;
    let released = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++sent === 50) setTimeout(() => controller.abort(new Error('given up')), 0);
        c.enqueue(new Uint8Array(1024));
      },
      cancel: () => void (released = true),
    });
    await expect(readSparse(stream, { format: 'npz', signal: controller.signal })).rejects.toThrow('given up');
    expect(released).toBe(true);
  });
});
