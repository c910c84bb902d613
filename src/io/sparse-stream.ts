// Sparse files larger than memory, read in one pass in batches of complete rows, each checked into canonical csr
// (sparse.ts) and handed on; only a batch's entries are ever held. Matrix Market files as their text arrives, where
// the entries come grouped by row in row order (a 10x Genomics or GEO matrix.mtx.gz, genes × cells sorted by column,
// is so once transposed), parsed by MtxParser (mtx.ts), whose errors name the line; scipy's save_npz files of csr
// (csc, transposed) by npz-stream.ts, whose errors name the member and the entry.

import { inputName, isByteFile, openBytes, type ByteFile, type ByteInput, type ByteStream } from './bytes';
import { MtxParser, gunzip, takeLines } from './mtx';
import { NotStreamableError, openNpzRows, type NpzRows } from './npz-stream';
import { formatOfBytes, sparseFormatOfName, start, type SparseFileFormat, type SparseFileOptions } from './sparse-files';
import { readSparseMatrix, type SparseReader } from './sparse';
import { describe } from '../describe';

/** Entries per batch by default: 2^20 entries take 16 MB as read, about as much again checked. */
export const BATCH_ENTRIES = 1 << 20;

/** Options of `openSparse`. */
export interface OpenSparseOptions extends SparseFileOptions {
  /** The file's format: 'npz', 'mtx' or 'mtx.gz' (default: from its first bytes, else its name's extension). */
  format?: SparseFileFormat;
  /**
   * Stored entries per batch, about (a batch ends at the first row that starts after this many; default 2^20):
   * the memory the reading takes, 16 bytes per entry and 4 per row.
   */
  batchEntries?: number;
}

/** @internal A batch of complete rows [first, first + rows.rows), checked: sorted columns, duplicates summed. */
export interface SparseRowBatch {
  first: number;
  rows: SparseReader;
}

/** The entries of a Matrix Market file as MtxParser reads them, gathered into batches of complete rows. */
class RowBatcher extends MtxParser {
  /** Complete batches not yet taken. */
  readonly ready: SparseRowBatch[] = [];
  /** The first row of the batch being gathered, and the last row that has entries in it (−1: none yet). */
  private first = 0;
  private last = -1;
  private count = 0;
  private entryRow = new Int32Array(0);
  private entryCol = new Int32Array(0);
  private entryValues = new Float64Array(0);

  constructor(name: string, transpose: boolean, readonly batchEntries: number) {
    super(name, transpose);
  }

  /** The matrix's shape as read (transposed if asked), and its entries as its size line announces, once read. */
  get shape(): { rows: number; cols: number; entries: number } {
    return this.transpose ? { rows: this.cols, cols: this.rows, entries: this.declared } : { rows: this.rows, cols: this.cols, entries: this.declared };
  }

  override take(text: string): void {
    super.take(text);
    if (this.symmetric) {
      this.fail('a symmetric file stores one triangle, and mirroring its entries breaks their order by row: it cannot be streamed; read it whole with readSparse');
    }
  }

  protected override keep(r: number, c: number, value: number): void {
    if (r < this.last) {
      const by = this.transpose ? ' (its column index, the file being transposed)' : '';
      this.fail(
        `an entry of row ${r + 1}${by} after one of row ${this.last + 1}: a file is streamed only when its entries come grouped by row in ` +
        `row order${this.transpose ? ' (sorted by column, as 10x Genomics writes them)' : ''}; read it whole with readSparse (the CLI: without --stream)`,
      );
    }
    if (r > this.last) {
      this.flushBefore(r);
      this.last = r;
    }
    if (this.count === this.entryRow.length) this.growBatch();
    this.entryRow[this.count] = r;
    this.entryCol[this.count] = c;
    this.entryValues[this.count] = value;
    this.count++;
  }

  /** Ends batches while the one gathered is full or spans too many rows: every row before `next` is complete. */
  private flushBefore(next: number): void {
    while (this.count >= this.batchEntries || next - this.first > this.batchEntries) this.flush(Math.min(next, this.first + this.batchEntries));
  }

