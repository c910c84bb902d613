// scipy save_npz files larger than memory, read by rows: the zip's directory is at its end, so the file is read at
// random (a path, File, Blob or bytes; a one-shot stream cannot be). format.npy, shape.npy and indptr.npy (rows + 1
// offsets) are read whole; indices.npy and data.npy are read side by side as streams, each a slice of the file
// inflated as it comes (zipEntryChunks) and decoded value by value as its bytes arrive, and cut by indptr into
// batches of complete rows, each checked into canonical csr (sparse.ts) as a Matrix Market file's batches are. Only
// indptr, a chunk of each member and a batch's entries are held. A csr file streams by its rows; a csc file, read
// transposed, by its columns (the same code: the stored groups are the rows read). Errors name the file, the member
// and the position (entry, row, byte).

import type { ByteFile } from './bytes';
import { npyHeaderLength, parseNpyDict } from './npy';
import { OTHER_FORMATS, formatText, indexArray, itemSize, npyArray, shapeOf } from './npz';
import { readSparseMatrix, type SparseReader } from './sparse';
import { zipEntries, zipEntryChunks, type ZipEntry } from './zip';
import { turn } from '../hosts/turns';

/** A refusal of a file that is fine but cannot be streamed (its format or orientation), with the remedy. */
export class NotStreamableError extends RangeError {}

/** A batch of complete rows [first, first + rows.rows), checked: sorted columns, duplicates summed. */
interface RowBatch {
  first: number;
  rows: SparseReader;
}

/** One value of a 1-d .npy array at a byte offset of its data. */
type Decode = (view: DataView, at: number) => number;

/** Copies `count` values from the start of `bytes` into `into` from `at`, without decoding each: see `bulkCopy`. */
type Copy = (bytes: Uint8Array, into: Int32Array | Float64Array, at: number, count: number) => void;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The copy of a dtype that is the target's in the host's byte order (int32 indices, float64 data: the bytes as
 * they are), or float32 data (widened by the typed arrays): four times faster than a DataView read a value. Null
 * for any other dtype, which is decoded value by value.
 */
function bulkCopy(descr: string, target: 'int32' | 'float64'): Copy | null {
  const native = descr[0] === '=' || (descr[0] === '<') === LITTLE_ENDIAN_HOST;
  if (!native) return null;
  const kind = descr.slice(1);
  if ((target === 'int32' && kind === 'i4') || (target === 'float64' && kind === 'f8')) {
    return (bytes, into, at, count) => {
      const size = into.BYTES_PER_ELEMENT;
      new Uint8Array(into.buffer, into.byteOffset + at * size, count * size).set(bytes.subarray(0, count * size));
    };
  }
  // A copy (slice) starts at offset 0 of its own buffer, aligned for the Float32Array over it.
  if (target === 'float64' && kind === 'f4') return (bytes, into, at, count) => into.set(new Float32Array(bytes.slice(0, 4 * count).buffer), at);
  return null;
}

/** The decoder of an integer dtype (any width, sign, byte order), or null for another dtype. */
function integerDecoder(descr: string, bool: boolean): Decode | null {
  const match = (bool ? /^([<>|=])([iub])([1248])$/ : /^([<>|=])([iu])([1248])$/).exec(descr);
  if (!match) return null;
  const [, order, kind, width] = match;
  const little = order !== '>';
  const signed = kind === 'i';
  switch (width) {
    case '1': return signed ? (v, at) => v.getInt8(at) : (v, at) => v.getUint8(at);
    case '2': return signed ? (v, at) => v.getInt16(at, little) : (v, at) => v.getUint16(at, little);
    case '4': return signed ? (v, at) => v.getInt32(at, little) : (v, at) => v.getUint32(at, little);
    default: {
      const [low, high] = little ? [0, 4] : [4, 0];
      return signed
        ? (v, at) => v.getInt32(at + high, little) * 2 ** 32 + v.getUint32(at + low, little)
        : (v, at) => v.getUint32(at + high, little) * 2 ** 32 + v.getUint32(at + low, little);
    }
  }
}

