// NumPy's .npy format (versions 1–3): a magic string, a version, a header (a Python dict literal: dtype, order,
// shape), then the array's bytes. Read here: 2-D float32 and float64, little-endian, C order: what
// `np.save('x.npy', X.astype(np.float32))` writes. Headers are checked against the file's size before any large
// allocation, and every value is checked to be finite as it is read.

import { ByteReader, exactChunks, readStart, reopenFile, type ByteFile, type ByteInput, type ByteStream } from './bytes';
import { describe } from '../describe';
import { checkBatchSize, checkRowsOption, nonFiniteError, type MatrixSource, type RowBatch, type SourceInfo } from './source';

export interface NpyHeader {
  version: number;
  dtype: 'float32' | 'float64';
  rows: number;
  cols: number;
  /** Byte offset of the data (the header's total length); of a slice's first row, for a slice. */
  dataOffset: number;
  /** The file's row that is the source's row 0 (0; a slice's start). */
  firstRow?: number;
}

/** Options of `NpySource`. */
export interface NpySourceOptions {
  /** The name errors use (default: the file's path or name). */
  name?: string;
  /** Rows [start, end) of the file: the source is those rows only, and reads no other row's bytes. */
  rows?: readonly [number, number];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** The preamble before the header text: magic, version, and the header length (2 bytes in v1, 4 in v2/v3). */
const PREAMBLE_V1 = 10;
const PREAMBLE_V2 = 12;
/** Headers longer than this are refused (numpy writes at most a few hundred bytes). */
const MAX_HEADER_BYTES = 1 << 20;

/** How many bytes the header takes, from the first 12 bytes of the file (or fewer if the file is shorter). */
export function npyHeaderLength(name: string, start: Uint8Array): number {
  if (start.byteLength === 0) throw new RangeError(`${name} is empty`);
  // A file shorter than the magic but agreeing with it so far is a truncated .npy, not another kind of file.
  if (MAGIC.some((byte, i) => i < start.byteLength && start[i] !== byte)) {
    throw new RangeError(`${name} is not a .npy file: it does not start with \\x93NUMPY`);
  }
  if (start.byteLength < 8) throw truncatedPreamble(name, start.byteLength);
  const major = start[6];
  if (major < 1 || major > 3) throw new RangeError(`${name}: .npy version ${major}.${start[7]} is not supported (1.0 to 3.0 are)`);
  const preamble = major === 1 ? PREAMBLE_V1 : PREAMBLE_V2;
  if (start.byteLength < preamble) throw truncatedPreamble(name, start.byteLength);
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (length > MAX_HEADER_BYTES) throw new RangeError(`${name}: the .npy header claims ${length} bytes, more than ${MAX_HEADER_BYTES}: not a valid file`);
  return preamble + length;
}

/** The error for a file that ends after `length` bytes, inside the preamble (magic, version, header length). */
function truncatedPreamble(name: string, length: number): RangeError {
  const where = length < MAGIC.length ? 'inside the .npy magic'
    : length === MAGIC.length ? 'right after the .npy magic' : 'inside the .npy preamble (version and header length)';
  return new RangeError(`${name} is truncated: it ends ${where}, after ${length} bytes`);
}

/** What any .npy header says, whatever its dtype and number of dimensions (the .npz reader takes 0-d and 1-d arrays of integers). */
export interface NpyDict {
  version: number;
  /** numpy's dtype string: '<f8', '>i4', '|b1', '|S3', '<U3'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data (the header's total length). */
  dataOffset: number;
}

/** Parses a whole header (the first `npyHeaderLength` bytes) into its dict, of any dtype and shape. */
export function parseNpyDict(name: string, bytes: Uint8Array): NpyDict {
  const dataOffset = npyHeaderLength(name, bytes);
  if (bytes.byteLength < dataOffset) throw new RangeError(`${name} is truncated: it ends inside the .npy header`);
  const version = bytes[6];
  const text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(version === 1 ? PREAMBLE_V1 : PREAMBLE_V2, dataOffset));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new RangeError(`${name}: the .npy header is not a dict with descr, fortran_order and shape: ${JSON.stringify(text.trim())}`);
  }
  const parts = shapeText.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (!parts.every((part) => /^\d+L?$/.test(part))) throw new RangeError(`${name}: the .npy header's shape (${shapeText.trim()}) is not a tuple of whole numbers`);
  const shape = parts.map((part) => Number(part.replace(/L$/, '')));
  if (!Number.isSafeInteger(shape.reduce((product, size) => product * size, 1))) {
    throw new RangeError(`${name}: shape (${shapeText.trim()}) is too large to be a real file`);
  }
  return { version, descr, fortranOrder: fortran === 'True', shape, dataOffset };
}

