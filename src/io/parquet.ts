// Apache Parquet files as a source: the numeric columns of a flat schema, read one row group at a time (memory stays
// O(row group + batch)), in file order or in blocks of rows in any order. Decoding is hyparquet's (pure JavaScript,
// no dependencies), an optional dependency of this package loaded only when a Parquet file is read, so no other
// entry or format pulls it in; hyparquet-compressors, when installed too, adds gzip, zstd, brotli and lz4 row groups
// to the snappy and uncompressed ones hyparquet reads by itself.

import { ByteReader, bufferFile, inputName, isByteFile, openBytes, reopenFile, type ByteFile, type ByteInput } from './bytes';
import { describe } from '../describe';
import { checkBatchSize, checkRowsOption, type MatrixSource, type RowBatch, type SourceInfo } from './source';

/** Options of `ParquetSource`. */
export interface ParquetOptions {
  /** Name used in errors (default: the path, the File's name, or what kind of input it is). */
  name?: string;
  /** The columns to read: names or 0-based indices. Default: all (each must then be numeric). */
  columns?: ReadonlyArray<string | number>;
  /**
   * Rows [start, end) of the file: the source is those rows only (a shard of the file), numbered from 0, and reads
   * only the row groups that hold them. Files, Blobs and bytes.
   */
  rows?: readonly [number, number];
  /**
   * hyparquet's module (`import * as hyparquet from 'hyparquet'`). Default: imported by name when the first Parquet
   * file is read, which Node and browsers with an import map do; an app built with a bundler passes it, so that the
   * bundler sees the import.
   */
  hyparquet?: object;
  /**
   * Decompressors for codecs beyond snappy (`import { compressors } from 'hyparquet-compressors'`). Default: that
   * package's, imported by name where it can be; without them gzip, zstd, brotli and lz4 row groups fail, naming the codec.
   */
  compressors?: Record<string, unknown>;
}

/** hyparquet's reading functions, as this source uses them. */
interface Hyparquet {
  parquetMetadataAsync(file: AsyncBuffer): Promise<ParquetMetadata>;
  parquetRead(options: {
    file: AsyncBuffer; metadata: ParquetMetadata; columns: string[]; rowStart: number; rowEnd: number;
    compressors?: Record<string, unknown>; utf8?: boolean;
    onChunk(chunk: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number; rowEnd: number }): void;
  }): Promise<void>;
}