  /** Hands on rows [first, end) (complete), keeping the entries of rows from `end` on. */
  private flush(end: number): void {
    const rows = end - this.first;
    let taken = 0;
    while (taken < this.count && this.entryRow[taken] < end) taken++;
    const indptr = new Int32Array(rows + 1);
    for (let e = 0; e < taken; e++) indptr[this.entryRow[e] - this.first + 1]++;
    for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
    const matrix = { format: 'csr' as const, rows, cols: this.shape.cols, indptr, indices: this.entryCol.slice(0, taken), data: this.entryValues.slice(0, taken) };
    this.ready.push({ first: this.first, rows: readSparseMatrix(matrix, `${this.name}, rows ${this.first + 1} to ${end}`) });
    this.entryRow.copyWithin(0, taken, this.count);
    this.entryCol.copyWithin(0, taken, this.count);
    this.entryValues.copyWithin(0, taken, this.count);
    this.count -= taken;
    this.first = end;
  }

  private growBatch(): void {
    const capacity = Math.max(1024, 2 * this.entryRow.length);
    const row = new Int32Array(capacity);
    row.set(this.entryRow);
    const col = new Int32Array(capacity);
    col.set(this.entryCol);
    const values = new Float64Array(capacity);
    values.set(this.entryValues);
    [this.entryRow, this.entryCol, this.entryValues] = [row, col, values];
  }

  /** Checks the file's end (its entries all there) and hands on the rows left, to the last. */
  end(): void {
    this.checkEnd();
    const { rows } = this.shape;
    this.flushBefore(rows);
    if (this.first < rows) this.flush(rows);
  }

  /** The header and size line are read. */
  get sized(): boolean {
    return this.stage === 'entries';
  }

}

/** @internal What a SparseRowSource reads: its batches of complete rows, once, and how to let go of the file. */
export interface RowBatches {
  read(signal: () => AbortSignal | undefined): AsyncGenerator<SparseRowBatch>;
  close(): Promise<void>;
}

/**
 * A sparse file read in one pass in batches of complete rows, for files larger than memory: a Matrix Market file
 * (`.mtx`, `.mtx.gz`) as its text arrives, where its entries come grouped by row in row order (after `transpose`:
 * 10x Genomics' and GEO's genes × cells `matrix.mtx.gz`, sorted by column, read as cells × genes); a scipy
 * `save_npz` file of a csr matrix (csc with `transpose`), its indices and values read side by side. Made by
 * `openSparse`; `pca` and `Moments.of` read it once (the sparse covariance route) and close it. Only a batch of
 * entries is held at a time.
 */
export class SparseRowSource {
  private reading = false;
  private closed = false;
  private signal: AbortSignal | undefined;

  /** @internal Made by `openSparse`. */
  constructor(
    /** The file's name, as errors give it. */
    readonly name: string,
    /** Rows (after `transpose`). */
    readonly rows: number,
    /** Columns (after `transpose`). */
    readonly cols: number,
    /** Stored entries, as the file announces them (duplicates counted): a Matrix Market size line, an .npz's indptr. */
    readonly entries: number,
    /** Stored entries per batch, about (`openSparse`'s `batchEntries`). */
    readonly batchEntries: number,
    private readonly reader: RowBatches,
    signal: AbortSignal | undefined,
  ) {
    this.signal = signal;
  }

  /**
   * @internal The batches of complete rows, in row order, once (a second reading is refused); `signal` stops the
   * reading between batches and chunks. The file is closed when the batches end, fail or are left.
   */
  async *batches(signal?: AbortSignal): AsyncGenerator<SparseRowBatch> {
    if (this.reading) throw new Error(`${this.name} is read once, in one pass: open it again (openSparse) to read it again`);
    this.reading = true;
    this.signal = signal ?? this.signal;
    try {
      for await (const batch of this.reader.read(() => this.signal)) {
        this.signal?.throwIfAborted();
        yield batch;
      }
    } finally {
      await this.close();
    }
  }

  /** @internal The signal the reading obeys. */
  get readingSignal(): AbortSignal | undefined {
    return this.signal;
  }

  /** Closes the file (pca and Moments.of close it when they finish, fail or are stopped). */
  async close(): Promise<void> {
    this.reading = true;
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
  }
}

/** A Matrix Market file's batches: the parser's complete batches taken each time its lines pause. */
function mtxBatches(batcher: RowBatcher, lines: AsyncGenerator<void>, bytes: ByteFile | ByteStream): RowBatches {
  return {
    async *read() {
      for (;;) {
        yield* takeReady(batcher);
        if ((await lines.next()).done) break;
      }
      batcher.end();
      yield* takeReady(batcher);
    },
    async close() {
      await lines.return(undefined);
      await bytes.close();
    },
  };
}

