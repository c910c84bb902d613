// Helpers of the sparse file readers' tests: a zip writer (node:zlib's deflate and CRC-32, not the reader's), a
// writer of 1-d .npy arrays in numpy's layout, the dense truths numpy wrote beside the fixtures, and a SparseMatrix
// made dense (duplicates summed, as scipy does).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import type { vi } from 'vitest';
import type { ByteFile, ByteStream } from '../../src/hosts/bytes';
import type { SparseMatrix } from '../../src/io/sparse';

export const sparseFixture = (name: string) => fileURLToPath(new URL(`../fixtures/sparse/${name}`, import.meta.url));

/** A 2-d float64 '<f8' C-order .npy file (the dense truths) as rows. */
export function readDenseTruth(name: string): number[][] {
  const bytes = readFileSync(sparseFixture(`${name}.dense.npy`));
  const headerLength = bytes.readUInt16LE(8);
  const text = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const [rows, cols] = /\((\d+), (\d+)\)/.exec(text)!.slice(1).map(Number);
  expectDescr(text, '<f8');
  if (!text.includes("'fortran_order': False")) throw new Error(`a dense truth is not in C order: ${text}`);
  const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.byteLength));
  return Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * cols, (r + 1) * cols)));
}

function expectDescr(text: string, descr: string): void {
  if (!text.includes(`'descr': '${descr}'`)) throw new Error(`a dense truth is not ${descr}: ${text}`);
}

/** The matrix as rows of numbers, duplicates summed. */
export function densify(matrix: SparseMatrix): number[][] {
  const dense = Array.from({ length: matrix.rows }, () => new Array<number>(matrix.cols).fill(0));
  const major = matrix.format === 'csr' ? matrix.rows : matrix.cols;
  for (let m = 0; m < major; m++) {
    for (let at = Number(matrix.indptr[m]); at < Number(matrix.indptr[m + 1]); at++) {
      const [r, c] = matrix.format === 'csr' ? [m, Number(matrix.indices[at])] : [Number(matrix.indices[at]), m];
      dense[r][c] += matrix.data[at];
    }
  }
  return dense;
}

export const transposeRows = (rows: number[][]) => rows[0].map((_, c) => rows.map((row) => row[c]));

/** A 1-d (or 0-d, `shape` '()') .npy array: numpy's v1.0 header padded to 64 bytes, then the bytes. */
export function npyBytes(descr: string, shape: string, data: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const padded = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const text = dict + ' '.repeat(padded - 10 - dict.length - 1) + '\n';
  const out = new Uint8Array(padded + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  out.set(data, padded);
  return out;
}

export const bytesOf = (array: ArrayBufferView) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/** The arrays of a save_npz file, as .npy entries. */
export function npzEntries(arrays: {
  format: string; shape: [number, number] | BigInt64Array; data?: Uint8Array; dataDescr?: string; dataCount?: number;
  indices?: Int32Array | BigInt64Array; indptr?: Int32Array | BigInt64Array; row?: Int32Array; col?: Int32Array; values?: Float64Array;
}): { name: string; bytes: Uint8Array }[] {
  const entries: { name: string; bytes: Uint8Array }[] = [];
  const intArray = (name: string, array: Int32Array | BigInt64Array) =>
    entries.push({ name, bytes: npyBytes(array instanceof BigInt64Array ? '<i8' : '<i4', `(${array.length},)`, bytesOf(array)) });
  if (arrays.indices) intArray('indices.npy', arrays.indices);
  if (arrays.indptr) intArray('indptr.npy', arrays.indptr);
  if (arrays.row) intArray('row.npy', arrays.row);
  if (arrays.col) intArray('col.npy', arrays.col);
  entries.push({ name: 'format.npy', bytes: npyBytes('|S3', '()', new TextEncoder().encode(arrays.format)) });
  const shape = arrays.shape instanceof BigInt64Array ? arrays.shape : BigInt64Array.from(arrays.shape.map(BigInt));
  entries.push({ name: 'shape.npy', bytes: npyBytes('<i8', '(2,)', bytesOf(shape)) });
  const values = arrays.values ?? new Float64Array(0);
  entries.push({ name: 'data.npy', bytes: npyBytes(arrays.dataDescr ?? '<f8', `(${arrays.dataCount ?? (arrays.data ? arrays.data.byteLength / 8 : values.length)},)`, arrays.data ?? bytesOf(values)) });
  return entries;
}

/**
 * A zip of `entries`, each stored or deflated, as Python's zipfile lays it out; `zip64` writes the zip64 end record
 * and locator (the classic end record's fields 0xFFFF…), and zip64 extra fields for the sizes and offsets.
 */
export function zipBytes(entries: { name: string; bytes: Uint8Array }[], options: { deflate?: boolean; zip64?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, bytes } of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const stored = options.deflate ? new Uint8Array(deflateRawSync(bytes)) : bytes;
    const crc = crc32(bytes);
    const extra = options.zip64 ? zip64Extra([bytes.byteLength, stored.byteLength, offset]) : new Uint8Array(0);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, options.deflate ? 8 : 0, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, stored.byteLength, true);
    local.setUint32(22, bytes.byteLength, true);
    local.setUint16(26, nameBytes.byteLength, true);
    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, 45, true);
    record.setUint16(6, 20, true);
    record.setUint16(10, options.deflate ? 8 : 0, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, options.zip64 ? 0xffffffff : stored.byteLength, true);
    record.setUint32(24, options.zip64 ? 0xffffffff : bytes.byteLength, true);
    record.setUint16(28, nameBytes.byteLength, true);
    record.setUint16(30, extra.byteLength, true);
    record.setUint32(42, options.zip64 ? 0xffffffff : offset, true);
    parts.push(new Uint8Array(local.buffer), nameBytes, stored);
    central.push(new Uint8Array(record.buffer), nameBytes, extra);
    offset += 30 + nameBytes.byteLength + stored.byteLength;
  }
  const directoryOffset = offset;
  const directorySize = central.reduce((sum, part) => sum + part.byteLength, 0);
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const record = new DataView(new ArrayBuffer(56));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setBigUint64(24, BigInt(entries.length), true);
    record.setBigUint64(32, BigInt(entries.length), true);
    record.setBigUint64(40, BigInt(directorySize), true);
    record.setBigUint64(48, BigInt(directoryOffset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(directoryOffset + directorySize), true);
    locator.setUint32(16, 1, true);
    tail.push(new Uint8Array(record.buffer), new Uint8Array(locator.buffer));
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, options.zip64 ? 0xffff : entries.length, true);
  end.setUint16(10, options.zip64 ? 0xffff : entries.length, true);
  end.setUint32(12, options.zip64 ? 0xffffffff : directorySize, true);
  end.setUint32(16, options.zip64 ? 0xffffffff : directoryOffset, true);
  tail.push(new Uint8Array(end.buffer));
  const all = [...parts, ...central, ...tail];
  const out = new Uint8Array(all.reduce((sum, part) => sum + part.byteLength, 0));
  all.reduce((at, part) => (out.set(part, at), at + part.byteLength), 0);
  return out;
}