interface AsyncBuffer {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

interface SchemaElement {
  name: string;
  type?: string;
  num_children?: number;
  converted_type?: string;
  logical_type?: { type: string };
}

interface ParquetMetadata {
  num_rows: bigint;
  schema: SchemaElement[];
  row_groups: { num_rows: bigint }[];
}

interface Decoder {
  reader: Hyparquet;
  compressors: Record<string, unknown> | undefined;
}

let imported: Promise<{ reader: Hyparquet | null; compressors: Record<string, unknown> | undefined }> | null = null;

/**
 * hyparquet and its decompressors: those given in the options, else imported by name once, on the first Parquet file.
 * The names are not literal on purpose: a bundler must not make every app that uses this package depend on hyparquet.
 */
function loadHyparquet(name: string, options: ParquetOptions): Promise<Decoder> {
  let given: Hyparquet | null = null;
  if (options.hyparquet) {
    const reader = options.hyparquet as Partial<Hyparquet>;
    if (typeof reader.parquetRead !== 'function' || typeof reader.parquetMetadataAsync !== 'function') {
      throw new TypeError(`options.hyparquet must be hyparquet's module (with parquetRead and parquetMetadataAsync), got ${describe(options.hyparquet)}`);
    }
    given = reader as Hyparquet;
  }
  imported ??= (async () => {
    const module = 'hyparquet';
    const reader = await import(/* @vite-ignore */ module).catch(() => null) as Hyparquet | null;
    const extra = 'hyparquet-compressors';
    const loaded = await import(/* @vite-ignore */ extra).catch(() => null) as { compressors?: Record<string, unknown> } | null;
    return { reader, compressors: loaded?.compressors };
  })();
  return imported.then(({ reader, compressors }) => {
    const chosen = given ?? reader;
    if (!chosen) throw new Error(`${name}: reading Parquet needs hyparquet, an optional dependency: npm install hyparquet hyparquet-compressors`);
    return { reader: chosen, compressors: withoutSnappy(options.compressors ?? compressors) };
  });
}

/**
 * Decompressors but snappy: hyparquet's own snappy is JavaScript, hyparquet-compressors' is WebAssembly compiled at
 * run time, which edge hosts forbid.
 */
function withoutSnappy(compressors: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return compressors && Object.fromEntries(Object.entries(compressors).filter(([codec]) => codec !== 'SNAPPY'));
}

/** Parquet's physical types that hold numbers, and the logical annotations of those types that are not plain numbers. */
const NUMERIC_TYPES = new Set(['FLOAT', 'DOUBLE', 'INT32', 'INT64']);
const NOT_NUMBERS = new Set(['DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'DECIMAL', 'INTERVAL']);
const NOT_NUMBER_LOGICAL = new Set(['DATE', 'TIME', 'TIMESTAMP', 'DECIMAL', 'INTERVAL', 'UNKNOWN']);

interface ParquetLayout {
  metadata: ParquetMetadata;
  /** The source's rows (a slice's), and the file's row that is the source's row 0. */
  rows: number;
  firstRow: number;
  /** Names of the columns read, in the order of the matrix's columns. */
  columns: string[];
  /** First row of each row group, and one past the last row. */
  groupStarts: number[];
  dtype: 'float32' | 'float64';
  /** The whole input, for an input that is a stream (Parquet's index is at the end: it is read into memory). */
  bytes: Uint8Array | null;
}

/** What opening a Parquet input tells: its layout. */
interface ParquetStart {
  /** The columns read, the rows and the row groups. */
  layout: ParquetLayout;
  /** Never a stream held open: a stream is read into memory when opened (Parquet's index is at its end). */
  stream: null;
}

/** One decoded row group: its columns' values as float64, and its rows' span in the file. */
interface DecodedGroup {
  group: number;
  first: number;
  columns: Float64Array[];
}

/**
 * Reads a Parquet file, Blob or buffer (a stream is read into memory first: Parquet's index is at its end) in batches
 * of rows. A file is opened by each operation and closed when it ends.
 */
export class ParquetSource extends ByteReader<ParquetStart> implements MatrixSource {
  private decoded: DecodedGroup | null = null;
  private readonly slice: readonly [number, number] | null;

  constructor(input: ByteInput, private readonly options: ParquetOptions = {}) {
    super(input, options.name ?? inputName(input));
    this.slice = options.rows === undefined ? null : checkRowsOption(options.rows);
    const { columns } = options;
    if (columns !== undefined && (!Array.isArray(columns) || columns.length === 0
      || !columns.every((c) => typeof c === 'string' || (Number.isInteger(c) && c >= 0)))) {
      const shown = Array.isArray(columns) ? `[${columns.map(describe).join(', ')}]` : describe(columns);
      throw new TypeError(`columns must be a non-empty array of column names or 0-based indices, got ${shown}`);
    }
  }

  async info(): Promise<SourceInfo> {
    const { layout } = await this.open();
    return { format: 'parquet', cols: layout.columns.length, rows: layout.rows, columnNames: layout.columns, dtype: layout.dtype, rereadable: true };
  }

  async *batches(batchSize: number, blockOrder?: ArrayLike<number>): AsyncGenerator<RowBatch> {
    const { layout } = await this.open();
    const cols = layout.columns.length;
    checkBatchSize(this.name, batchSize, cols);
    const { reader, compressors } = await loadHyparquet(this.name, this.options);
    const file = layout.bytes ? bufferFile(layout.bytes, this.name) : await reopenFile(this.input, this.name);
    const buffer = asyncBuffer(file);
    const out = layout.dtype === 'float32' ? new Float32Array(batchSize * cols) : new Float64Array(batchSize * cols);
    try {
      const blocks = Math.ceil(layout.rows / batchSize);
      const order = blockOrder ?? { length: blocks };
      for (let i = 0; i < order.length; i++) {
        const block = blockOrder ? blockOrder[i] : i;
        if (!(Number.isInteger(block) && block >= 0 && block < blocks)) throw new RangeError(`${this.name}: there is no block ${describe(block)} of ${batchSize} rows`);
        const first = block * batchSize;
        const count = Math.min(batchSize, layout.rows - first);
        // The block's rows (file rows from `start`) may span row groups: each is decoded once and kept until a row
        // outside it is asked for.
        const start = layout.firstRow + first;
        for (let row = start; row < start + count;) {
          const group = await this.groupOf(row, layout, reader, buffer, compressors);
          const end = Math.min(start + count, layout.groupStarts[group.group + 1]);
          for (let c = 0; c < cols; c++) {
            const values = group.columns[c];
            for (let r = row; r < end; r++) out[(r - start) * cols + c] = values[r - group.first];
          }
          row = end;
        }
        yield { data: out.subarray(0, count * cols), rows: count, cols, firstRow: first };
      }
    } finally {
      this.decoded = null;
      await file.close();
    }
  }

  /** The decoded row group that holds `row`. */
  private async groupOf(row: number, layout: ParquetLayout, reader: Hyparquet, file: AsyncBuffer, compressors?: Record<string, unknown>): Promise<DecodedGroup> {
    const { groupStarts } = layout;
    if (this.decoded && row >= this.decoded.first && row < groupStarts[this.decoded.group + 1]) return this.decoded;
    let group = 0;
    while (groupStarts[group + 1] <= row) group++;
    const first = groupStarts[group];
    const length = groupStarts[group + 1] - first;
    const columns = layout.columns.map(() => new Float64Array(length));
    const filled = columns.map(() => 0);
    // hyparquet calls onChunk from a promise it does not await: an error thrown there would be unhandled, so the
    // first bad value is kept and thrown once the row group is read.
    let bad: Error | null = null;
    await reader.parquetRead({
      file, metadata: layout.metadata, columns: layout.columns, rowStart: first, rowEnd: first + length, compressors, utf8: false,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const c = layout.columns.indexOf(columnName);
        const dest = columns[c];
        try {
          for (let i = 0; i < columnData.length; i++) {
            const r = rowStart + i;
            if (r < first || r >= first + length) continue;
            dest[r - first] = this.number(columnData[i], r, c, columnName);
            filled[c]++;
          }
        } catch (error) {
          bad ??= error as Error;
        }
      },
    });
    if (bad) throw bad;
    const short = filled.findIndex((count) => count !== length);
    if (short >= 0) {
      throw new RangeError(`${this.name}: row group ${group} gave ${filled[short]} values of column ${JSON.stringify(layout.columns[short])}, not its ${length} rows`);
    }
    this.decoded = { group, first, columns };
    return this.decoded;
  }

  /** A decoded value as a finite number, or the error that names its row and column. */
  private number(value: unknown, row: number, col: number, column: string): number {
    const number = typeof value === 'bigint' ? Number(value) : value;
    if (typeof number !== 'number') {
      if (value === null || value === undefined) throw new RangeError(`${this.name}: row ${row}, column ${JSON.stringify(column)} is null (every value must be a number)`);
      throw new TypeError(`${this.name}: row ${row}, column ${JSON.stringify(column)} is ${describe(value)}, not a number`);
    }
    if (number - number !== 0) throw new RangeError(`${this.name}: row ${row}, column ${JSON.stringify(column)} (${col}) is ${number} (every value must be a finite number)`);
    return number;
  }

  private open() {
    this.opened ??= this.openNow();
    return this.opened;
  }

  private async openNow(): Promise<ParquetStart> {
    const { reader } = await loadHyparquet(this.name, this.options);
    const opened = await openBytes(this.input, this.name);
    let bytes: Uint8Array | null = null;
    let file: ByteFile;
    if (isByteFile(opened)) file = opened;
    else {
      bytes = await readWhole(opened.chunks).finally(() => opened.close());
      this.consumed = true;
      file = bufferFile(bytes, this.name);
    }
    try {
      if (file.size < 12) throw new RangeError(`${this.name} is not a Parquet file: it has ${file.size} bytes`);
      const magic = await file.read(0, 4);
      const tail = await file.read(file.size - 4, 4);
      if (String.fromCharCode(...magic) !== 'PAR1' || String.fromCharCode(...tail) !== 'PAR1') {
        throw new RangeError(`${this.name} is not a Parquet file: it does not start and end with PAR1`);
      }
      let metadata: ParquetMetadata;
      try {
        metadata = await reader.parquetMetadataAsync(asyncBuffer(file));
      } catch (error) {
        throw new RangeError(`${this.name}: its Parquet footer cannot be read: ${(error as Error).message}`);
      }
      return { layout: this.layout(metadata, bytes), stream: null };
    } finally {
      await file.close();
    }
  }

  /** The columns read and their storage, from the schema; the row groups' spans. */
  private layout(metadata: ParquetMetadata, bytes: Uint8Array | null): ParquetLayout {
    const [root, ...leaves] = metadata.schema;
    if (leaves.some((leaf) => leaf.num_children !== undefined && leaf.num_children > 0) || leaves.length !== (root?.num_children ?? 0)) {
      throw new RangeError(`${this.name} has nested columns (structs or lists): eigengame reads flat tables of numbers`);
    }
    const names = leaves.map((leaf) => leaf.name);
    const selected = (this.options.columns ?? names.map((_, i) => i)).map((column) => {
      if (typeof column === 'number') {
        if (column >= leaves.length) throw new RangeError(`${this.name}: there is no column ${column} (0-based); the file has ${leaves.length}`);
        return column;
      }
      const index = names.indexOf(column);
      if (index < 0) throw new RangeError(`${this.name} has no column ${JSON.stringify(column)}; it has ${names.map((n) => JSON.stringify(n)).join(', ')}`);
      return index;
    });
    const repeated = selected.find((index, i) => selected.indexOf(index) !== i);
    if (repeated !== undefined) throw new RangeError(`${this.name}: columns names column ${JSON.stringify(names[repeated])} twice`);
    for (const index of selected) {
      const leaf = leaves[index];
      const annotation = leaf.logical_type?.type ?? leaf.converted_type;
      const numeric = NUMERIC_TYPES.has(leaf.type ?? '') && !NOT_NUMBERS.has(leaf.converted_type ?? '')
        && !NOT_NUMBER_LOGICAL.has(leaf.logical_type?.type ?? '');
      if (!numeric) {
        const kind = annotation ? `${leaf.type} (${annotation})` : leaf.type;
        throw new TypeError(`${this.name}: column ${JSON.stringify(leaf.name)} holds ${kind}, not numbers: choose the numeric columns with the columns option`);
      }
    }
    const rows = Number(metadata.num_rows);
    if (rows === 0) throw new RangeError(`${this.name} is empty: it has no rows`);
    const groupStarts = [0];
    for (const group of metadata.row_groups) groupStarts.push(groupStarts[groupStarts.length - 1] + Number(group.num_rows));
    if (groupStarts[groupStarts.length - 1] !== rows) {
      throw new RangeError(`${this.name}: its row groups hold ${groupStarts[groupStarts.length - 1]} rows, its footer says ${rows}`);
    }
    const dtype = selected.every((index) => leaves[index].type === 'FLOAT') ? 'float32' : 'float64';
    const [start, end] = this.slice ?? [0, rows];
    if (end > rows) throw new RangeError(`${this.name}: rows [${start}, ${end}) reach past the file's ${rows} rows`);
    return { metadata, rows: end - start, firstRow: start, columns: selected.map((index) => names[index]), groupStarts, dtype, bytes };
  }
}

/** hyparquet's view of a file: slices as ArrayBuffers of their own. */
function asyncBuffer(file: ByteFile): AsyncBuffer {
  return {
    byteLength: file.size,
    async slice(start, end = file.size) {
      const bytes = await file.read(start, end - start);
      if (bytes.byteLength !== end - start) throw new RangeError(`${file.name} ended at byte ${start + bytes.byteLength}, before byte ${end}`);
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer as ArrayBuffer : bytes.slice().buffer;
    },
  };
}

async function readWhole(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.byteLength;
  }
  const whole = new Uint8Array(length);
  parts.reduce((offset, part) => (whole.set(part, offset), offset + part.byteLength), 0);
  return whole;
}