/** data.npy's decoder: float32, float64, integers and bools (as npz.ts reads them whole). */
function dataDecoder(name: string, descr: string): Decode {
  const float = /^([<>|=])f([48])$/.exec(descr);
  if (float) {
    const little = float[1] !== '>';
    return float[2] === '4' ? (v, at) => v.getFloat32(at, little) : (v, at) => v.getFloat64(at, little);
  }
  const integer = integerDecoder(descr, true);
  if (integer) return integer;
  const hint = /^[<>|=]c/.test(descr) ? ': complex values have no principal components here' : '';
  throw new RangeError(`${name} has dtype '${descr}'${hint}; eigengame reads float32, float64, integer and bool data`);
}

/** The values of a 1-d .npy member of a zip, decoded as its bytes arrive (a value may straddle two chunks). */
class NpyMemberReader {
  /** Values taken so far. */
  taken = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.bytes.buffer);
  private at = 0;

  private constructor(
    readonly name: string,
    private readonly chunks: AsyncGenerator<Uint8Array>,
    readonly count: number,
    private readonly size: number,
    private readonly decode: Decode,
    private readonly copy: Copy | null,
  ) {}

  /** Starts reading an entry: its .npy header read and checked (1-d, a dtype `decoder` takes, as many bytes as it says). */
  static async open(
    file: ByteFile, entry: ZipEntry, decoder: (name: string, descr: string) => Decode, target: 'int32' | 'float64', signal?: AbortSignal,
  ): Promise<NpyMemberReader> {
    const name = `${file.name}, entry ${entry.name}`;
    const chunks = zipEntryChunks(file, entry, signal);
    try {
      let head = new Uint8Array(0);
      const more = async () => {
        const next = await chunks.next();
        if (next.done) throw new RangeError(`${name} is truncated: it ends inside its .npy header, after ${head.byteLength} bytes`);
        const joined = new Uint8Array(head.byteLength + next.value.byteLength);
        joined.set(head);
        joined.set(next.value, head.byteLength);
        head = joined;
      };
      while (head.byteLength < 12) {
        if (head.byteLength >= 10 && head[6] === 1) break;
        await more();
      }
      const dataOffset = npyHeaderLength(name, head);
      while (head.byteLength < dataOffset) await more();
      const header = parseNpyDict(name, head.subarray(0, dataOffset));
      if (header.shape.length !== 1) throw new RangeError(`${name} has shape (${header.shape.join(', ')}): save_npz writes 1-d arrays`);
      const decode = decoder(name, header.descr);
      const size = itemSize(name, header.descr);
      const count = header.shape[0];
      if (entry.size - dataOffset !== count * size) {
        throw new RangeError(`${name}: its header says ${count} values of '${header.descr}' (${count * size} bytes), but the entry has ${entry.size - dataOffset} bytes after its ${dataOffset}-byte header`);
      }
      const reader = new NpyMemberReader(name, chunks, count, size, decode, bulkCopy(header.descr, target));
      reader.setBytes(head.slice(dataOffset));
      return reader;
    } catch (error) {
      await chunks.return(undefined);
      throw error;
    }
  }

  private setBytes(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }

  /** The next chunk, after the bytes of a value the last one left unfinished. */
  private async fill(): Promise<void> {
    const next = await this.chunks.next();
    // The entry's size was checked against the header, and zipEntryChunks against the entry's size: it cannot end early.
    if (next.done) throw new RangeError(`${this.name} ends after ${this.taken} of its ${this.count} values`);
    const rest = this.bytes.subarray(this.at);
    if (rest.byteLength === 0) return this.setBytes(next.value);
    const joined = new Uint8Array(rest.byteLength + next.value.byteLength);
    joined.set(rest);
    joined.set(next.value, rest.byteLength);
    this.setBytes(joined);
  }

  /** The next `count` values into `into` (from its start). */
  async take(into: Int32Array | Float64Array, count: number): Promise<void> {
    for (let filled = 0; filled < count;) {
      const ready = Math.min(count - filled, Math.floor((this.bytes.byteLength - this.at) / this.size));
      if (ready === 0) {
        await this.fill();
        continue;
      }
      if (this.copy) {
        this.copy(this.bytes.subarray(this.at), into, filled, ready);
        this.at += ready * this.size;
      } else {
        for (let i = 0; i < ready; i++, this.at += this.size) into[filled + i] = this.decode(this.view, this.at);
      }
      filled += ready;
      this.taken += ready;
    }
  }

  /** Reads the entry to its end, so that its size and CRC-32 are checked. */
  async finish(): Promise<void> {
    while (!(await this.chunks.next()).done) continue;
  }

  /** Stops the reading (the inflater cancelled, the file's reading left). */
  async close(): Promise<void> {
    await this.chunks.return(undefined);
  }
}