function zip64Extra(values: number[]): Uint8Array {
  const extra = new DataView(new ArrayBuffer(4 + 8 * values.length));
  extra.setUint16(0, 1, true);
  extra.setUint16(2, 8 * values.length, true);
  values.forEach((value, i) => extra.setBigUint64(4 + 8 * i, BigInt(value), true));
  return new Uint8Array(extra.buffer);
}

/** A stream of `bytes` in chunks of `size`. */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) controller.close();
      else controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

/**
 * A dense row-major matrix as a save_npz file of csr (or, `csc`, of its transpose stored as csc: the same bytes
 * describe the matrix read with `transpose`), each row's entries in reverse column order and every third one split
 * into two halves (duplicates: summed on reading, exactly for float32 values), int32 or int64 indices, stored or
 * deflated.
 */
export function npzOfRows(dense: Float64Array, n: number, d: number, options: { deflate?: boolean; int64?: boolean; csc?: boolean } = {}): Uint8Array {
  const indices: number[] = [];
  const values: number[] = [];
  const indptr = [0];
  for (let r = 0; r < n; r++) {
    for (let c = d - 1; c >= 0; c--) {
      const value = dense[r * d + c];
      if (value === 0) continue;
      if (indices.length % 3 === 0) indices.push(c, c), values.push(value / 2, value / 2);
      else indices.push(c), values.push(value);
    }
    indptr.push(indices.length);
  }
  const ints = (array: number[]) => (options.int64 ? BigInt64Array.from(array.map(BigInt)) : Int32Array.from(array));
  return zipBytes(npzEntries({
    format: options.csc ? 'csc' : 'csr', shape: options.csc ? [d, n] : [n, d], indices: ints(indices), indptr: ints(indptr), values: Float64Array.from(values),
  }), { deflate: options.deflate });
}

/** What became of the files a test opened by path: the bytes read, the reads after closing, the closings. */
export interface FileWatch {
  bytesRead: number;
  readsAfterClose: number;
  closes: number;
  size: number;
}

/** Watches every file `host.openFile` opens (a host's, spied on: restore the spies when done). */
export function watchFiles(host: { openFile(location: string | URL, name: string): Promise<ByteFile | ByteStream> }, spyOn: typeof vi.spyOn): FileWatch[] {
  const watches: FileWatch[] = [];
  const open = host.openFile.bind(host);
  spyOn(host, 'openFile').mockImplementation(async (location, name) => {
    const opened = await open(location, name);
    if (!('read' in opened)) return opened;
    const watch: FileWatch = { bytesRead: 0, readsAfterClose: 0, closes: 0, size: opened.size };
    watches.push(watch);
    const counted = async <T extends Uint8Array | number>(read: Promise<T>): Promise<T> => {
      if (watch.closes > 0) watch.readsAfterClose++;
      const result = await read;
      watch.bytesRead += typeof result === 'number' ? result : result.byteLength;
      return result;
    };
    return {
      name: opened.name, size: opened.size,
      read: (position, length) => counted(opened.read(position, length)),
      readInto: (position, target) => counted(opened.readInto(position, target)),
      close: async () => {
        watch.closes++;
        await opened.close();
      },
    };
  });
  return watches;
}
