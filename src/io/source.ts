// Data sources: matrices that arrive in minibatches of rows instead of all at once (files larger than memory,
// browser Files, streams). pca and EigenGame.run read them batch by batch; memory stays O(batch · d + k · d).

import { describe } from '../describe';

/** What a source knows about itself once opened. */
export interface SourceInfo {
  /** The file's format. */
  format: 'npy' | 'csv' | 'parquet';
  /** Columns per row (after a CSV's column selection). */
  cols: number;
  /** Rows, when the header or a first pass over the data has told (null for a stream not yet read). */
  rows: number | null;
  /** Column names from a CSV header row or a Parquet schema (null otherwise). */
  columnNames: string[] | null;
  /** How values are read: 'float32' or 'float64' (.npy; Parquet: float32 when every column is FLOAT), 'text' (CSV). */
  dtype: 'float32' | 'float64' | 'text';
  /** Whether it can be read again (files, Blobs, bytes): epochs, an exact first pass for the mean, a final pass. */
  rereadable: boolean;
}

/**
 * A batch of rows, row-major, the values as the source stores them: float32 from a float32 `.npy`, float64 from a
 * float64 `.npy` or a CSV (nothing is rounded before pca takes the mean). `data` is reused by the next batch: copy
 * what you keep.
 */
export interface RowBatch {
  /** The rows, row-major. */
  data: Float32Array | Float64Array;
  /** Rows in this batch. */
  rows: number;
  /** Columns per row. */
  cols: number;
  /** Index of the batch's first row in the file. */
  firstRow: number;
}

/** Rows that arrive in minibatches (a file, a File, bytes, a stream): what every fit, `Moments.of` and `EigenGame.run` read. `openSource`, `NpySource` and `CsvSource` make them; any object of this shape works. */
export interface MatrixSource {
  /** The name errors give the source. */
  readonly name: string;
  /** Opens the source (reads a header or the first rows) and says what it holds. */
  info(): Promise<SourceInfo>;
  /**
   * The rows in batches of `batchSize` (the last may be shorter), in file order; or, with `blockOrder`, the blocks
   * of `batchSize` rows (block b = rows b·batchSize …) in that order, which needs a re-readable source. A one-shot
   * source can be read once.
   */
  batches(batchSize: number, blockOrder?: ArrayLike<number>): AsyncGenerator<RowBatch>;
  /** Releases the file (a no-op for other inputs). */
  close(): Promise<void>;
}

/**
 * A source's batches with the finite check of their values left to the caller (a pass that reads every value anyway
 * and can tell when a block holds one that is not finite): `refuseNonFinite(batch)` throws the error the checked
 * batches would have thrown for `batch`, and returns if every value of it is finite.
 */
export interface UncheckedBatches {
  batches: AsyncGenerator<RowBatch>;
  refuseNonFinite(batch: RowBatch): void;
}

/** A source that can hand over its batches unchecked (see UncheckedBatches). */
export interface DeferringSource extends MatrixSource {
  uncheckedBatches(batchSize: number): Promise<UncheckedBatches>;
}

export function defersChecks(source: MatrixSource): source is DeferringSource {
  return typeof (source as Partial<DeferringSource>).uncheckedBatches === 'function';
}

export function isMatrixSource(value: unknown): value is MatrixSource {
  return typeof value === 'object' && value !== null && typeof (value as MatrixSource).batches === 'function'
    && typeof (value as MatrixSource).info === 'function';
}

/**
 * `inMemory(X)` for a matrix, `fromSource(X)` for a source, which is then closed on every path (read to its end,
 * abandoned on an error, or refused for bad options before any read), so that a stream is released and no file
 * handle outlives the call.
 */
export async function readMatrixOrSource<M, T>(
  X: M | MatrixSource, inMemory: (matrix: M) => Promise<T>, fromSource: (source: MatrixSource) => Promise<T>,
): Promise<T> {
  if (!isMatrixSource(X)) return inMemory(X);
  try {
    return await fromSource(X);
  } finally {
    await X.close();
  }
}

/** The most bytes one batch may take: a source refuses larger ones before allocating them. */
export const MAX_BATCH_BYTES = 1 << 30;

export function checkBatchSize(name: string, batchSize: number, cols: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`${name}: batchSize must be a positive integer, got ${describe(batchSize)}`);
  }
  if (batchSize * cols * 4 > MAX_BATCH_BYTES) {
    throw new RangeError(
      `${name}: a batch of ${batchSize} rows × ${cols} columns would take ${batchSize * cols * 4} bytes, more than ${MAX_BATCH_BYTES}: use a smaller batchSize`,
    );
  }
}

/** The error for a value that is not a finite number, naming where it is. */
export function nonFiniteError(name: string, row: number, col: number, value: number): RangeError {
  return new RangeError(`${name}: row ${row}, column ${col} is ${value} (every value must be a finite number)`);
}

/** A valid `rows` option: two integers, 0 ≤ start ≤ end (the end is checked against the file when it is opened). */
export function checkRowsOption(rows: unknown): [number, number] {
  if (!Array.isArray(rows) || rows.length !== 2) throw new TypeError(`rows must be [start, end), two row numbers, got ${describe(rows)}`);
  const [start, end] = rows as unknown[];
  for (const [what, value] of [['start', start], ['end', end]] as const) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw new RangeError(`rows: ${what} must be a non-negative integer, got ${describe(value)}`);
    }
  }
  if ((start as number) > (end as number)) throw new RangeError(`rows: start ${start} is after end ${end} (rows are [start, end))`);
  return [start as number, end as number];
}