/** Options of `openNpzRows`. */
export interface NpzRowsOptions {
  transpose: boolean;
  batchEntries: number;
  signal?: AbortSignal;
}

/** A save_npz file opened to be read by rows: its shape, its entries, its batches, once. */
export interface NpzRows {
  rows: number;
  cols: number;
  entries: number;
  read(signal: () => AbortSignal | undefined): AsyncGenerator<RowBatch>;
  close(): Promise<void>;
}

/**
 * Opens a save_npz file (already opened for random access) to be read by rows: csr as it is, csc with `transpose`.
 * Reads the directory, format, shape and indptr, checks them, and starts both indices.npy and data.npy (their
 * headers checked). The caller closes the file; `close()` stops the members' reading.
 */
export async function openNpzRows(file: ByteFile, options: NpzRowsOptions): Promise<NpzRows> {
  const name = file.name;
  const entries = await zipEntries(file, '.npz');
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const entry = (stem: string): ZipEntry => {
    const found = byName.get(`${stem}.npy`);
    if (found) return found;
    const names = entries.map((e) => e.name).join(', ') || 'none';
    throw new RangeError(`${name} has no entry ${stem}.npy (its entries: ${names}): not a file written by scipy.sparse.save_npz`);
  };
  const format = formatText(await npyArray(file, entry('format'), options.signal), name);
  checkStreamable(name, format, options.transpose);
  const [fileRows, fileCols] = shapeOf(await npyArray(file, entry('shape'), options.signal), name);
  const [rows, cols] = options.transpose ? [fileCols, fileRows] : [fileRows, fileCols];
  // The groups the file stores (its rows for csr, its columns for csc) are the rows read.
  const group = format === 'csr' ? 'row' : 'column';
  const indexName = format === 'csr' ? 'column' : 'row';
  const indptr = indexArray(await npyArray(file, entry('indptr'), options.signal));
  if (indptr.length !== rows + 1) {
    throw new RangeError(`${name}: indptr.npy has ${indptr.length} offsets, but a ${format} matrix of shape (${fileRows}, ${fileCols}) has ${rows + 1} (${group}s + 1)`);
  }
  if (indptr[0] !== 0) throw new RangeError(`${name}, entry indptr.npy: its first offset is ${indptr[0]}: it must be 0`);
  for (let r = 0; r < rows; r++) {
    if (indptr[r + 1] < indptr[r]) {
      throw new RangeError(`${name}, entry indptr.npy decreases at position ${r + 1}: ${indptr[r]} then ${indptr[r + 1]} (${group} ${r} would have fewer than no entries)`);
    }
  }
  await turn(options.signal);
  const indices = await NpyMemberReader.open(file, entry('indices'), (member, descr) => {
    const decode = integerDecoder(descr, false);
    if (!decode) throw new RangeError(`${member}: dtype '${descr}' is not an integer type: indices are integers (int32 or int64)`);
    return decode;
  }, 'int32', options.signal);
  let data: NpyMemberReader | null = null;
  try {
    data = await NpyMemberReader.open(file, entry('data'), dataDecoder, 'float64', options.signal);
    if (indices.count !== data.count) {
      throw new RangeError(`${name}: indices.npy has ${indices.count} values but data.npy has ${data.count}: they must have one per stored entry`);
    }
    if (indptr[rows] !== data.count) {
      throw new RangeError(`${name}: indptr.npy ends at ${indptr[rows]}, but indices.npy and data.npy have ${data.count} entries: it must end at their count`);
    }
  } catch (error) {
    await indices.close();
    await data?.close();
    throw error;
  }
  const values = data;
  return {
    rows, cols, entries: values.count,
    read: (signal) => readBatches(name, { rows, cols, indptr, indices, data: values, group, indexName }, options.batchEntries, signal),
    close: async () => {
      await indices.close();
      await values.close();
    },
  };
}

