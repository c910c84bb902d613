// Matrix Market files larger than memory, read in one pass as their text arrives: where the entries come grouped by
// row in row order (a 10x Genomics or GEO matrix.mtx.gz, genes × cells sorted by column, is so once transposed),
// each batch of complete rows is checked into canonical csr (sparse.ts) and handed on; only a batch's entries are
// ever held. The lines are parsed by MtxParser (mtx.ts), whose errors name the line.

import { inputName, openBytes, type ByteFile, type ByteInput, type ByteStream } from './bytes';
import { MtxParser, gunzip, takeLines } from './mtx';
import { formatOfBytes, sparseFormatOfName, start, type SparseFileFormat, type SparseFileOptions } from './sparse-files';
import { readSparseMatrix, type SparseReader } from './sparse';
import { describe } from '../describe';

/** Entries per batch by default: 2^20 entries take 16 MB as read, about as much again checked. */
export const BATCH_ENTRIES = 1 << 20;

/** Options of `openSparse`. */
export interface OpenSparseOptions extends SparseFileOptions {
  /** The file's format: 'mtx' or 'mtx.gz' (default: from its name's extension, else its first bytes). */
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

/**
 * A sparse Matrix Market file (`.mtx`, `.mtx.gz`) read in one pass in batches of complete rows, as its text arrives,
 * for files larger than memory whose entries come grouped by row in row order (after `transpose`: 10x Genomics' and
 * GEO's genes × cells `matrix.mtx.gz`, sorted by column, read as cells × genes). Made by `openSparse`; `pca` and
 * `Moments.of` read it once (the sparse covariance route) and close it. Only a batch of entries is held at a time.
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
    /** Stored entries, as the file's size line announces them (duplicates counted). */
    readonly entries: number,
    private readonly batcher: RowBatcher,
    private readonly lines: AsyncGenerator<void>,
    private readonly bytes: ByteFile | ByteStream,
    signal: AbortSignal | undefined,
  ) {
    this.signal = signal;
  }

  /** Stored entries per batch, about (`openSparse`'s `batchEntries`). */
  get batchEntries(): number {
    return this.batcher.batchEntries;
  }

  /**
   * @internal The batches of complete rows, in row order, once (a second reading is refused); `signal` stops the
   * reading between chunks. The bytes are closed when the batches end, fail or are left.
   */
  async *batches(signal?: AbortSignal): AsyncGenerator<SparseRowBatch> {
    if (this.reading) throw new Error(`${this.name} is read once, in one pass: open it again (openSparse) to read it again`);
    this.reading = true;
    this.signal = signal ?? this.signal;
    try {
      for (;;) {
        yield* this.takeReady();
        const next = await this.lines.next();
        if (next.done) break;
      }
      this.batcher.end();
      yield* this.takeReady();
    } finally {
      await this.close();
    }
  }

  /** The batches gathered, one by one, the abort signal checked before each. */
  private *takeReady(): Generator<SparseRowBatch> {
    for (let batch = this.batcher.ready.shift(); batch; batch = this.batcher.ready.shift()) {
      this.signal?.throwIfAborted();
      yield batch;
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
    await this.lines.return(undefined);
    await this.bytes.close();
  }
}

/**
 * Opens a sparse Matrix Market file (`.mtx`, or gzipped `.mtx.gz`; real, integer or pattern; general) to be read in
 * one pass, in batches of complete rows as its text arrives: for files larger than memory, given to `pca` or
 * `Moments.of` (the sparse covariance route: the d × d operator must fit). Its entries must come grouped by row in
 * row order (row indices never decreasing; with `transpose`, column indices), as 10x Genomics' and GEO's genes ×
 * cells `matrix.mtx.gz` are read as cells × genes; an entry out of order fails with its line, and the remedy:
 * `readSparse`, which reads any order whole. Reads the header and size line before it resolves. Symmetric files
 * (one triangle stored) and scipy's .npz files (a zip, read whole) are refused: use `readSparse`.
 */
export async function openSparse(input: ByteInput, options: OpenSparseOptions = {}): Promise<SparseRowSource> {
  const name = options.name ?? inputName(input);
  if (options.format !== undefined && !['npz', 'mtx', 'mtx.gz'].includes(options.format)) {
    throw new TypeError(`format must be 'mtx' or 'mtx.gz', got ${describe(options.format)}`);
  }
  const batchEntries = options.batchEntries ?? BATCH_ENTRIES;
  if (!Number.isInteger(batchEntries) || batchEntries < 1 || batchEntries > 2 ** 30) {
    throw new RangeError(`batchEntries must be an integer from 1 to 2^30, got ${describe(options.batchEntries)}`);
  }
  const bytes = await openBytes(input, name);
  let lines: AsyncGenerator<void> | null = null;
  try {
    options.signal?.throwIfAborted();
    const { head, chunks } = await start(bytes);
    const format = formatOfBytes(head) ?? options.format ?? sparseFormatOfName(name);
    if (format === 'npz') {
      throw new RangeError(`${name} is a scipy .npz file (a zip, its arrays read whole): it cannot be streamed; read it with readSparse`);
    }
    if (format === undefined) {
      throw new RangeError(`${name}: neither its name nor its first bytes say a Matrix Market file (.mtx, .mtx.gz); pass { format }`);
    }
    const batcher = new RowBatcher(name, options.transpose ?? false, batchEntries);
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
    source = new SparseRowSource(name, rows, cols, entries, batcher, lines, bytes, options.signal);
    return source;
  } catch (error) {
    await lines?.return(undefined);
    await bytes.close();
    throw error;
  }
}
