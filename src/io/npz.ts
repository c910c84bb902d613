// scipy.sparse.save_npz files: a zip (stored or deflated) of .npy arrays: format.npy (b'csr', b'csc' or b'coo', a 0-d
// bytes or str array), shape.npy, data.npy, and indices.npy + indptr.npy (csr, csc) or row.npy + col.npy (coo, turned
// into csr here). Arrays of any byte order numpy writes; indices of any integer type, kept as Int32Array (Uint32Array
// for uint32), 64-bit ones checked to fit; data kept as float32 or float64 as stored, integers and bools converted to
// float64. What belongs to the file is checked here (entries, dtypes, shapes, lengths that must agree); the matrix's
// own rules (indptr's order, indices in range, finite values) are the sparse input's checks.

import type { ByteFile } from './bytes';
import { parseNpyDict } from './npy';
import type { SparseMatrix } from './sparse';
import { readZipEntry, zipEntries, type ZipEntry } from './zip';
import { turn } from '../hosts/turns';

/** Options of `readNpz` (and `readSparse`). */
export interface SparseFileOptions {
  /** The name errors use (default: the file's path or name). */
  name?: string;
  /** Read the file's columns as rows: a genes × cells file as cells × genes. Default false. */
  transpose?: boolean;
  /** Stops the reading: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A 1-d or 0-d array of an .npz entry, decoded. */
export interface NpzArray {
  entry: string;
  descr: string;
  shape: number[];
  /** The data bytes (after the header). */
  bytes: Uint8Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether an array's values are in this host's byte order (then they are copied as they are, not value by value). */
const nativeOrder = (descr: string) => LITTLE_ENDIAN_HOST ? descr[0] !== '>' : descr[0] === '>' || descr[0] === '=';

/** Formats scipy can save that eigengame does not read, and how to convert them. */
export const OTHER_FORMATS = new Set(['bsr', 'dia', 'lil', 'dok']);

/** Reads a save_npz file already opened for random access. */
export async function readNpzFile(file: ByteFile, options: SparseFileOptions = {}): Promise<SparseMatrix> {
  const entries = await zipEntries(file, '.npz');
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const array = async (stem: string): Promise<NpzArray> => {
    const entry = byName.get(`${stem}.npy`);
    if (!entry) {
      const names = entries.map((e) => e.name).join(', ') || 'none';
      throw new RangeError(`${file.name} has no entry ${stem}.npy (its entries: ${names}): not a file written by scipy.sparse.save_npz`);
    }
    return npyArray(file, entry, options.signal);
  };
  const format = formatText(await array('format'), file.name);
  if (OTHER_FORMATS.has(format)) {
    throw new RangeError(`${file.name} holds a ${format} matrix: eigengame reads csr, csc and coo; save it with save_npz(file, X.tocsr())`);
  }
  if (format !== 'csr' && format !== 'csc' && format !== 'coo') {
    throw new RangeError(`${file.name}: format.npy says ${JSON.stringify(format)}, not a scipy sparse format (csr, csc or coo)`);
  }
  const [rows, cols] = shapeOf(await array('shape'), file.name);
  const data = values(await array('data'), file.name);
  await turn(options.signal);
  let matrix: SparseMatrix;
  if (format === 'coo') {
    const row = indexArray(await array('row'));
    const col = indexArray(await array('col'));
    sameLength(file.name, [['row.npy', row.length], ['col.npy', col.length], ['data.npy', data.length]]);
    matrix = cooToCsr(file.name, rows, cols, row, col, data, (i) => `entry ${i} of row.npy and col.npy`);
  } else {
    const indices = indexArray(await array('indices'));
    const indptr = indexArray(await array('indptr'));
    sameLength(file.name, [['indices.npy', indices.length], ['data.npy', data.length]]);
    const major = format === 'csr' ? rows : cols;
    if (indptr.length !== major + 1) {
      throw new RangeError(`${file.name}: indptr.npy has ${indptr.length} offsets, but a ${format} matrix of shape (${rows}, ${cols}) has ${major + 1} (${format === 'csr' ? 'rows' : 'columns'} + 1)`);
    }
    matrix = { format, rows, cols, indptr, indices, data };
  }
  return options.transpose ? transposed(matrix) : matrix;
}

/** The same entries read the other way: csr of A is csc of Aᵀ (no copy). */
export function transposed(matrix: SparseMatrix): SparseMatrix {
  return { ...matrix, format: matrix.format === 'csr' ? 'csc' : 'csr', rows: matrix.cols, cols: matrix.rows };
}

export async function npyArray(file: ByteFile, entry: ZipEntry, signal?: AbortSignal): Promise<NpzArray> {
  const bytes = await readZipEntry(file, entry, signal);
  const name = `${file.name}, entry ${entry.name}`;
  const header = parseNpyDict(name, bytes);
  if (header.shape.length > 1) throw new RangeError(`${name} has shape (${header.shape.join(', ')}): save_npz writes 1-d arrays (0-d for format.npy)`);
  const count = header.shape.length === 0 ? 1 : header.shape[0];
  const size = itemSize(name, header.descr);
  const expected = count * size;
  const actual = bytes.byteLength - header.dataOffset;
  if (actual !== expected) {
    throw new RangeError(`${name}: its header says ${count} values of '${header.descr}' (${expected} bytes), but the entry has ${actual} bytes after its ${header.dataOffset}-byte header`);
  }
  return { entry: name, descr: header.descr, shape: header.shape, bytes: bytes.subarray(header.dataOffset) };
}

/** Bytes per value of a dtype string ('<i8', '|b1', '|S3', '<U3'). */
export function itemSize(name: string, descr: string): number {
  const match = /^[<>|=]([biufcSU])(\d+)$/.exec(descr);
  if (!match) throw new RangeError(`${name}: dtype '${descr}' is not one save_npz writes (integers, floats, complex, bools, bytes or str)`);
  return match[1] === 'U' ? 4 * Number(match[2]) : Number(match[2]);
}

/** format.npy's text: a 0-d (or 1-element) bytes ('|S3') or str ('<U3') array. */
export function formatText(array: NpzArray, file: string): string {
  const match = /^([<>|=])([SU])(\d+)$/.exec(array.descr);
  if (!match || array.bytes.byteLength === 0) throw new RangeError(`${array.entry}: dtype '${array.descr}' is not text: format.npy holds b'csr', b'csc' or b'coo'`);
  const [, order, kind, length] = match;
  let result = '';
  if (kind === 'S') {
    for (let i = 0; i < Number(length) && array.bytes[i] !== 0; i++) result += String.fromCharCode(array.bytes[i]);
  } else {
    const data = new DataView(array.bytes.buffer, array.bytes.byteOffset, array.bytes.byteLength);
    for (let i = 0; i < Number(length); i++) {
      const code = data.getUint32(4 * i, order !== '>');
      if (code === 0) break;
      result += String.fromCodePoint(code);
    }
  }
  if (result === '') throw new RangeError(`${file}: format.npy is empty: it should hold b'csr', b'csc' or b'coo'`);
  return result;
}

/** The integer values of a 1-d array (any width, sign and byte order), as numbers, via `store`. */
function readIntegers(array: NpzArray, store: (i: number, value: number) => void): void {
  const match = /^([<>|=])([iub])(\d)$/.exec(array.descr);
  if (!match) throw new RangeError(`${array.entry}: dtype '${array.descr}' is not an integer type`);
  const [, order, kind, width] = match;
  const little = order !== '>';
  const data = new DataView(array.bytes.buffer, array.bytes.byteOffset, array.bytes.byteLength);
  const count = array.bytes.byteLength / Number(width);
  const signed = kind === 'i';
  for (let i = 0; i < count; i++) {
    const at = i * Number(width);
    let value: number;
    switch (width) {
      case '1': value = signed ? data.getInt8(at) : data.getUint8(at); break;
      case '2': value = signed ? data.getInt16(at, little) : data.getUint16(at, little); break;
      case '4': value = signed ? data.getInt32(at, little) : data.getUint32(at, little); break;
      case '8': {
        const low = data.getUint32(little ? at : at + 4, little);
        const high = signed ? data.getInt32(little ? at + 4 : at, little) : data.getUint32(little ? at + 4 : at, little);
        value = high * 2 ** 32 + low;
        break;
      }
      default: throw new RangeError(`${array.entry}: dtype '${array.descr}' is not an integer type`);
    }
    store(i, value);
  }
}

/** shape.npy: two whole numbers. */
export function shapeOf(array: NpzArray, file: string): [number, number] {
  if (array.shape.length !== 1 || array.shape[0] !== 2) throw new RangeError(`${array.entry} has shape (${array.shape.join(', ')}): a matrix's shape is 2 numbers`);
  const shape: number[] = [];
  readIntegers(array, (_, value) => shape.push(value));
  const [rows, cols] = shape;
  if (!(rows >= 0 && cols >= 0 && rows <= 2 ** 31 - 1 && cols <= 2 ** 31 - 1)) {
    throw new RangeError(`${file}: shape.npy says (${rows}, ${cols}): each must be a whole number from 0 to 2^31 − 1`);
  }
  return [rows, cols];
}

/** An index array: uint32 as Uint32Array, any other integer type as Int32Array, each value checked to fit. */
export function indexArray(array: NpzArray): Int32Array | Uint32Array {
  if (array.shape.length !== 1) throw new RangeError(`${array.entry} is 0-d: an index array is 1-d`);
  const count = array.shape[0];
  // A copy (slice) starts at offset 0 of its own buffer, aligned for any view.
  if (/^[<>|=]i4$/.test(array.descr) && nativeOrder(array.descr)) return new Int32Array(array.bytes.slice().buffer);
  if (/^[<>|=]u4$/.test(array.descr) && nativeOrder(array.descr)) return new Uint32Array(array.bytes.slice().buffer);
  if (/^[<>|=]u4$/.test(array.descr)) {
    const out = new Uint32Array(count);
    readIntegers(array, (i, value) => (out[i] = value));
    return out;
  }
  if (!/^[<>|=][iu][1248]$/.test(array.descr)) {
    throw new RangeError(`${array.entry}: dtype '${array.descr}' is not an integer type: indices and offsets are integers (int32 or int64)`);
  }
  const out = new Int32Array(count);
  readIntegers(array, (i, value) => {
    if (value > 2 ** 31 - 1 || value < -(2 ** 31)) {
      throw new RangeError(`${array.entry}: value ${value} at position ${i} does not fit in 32 bits (eigengame's sparse matrices hold fewer than 2^31 entries, of fewer than 2^31 rows and columns)`);
    }
    out[i] = value;
  });
  return out;
}

/** data.npy as stored (float32, float64), or integers and bools as float64. */
function values(array: NpzArray, file: string): Float32Array | Float64Array {
  if (array.shape.length !== 1) throw new RangeError(`${array.entry} is 0-d: data.npy is 1-d`);
  const count = array.shape[0];
  const float = /^([<>|=])f([48])$/.exec(array.descr);
  if (float && nativeOrder(array.descr)) {
    const copy = array.bytes.slice();
    return float[2] === '4' ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
  }
  if (float) {
    const little = float[1] !== '>';
    const data = new DataView(array.bytes.buffer, array.bytes.byteOffset, array.bytes.byteLength);
    if (float[2] === '4') {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = data.getFloat32(4 * i, little);
      return out;
    }
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = data.getFloat64(8 * i, little);
    return out;
  }
  if (/^[<>|=][iub][1248]$/.test(array.descr)) {
    const out = new Float64Array(count);
    readIntegers(array, (i, value) => (out[i] = value));
    return out;
  }
  const hint = /^[<>|=]c/.test(array.descr) ? ': complex values have no principal components here' : '';
  throw new RangeError(`${file}: data.npy has dtype '${array.descr}'${hint}; eigengame reads float32, float64, integer and bool data`);
}

function sameLength(file: string, arrays: [string, number][]): void {
  const [first, firstLength] = arrays[0];
  for (const [other, length] of arrays.slice(1)) {
    if (length !== firstLength) throw new RangeError(`${file}: ${first} has ${firstLength} values but ${other} has ${length}: they must have one per stored entry`);
  }
}

/**
 * Coordinates (row, col, value) as csr: a counting sort by row, stable (entries of a row keep their order in the file,
 * duplicates kept for the sparse input to sum). Rows and columns are checked to be in the shape here, as the sort needs.
 */
export function cooToCsr(
  name: string, rows: number, cols: number, row: ArrayLike<number>, col: ArrayLike<number>, data: Float32Array | Float64Array,
  where: (i: number) => string = (i) => `entry ${i}`,
): SparseMatrix {
  const count = data.length;
  const indptr = new Int32Array(rows + 1);
  for (let i = 0; i < count; i++) {
    const r = row[i];
    if (!(r >= 0 && r < rows)) throw new RangeError(`${name}: ${where(i)} has row ${r}, outside the shape's ${rows} rows (0 to ${rows - 1})`);
    const c = col[i];
    if (!(c >= 0 && c < cols)) throw new RangeError(`${name}: ${where(i)} has column ${c}, outside the shape's ${cols} columns (0 to ${cols - 1})`);
    indptr[r + 1]++;
  }
  for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
  const next = indptr.slice(0, rows);
  const indices = new Int32Array(count);
  const sorted = data instanceof Float32Array ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = next[row[i]]++;
    indices[at] = col[i];
    sorted[at] = data[i];
  }
  return { format: 'csr', rows, cols, indptr, indices, data: sorted };
}