/** The batches gathered, one by one (the source checks its abort signal before each). */
function* takeReady(batcher: RowBatcher): Generator<SparseRowBatch> {
  for (let batch = batcher.ready.shift(); batch; batch = batcher.ready.shift()) yield batch;
}

/** An .npz file's batches: the members' reading stopped, then the file closed. */
function npzBatches(rows: NpzRows, file: ByteFile): RowBatches {
  return {
    read: (signal) => rows.read(signal),
    async close() {
      try {
        await rows.close();
      } finally {
        await file.close();
      }
    },
  };
}

/**
 * Opens a sparse file to be read in one pass, in batches of complete rows: for files larger than memory, given to
 * `pca` or `Moments.of` (the sparse covariance route: the d × d operator must fit).
 *
 * - A Matrix Market file (`.mtx`, or gzipped `.mtx.gz`; real, integer or pattern; general), read as its text arrives
 *   (any input, streams too). Its entries must come grouped by row in row order (row indices never decreasing; with
 *   `transpose`, column indices), as 10x Genomics' and GEO's genes × cells `matrix.mtx.gz` are read as cells × genes;
 *   an entry out of order fails with its line, and the remedy: `readSparse`, which reads any order whole. Symmetric
 *   files (one triangle stored) are refused.
 * - A scipy `save_npz` file of a csr matrix, or of a csc matrix read with `transpose` (its columns are the rows read),
 *   stored or deflated: its directory is at its end, so it must be a path, File, Blob or bytes (a stream is refused).
 *   Its indptr (rows + 1 offsets) is read whole, its indices and values a chunk at a time. csr with `transpose`, csc
 *   without, and coo, bsr or dia files are refused, naming the conversion (`X.tocsr()`, `X.tocsc()`) or `readSparse`.
 *
 * Reads the header (Matrix Market) or the directory, shape and indptr (.npz) before it resolves.
 */
export async function openSparse(input: ByteInput, options: OpenSparseOptions = {}): Promise<SparseRowSource> {
  const name = options.name ?? inputName(input);
  if (options.format !== undefined && !['npz', 'mtx', 'mtx.gz'].includes(options.format)) {
    throw new TypeError(`format must be 'npz', 'mtx' or 'mtx.gz', got ${describe(options.format)}`);
  }
  const batchEntries = options.batchEntries ?? BATCH_ENTRIES;
  if (!Number.isInteger(batchEntries) || batchEntries < 1 || batchEntries > 2 ** 30) {
    throw new RangeError(`batchEntries must be an integer from 1 to 2^30, got ${describe(options.batchEntries)}`);
  }
  const transpose = options.transpose ?? false;
  const bytes = await openBytes(input, name);
  let lines: AsyncGenerator<void> | null = null;
  try {
    options.signal?.throwIfAborted();
    const { head, chunks } = await start(bytes);
    const format = formatOfBytes(head) ?? options.format ?? sparseFormatOfName(name);
    if (format === 'npz') {
      if (!isByteFile(bytes)) {
        throw new NotStreamableError(
          `${name} is a scipy .npz file given as a stream: its directory is at its end and its members are read side by side, which needs ` +
          'random access; pass a path, File or Blob, or read it whole with readSparse',
        );
      }
      const rows = await openNpzRows(bytes, { transpose, batchEntries, signal: options.signal });
      return new SparseRowSource(name, rows.rows, rows.cols, rows.entries, batchEntries, npzBatches(rows, bytes), options.signal);
    }
    if (format === undefined) {
      throw new RangeError(`${name}: neither its name nor its first bytes say a sparse file (.npz, .mtx, .mtx.gz); pass { format }`);
    }
    const batcher = new RowBatcher(name, transpose, batchEntries);
    const text = format === 'mtx.gz' ? gunzip(chunks(), name) : chunks();
    let source: SparseRowSource | null = null;
    const signal = () => source?.readingSignal ?? options.signal;
    lines = takeLines(text, batcher, signal);
    while (!batcher.sized) {
      if ((await lines.next()).done) {
        batcher.end();
        break;
      }
    }
    const { rows, cols, entries } = batcher.shape;
    source = new SparseRowSource(name, rows, cols, entries, batchEntries, mtxBatches(batcher, lines, bytes), options.signal);
    return source;
  } catch (error) {
    await lines?.return(undefined);
    await bytes.close();
    throw error;
  }
}