/** Parses a whole header (the first `npyHeaderLength` bytes) of a 2-D float32 or float64 C-order array. */
export function parseNpyHeader(name: string, bytes: Uint8Array): NpyHeader {
  const { version, descr, fortranOrder, shape, dataOffset } = parseNpyDict(name, bytes);
  const dtypes: Record<string, 'float32' | 'float64'> = { '<f4': 'float32', '<f8': 'float64' };
  const dtype = dtypes[descr];
  if (!dtype) {
    const hint = /^>f[48]$/.test(descr) ? " (big-endian: save it with X.astype('<f4'))" : '';
    throw new RangeError(`${name}: dtype '${descr}' is not supported${hint}; eigengame reads float32 ('<f4') and float64 ('<f8')`);
  }
  if (fortranOrder) throw new RangeError(`${name} is in Fortran order: save a C-order array (np.ascontiguousarray(X))`);
  if (shape.length !== 2) {
    throw new RangeError(`${name} has shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}): eigengame reads 2-D arrays (rows × columns)`);
  }
  const [rows, cols] = shape;
  if (rows === 0 || cols === 0) throw new RangeError(`${name} is empty: its shape is (${rows}, ${cols})`);
  return { version, dtype, rows, cols, dataOffset };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes per value of a dtype. */
const itemSize = (dtype: 'float32' | 'float64') => (dtype === 'float32' ? 4 : 8);

/** The .npy header for a 2-D little-endian C-order array (version 1.0, padded to 64 bytes as numpy does). */
export function encodeNpyHeader(dtype: 'float32' | 'float64', rows: number, cols: number, totalBytes = 0): Uint8Array {
  const dict = `{'descr': '${dtype === 'float32' ? '<f4' : '<f8'}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const unpadded = PREAMBLE_V1 + dict.length + 1;
  // Padded to a multiple of 64 bytes (numpy's alignment), or to `totalBytes` for a header rewritten in place later.
  const padded = Math.max(totalBytes, Math.ceil(unpadded / 64) * 64);
  if (padded % 64 !== 0 || padded > 65535 + PREAMBLE_V1) throw new RangeError(`a .npy header of ${padded} bytes is not a multiple of 64 below 64 KiB`);
  const text = dict + ' '.repeat(padded - unpadded) + '\n';
  const bytes = new Uint8Array(PREAMBLE_V1 + text.length);
  bytes.set(MAGIC);
  bytes[6] = 1;
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) bytes[PREAMBLE_V1 + i] = text.charCodeAt(i);
  return bytes;
}

/** A .npy stream read past its header: what is left of it, and the stream to close. */
interface OpenNpyStream {
  bytes: ByteStream;
  rest: AsyncIterable<Uint8Array>;
}

/** What a first look at the input tells: the header; for a stream, the stream itself, held for the batches. */
interface NpyStart {
  header: NpyHeader;
  stream: OpenNpyStream | null;
}

/**
 * Reads a .npy file, Blob, buffer or stream in batches of rows. A file is opened by each operation and closed when
 * it ends (info() reads the header and closes it; each batches() call opens its own handle and closes it however the
 * iteration ends); a stream, readable once, is held from info() until it is read, left or closed.
 *
 * A file's blocks are read into two buffers that the whole pass reuses (fresh memory for every block cost its page
 * faults, most of a pass's time), one block ahead: block i + 1 is read while the caller works on block i. A batch's
 * values are a view of the bytes read, checked to be finite; the buffer is read into again once the caller has asked
 * for the batch after next, so the caller's copy-what-you-keep contract (RowBatch.data) is what makes this safe.
 */
export class NpySource extends ByteReader<NpyStart> implements MatrixSource {
  /** The rows [start, end) of the file that this source is (null: all of them). */
  private readonly slice: readonly [number, number] | null;

  /**
   * `rows: [start, end)`: the source is those rows of the file only (a shard of it), and reads no other row's bytes;
   * its rows are numbered from `start` (batches' `firstRow` 0 is the file's row `start`). Files, Blobs and bytes only.
   */
  constructor(input: ByteInput, options: NpySourceOptions = {}) {
    super(input, options.name);
    this.slice = options.rows === undefined ? null : checkRowsOption(options.rows);
  }

  async info(): Promise<SourceInfo> {
    const { header, stream } = await this.open();
    return {
      format: 'npy', cols: header.cols, rows: header.rows, columnNames: null, dtype: header.dtype, rereadable: stream === null,
    };
  }

  async *batches(batchSize: number, blockOrder?: ArrayLike<number>): AsyncGenerator<RowBatch> {
    const { header, stream } = await this.open();
    checkBatchSize(this.name, batchSize, header.cols);
    if (stream) {
      yield* this.streamBatches(header, stream, batchSize, blockOrder);
      return;
    }
    const order = this.checkedOrder(header.rows, batchSize, blockOrder);
    const file = await reopenFile(this.input, this.name);
    try {
      yield* this.fileBatches(header, file, batchSize, order);
    } finally {
      await file.close();
    }
  }

  /** The blocks to read, each checked to exist before any is read. */
  private checkedOrder(rows: number, batchSize: number, blockOrder?: ArrayLike<number>): ArrayLike<number> {
    const blocks = Math.ceil(rows / batchSize);
    if (!blockOrder) return Array.from({ length: blocks }, (_, b) => b);
    for (let i = 0; i < blockOrder.length; i++) {
      const block = blockOrder[i];
      if (!(Number.isInteger(block) && block >= 0 && block < blocks)) throw new RangeError(`${this.name}: there is no block ${describe(block)} of ${batchSize} rows`);
    }
    return blockOrder;
  }

  private async *fileBatches(header: NpyHeader, file: ByteFile, batchSize: number, order: ArrayLike<number>) {
    const blockBytes = Math.min(batchSize, header.rows) * header.cols * itemSize(header.dtype);
    const buffers = [new Uint8Array(blockBytes), new Uint8Array(order.length > 1 ? blockBytes : 0)];
    const read = (i: number) => this.readBlock(header, file, batchSize, order[i], buffers[i % 2]);
    let next: Promise<RowBatch> | null = order.length > 0 ? read(0) : null;
    try {
      for (let i = 0; i < order.length; i++) {
        const batch = await next!;
        // The caller is done with block i − 1 (it asked for block i): its buffer takes block i + 1 now.
        next = i + 1 < order.length ? read(i + 1) : null;
        // Awaited with the next batch; if the caller stops before asking for it, its failure is not left unhandled.
        next?.catch(() => {});
        yield batch;
      }
    } finally {
      // A read still running writes into our buffer through the handle: it ends before the handle is closed.
      await next?.catch(() => {});
    }
  }

  /** Reads block `block` (rows block · batchSize …) into `into` and decodes it there. */
  private async readBlock(header: NpyHeader, file: ByteFile, batchSize: number, block: number, into: Uint8Array): Promise<RowBatch> {
    const rowBytes = header.cols * itemSize(header.dtype);
    const first = block * batchSize;
    const count = Math.min(batchSize, header.rows - first);
    const start = header.dataOffset + first * rowBytes;
    const length = count * rowBytes;
    const fileRow = first + (header.firstRow ?? 0);
    const rows = `rows ${fileRow}–${fileRow + count - 1}`;
    let got: number;
    try {
      got = await file.readInto(start, into.subarray(0, length));
    } catch (cause) {
      throw new Error(`${this.name}: could not read ${rows} (bytes ${start}–${start + length - 1}): ${(cause as Error).message}`, { cause });
    }
    if (got !== length) throw new RangeError(`${this.name} is truncated: ${rows} are not all there (the file ended at byte ${start + got}; was it cut while being read?)`);
    return this.decode(header, into, first, count);
  }

  private async *streamBatches(header: NpyHeader, stream: OpenNpyStream, batchSize: number, blockOrder?: ArrayLike<number>) {
    if (blockOrder) throw new Error(`${this.name} is a stream: it can only be read once, in order`);
    if (this.consumed) throw new Error(`${this.name} is a stream and has been read (or closed) already`);
    this.consumed = true;
    const { rows, cols, dtype } = header;
    const rowBytes = cols * itemSize(dtype);
    try {
      let first = 0;
      for await (const raw of exactChunks(stream.rest, batchSize * rowBytes)) {
        const count = Math.floor(raw.byteLength / rowBytes);
        if (count * rowBytes !== raw.byteLength || first + count > rows) {
          throw new RangeError(`${this.name}: the data does not end on a row boundary of its header's shape (${rows}, ${cols})`);
        }
        yield this.decode(header, raw, first, count);
        first += count;
      }
      if (first !== rows) throw new RangeError(`${this.name} is truncated: the stream ended after ${first} of the header's ${rows} rows`);
    } finally {
      await stream.bytes.close();
    }
  }

  private open() {
    this.opened ??= this.openNow();
    return this.opened;
  }

  /**
   * Reads the header: a file is closed again at once, a stream is kept open (past its header) unless it is bad. For
   * a slice, the header is the slice's: its rows, and the offset of its first row.
   */
  private openNow(): Promise<NpyStart> {
    return readStart<NpyStart>(
      this.input, this.name,
      async (file) => ({ header: this.sliced(await this.fileHeader(file)), stream: null }),
      async (bytes) => {
        if (this.slice) throw new TypeError(`${this.name} is a stream: the rows option needs a file, a Blob or bytes (a stream is read from its start)`);
        return this.streamHeader(bytes);
      },
    );
  }

  /** The header of rows [start, end) of a file whose header is `header`. */
  private sliced(header: NpyHeader): NpyHeader {
    if (!this.slice) return header;
    const [start, end] = this.slice;
    if (end > header.rows) throw new RangeError(`${this.name}: rows [${start}, ${end}) reach past the file's ${header.rows} rows`);
    const rowBytes = header.cols * itemSize(header.dtype);
    return { ...header, rows: end - start, dataOffset: header.dataOffset + start * rowBytes, firstRow: start };
  }

  /** A file's header, checked against the file's size. */
  private async fileHeader(file: ByteFile): Promise<NpyHeader> {
    const length = npyHeaderLength(this.name, await file.read(0, PREAMBLE_V2));
    const header = parseNpyHeader(this.name, await file.read(0, length));
    const expected = header.rows * header.cols * itemSize(header.dtype);
    const actual = file.size - header.dataOffset;
    if (actual < expected) {
      throw new RangeError(
        `${this.name} is truncated: its header says shape (${header.rows}, ${header.cols}) of ${header.dtype}, ${expected} bytes of data, but the file has ${actual}`,
      );
    }
    if (actual > expected) {
      throw new RangeError(`${this.name} has ${actual - expected} bytes after the data its header describes (${header.rows} × ${header.cols} ${header.dtype}): not a valid .npy file`);
    }
    return header;
  }

  /** A stream's header, gathered from its first chunks; the rest of the stream is handed on. */
  private async streamHeader(bytes: ByteStream): Promise<NpyStart> {
    const iterator = bytes.chunks[Symbol.asyncIterator]();
    const received: Uint8Array[] = [];
    let length = 0;
    // Reads on until `count` bytes have come (or the stream ends) and joins what came: once for the preamble,
    // once for the header, however small the chunks.
    const gather = async (count: number) => {
      for (let next; length < count && !(next = await iterator.next()).done;) {
        received.push(next.value);
        length += next.value.byteLength;
      }
      const joined = new Uint8Array(length);
      received.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.byteLength), 0);
      return joined;
    };
    const head = await gather(npyHeaderLength(this.name, await gather(PREAMBLE_V2)));
    const header = parseNpyHeader(this.name, head);
    const leftover = head.subarray(header.dataOffset);
    async function* rest(): AsyncGenerator<Uint8Array> {
      if (leftover.byteLength > 0) yield leftover;
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) return;
        yield value;
      }
    }
    return { header, stream: { bytes, rest: rest() } };
  }

  /**
   * Rows from little-endian bytes in a buffer of ours at an offset aligned to 8 (read into, or gathered by
   * exactChunks), as stored (float32 or float64): a view of those bytes (swapped in place first on a big-endian
   * host), every value checked to be finite.
   */
  private decode(header: NpyHeader, raw: Uint8Array, first: number, count: number): RowBatch {
    const { cols, dtype } = header;
    const n = count * cols;
    if (raw.byteOffset % 8 !== 0) throw new Error(`${this.name}: internal error: a block of bytes at an unaligned offset ${raw.byteOffset}`);
    if (!LITTLE_ENDIAN) swapBytes(raw.subarray(0, n * itemSize(dtype)), itemSize(dtype));
    const data = dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, n) : new Float64Array(raw.buffer, raw.byteOffset, n);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFiniteError(this.name, (header.firstRow ?? 0) + first + Math.floor(bad / cols), bad % cols, data[bad]);
    return { data, rows: count, cols, firstRow: first };
  }
}

/** Reverses the bytes of each `size`-byte value in place (little-endian file, big-endian host). */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let at = 0; at < bytes.byteLength; at += size) bytes.subarray(at, at + size).reverse();
}

/**
 * The index of the first value that is not finite, or −1. A sum of x · 0 (NaN for NaN and ±∞, else ±0) in four
 * independent lanes screens the block at a few times the speed of a test per value; only a block that fails is
 * searched.
 */
function firstNonFinite(values: Float32Array | Float64Array): number {
  let lane0 = 0;
  let lane1 = 0;
  let lane2 = 0;
  let lane3 = 0;
  const whole = values.length - (values.length % 4);
  for (let i = 0; i < whole; i += 4) {
    lane0 += values[i] * 0;
    lane1 += values[i + 1] * 0;
    lane2 += values[i + 2] * 0;
    lane3 += values[i + 3] * 0;
  }
  let sum = lane0 + lane1 + lane2 + lane3;
  for (let i = whole; i < values.length; i++) sum += values[i] * 0;
  if (sum === 0) return -1;
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) return i;
  return -1;
}