/** Refuses a format, or an orientation, whose rows are not stored together, naming what to do instead. */
function checkStreamable(name: string, format: string, transpose: boolean): void {
  const whole = 'or read it whole with readSparse (the CLI: without --stream)';
  if (format === 'csr' && transpose) {
    throw new NotStreamableError(
      `${name} holds a csr matrix: read transposed, its rows are the file's columns, which csr does not store together, so it cannot be streamed; ` +
      `save it with save_npz(file, X.tocsc()) to stream it transposed, ${whole}`,
    );
  }
  if (format === 'csc' && !transpose) {
    throw new NotStreamableError(
      `${name} holds a csc matrix: its rows are spread over its columns, so it cannot be streamed by rows; save it with save_npz(file, X.tocsr()), ` +
      `read it transposed (transpose; the CLI: --transpose) if its columns are the samples, ${whole}`,
    );
  }
  if (format === 'coo' || OTHER_FORMATS.has(format)) {
    throw new NotStreamableError(
      `${name} holds a ${format} matrix, whose entries are not grouped by row: it cannot be streamed; save it with save_npz(file, X.tocsr()) ` +
      `(X.tocsc() to read it transposed), ${whole}`,
    );
  }
  if (format !== 'csr' && format !== 'csc') {
    throw new RangeError(`${name}: format.npy says ${JSON.stringify(format)}, not a scipy sparse format (csr, csc or coo)`);
  }
}

/** The opened members and what the batches need of the file. */
interface Members {
  rows: number;
  cols: number;
  indptr: Int32Array | Uint32Array;
  indices: NpyMemberReader;
  data: NpyMemberReader;
  /** What the file calls the rows read ('row' for csr, 'column' for csc) and their entries' indices. */
  group: string;
  indexName: string;
}

/**
 * The batches of complete rows, in order: a batch ends at the first row that starts after `batchEntries` entries, and
 * spans at most `batchEntries` rows (as a Matrix Market file's). Each entry's index and value are checked as they are
 * read (the error names the member, the entry's position and its row), then the batch is made canonical.
 */
async function* readBatches(name: string, members: Members, batchEntries: number, signal: () => AbortSignal | undefined): AsyncGenerator<RowBatch> {
  const { rows, cols, indptr, indices, data, group, indexName } = members;
  for (let first = 0; first < rows;) {
    let end = first + 1;
    while (end < rows && end - first < batchEntries && indptr[end] - indptr[first] < batchEntries) end++;
    const offset = indptr[first];
    const count = indptr[end] - offset;
    const batchIndices = new Int32Array(count);
    const batchData = new Float64Array(count);
    await indices.take(batchIndices, count);
    await data.take(batchData, count);
    const batchIndptr = new Int32Array(end - first + 1);
    for (let r = first; r < end; r++) {
      batchIndptr[r - first + 1] = indptr[r + 1] - offset;
      for (let e = indptr[r]; e < indptr[r + 1]; e++) {
        const index = batchIndices[e - offset];
        if (!(index >= 0 && index < cols)) {
          throw new RangeError(`${name}, entry indices.npy: entry ${e} (${group} ${r}) has ${indexName} ${index}, outside the shape's ${cols} ${indexName}s (0 to ${cols - 1})`);
        }
        const value = batchData[e - offset];
        if (!Number.isFinite(value)) {
          throw new RangeError(`${name}, entry data.npy: entry ${e} (${group} ${r}, ${indexName} ${index}) is ${value}: values must be finite`);
        }
      }
    }
    const matrix = { format: 'csr' as const, rows: end - first, cols, indptr: batchIndptr, indices: batchIndices, data: batchData };
    const batch = readSparseMatrix(matrix, `${name}, ${group}s ${first} to ${end - 1}`);
    await turn(signal());
    yield { first, rows: batch };
    first = end;
  }
  await indices.finish();
  await data.finish();
}
