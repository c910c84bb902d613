// Matrix inputs: the shapes users hand us, checked once, read row by row.

import { arrowColumns, isArrowTable, type ArrowTable } from './arrow';
import { describe } from '../describe';

export { describe };

/** A row-major dense matrix. */
/** A row-major matrix in one typed array. */
export interface DenseMatrix {
  /** The values, row-major: rows × cols of them. */
  data: Float32Array | Float64Array;
  /** Rows (samples). */
  rows: number;
  /** Columns (features). */
  cols: number;
}

/**
 * A dense matrix, an array of equally long rows (`number[][]`, `Float32Array[]`, `Float64Array[]`), or an Apache
 * Arrow `Table` or `RecordBatch` of numeric columns.
 */
export type MatrixInput = DenseMatrix | ReadonlyArray<ArrayLike<number>> | ArrowTable;

/** A checked matrix input: its shape and a view of each row. */
export interface MatrixReader {
  readonly rows: number;
  readonly cols: number;
  /** The columns' names, where the input has them (an Arrow table's fields). */
  readonly columnNames?: string[] | null;
  /** Row r; a row of an array of rows is checked as it is read to hold numbers only (a TypeError names the first not). */
  row(r: number): ArrayLike<number>;
  /** Copies row r into `dest` from `offset`, checked as `row` checks it, in the same pass as the copy. */
  copyRow(r: number, dest: Float32Array | Float64Array, offset: number): void;
  /** Copies rows [first, first + count) into `dest` from 0, one after the other (a dense matrix: in one copy). */
  copyRows(first: number, count: number, dest: Float32Array | Float64Array): void;
  /** Rows [first, first + count) as a view of float32 values, row-major, where the input holds them so (else absent or null). */
  float32Rows?(first: number, count: number): Float32Array | null;
}

/** The error for a value not of type number (a string, null, a boolean, a Date, ...): Number() would convert it silently. */
function notANumber(name: string, r: number, c: number, value: unknown): TypeError {
  return new TypeError(`${name} has a value that is not a number at row ${r}, column ${c}: ${describe(value)}`);
}

const TypedArray = Object.getPrototypeOf(Uint8Array) as abstract new () => ArrayLike<number>;

/** Whether a row holds numbers by its type (a typed array other than the BigInt ones), so needs no check per value. */
function holdsNumbers(row: ArrayLike<unknown>): row is ArrayLike<number> {
  return !Array.isArray(row) && row instanceof TypedArray && !(row instanceof BigInt64Array) && !(row instanceof BigUint64Array);
}

/**
 * The reader of an array of rows. Plain arrays (and array-likes) are checked value by value as each row is read,
 * so every consumer (copies into wasm memory, transforms, metrics) sees numbers only, never a value that Number()
 * or a typed array's `set` would have converted without a word (null → 0, "0x10" → 16, true → 1, a Date → its time).
 * A class, not closures: its methods' optimised code is shared by every reader.
 */
class ArrayOfRowsReader implements MatrixReader {
  constructor(private readonly input: ReadonlyArray<ArrayLike<unknown>>, readonly cols: number, private readonly name: string) {}

  get rows(): number {
    return this.input.length;
  }

  row(r: number): ArrayLike<number> {
    const row = this.input[r];
    if (holdsNumbers(row)) return row;
    for (let c = 0; c < this.cols; c++) {
      if (typeof row[c] !== 'number') throw notANumber(this.name, r, c, row[c]);
    }
    return row as ArrayLike<number>;
  }

  copyRow(r: number, dest: Float32Array | Float64Array, offset: number): void {
    const row = this.input[r];
    if (holdsNumbers(row)) {
      dest.set(row, offset);
      return;
    }
    const cols = this.cols;
    for (let c = 0; c < cols; c++) {
      const value = row[c];
      if (typeof value !== 'number') throw notANumber(this.name, r, c, value);
      dest[offset + c] = value;
    }
  }
  copyRows(first: number, count: number, dest: Float32Array | Float64Array): void {
    for (let r = 0; r < count; r++) this.copyRow(first + r, dest, r * this.cols);
  }

}

/** The reader of a dense matrix: rows are views of its data. */
class DenseReader implements MatrixReader {
  constructor(private readonly data: Float32Array | Float64Array, readonly rows: number, readonly cols: number) {}

  row(r: number): Float32Array | Float64Array {
    return this.data.subarray(r * this.cols, (r + 1) * this.cols);
  }

  copyRow(r: number, dest: Float32Array | Float64Array, offset: number): void {
    dest.set(this.row(r), offset);
  }
  copyRows(first: number, count: number, dest: Float32Array | Float64Array): void {
    dest.set(this.data.subarray(first * this.cols, (first + count) * this.cols));
  }

  float32Rows(first: number, count: number): Float32Array | null {
    return this.data instanceof Float32Array ? this.data.subarray(first * this.cols, (first + count) * this.cols) : null;
  }

}

/**
 * The reader of an Arrow table: its columns stay where they are (one typed array each) and rows are gathered from
 * them as they are read.
 */
class ColumnsReader implements MatrixReader {
  readonly cols: number;

  constructor(private readonly columns: ArrayLike<number>[], readonly rows: number, readonly columnNames: string[]) {
    this.cols = columns.length;
  }

  row(r: number): Float64Array {
    const row = new Float64Array(this.cols);
    this.copyRow(r, row, 0);
    return row;
  }

  copyRow(r: number, dest: Float32Array | Float64Array, offset: number): void {
    const columns = this.columns;
    for (let c = 0; c < columns.length; c++) dest[offset + c] = columns[c][r];
  }

  copyRows(first: number, count: number, dest: Float32Array | Float64Array): void {
    // Column by column: each column is read in order, the rows written with a stride.
    const cols = this.cols;
    for (let c = 0; c < cols; c++) {
      const column = this.columns[c];
      for (let r = 0; r < count; r++) dest[r * cols + c] = column[first + r];
    }
  }
}

function isDense(input: object): input is DenseMatrix {
  return 'data' in input && 'rows' in input && 'cols' in input;
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/**
 * Checks the shape of a matrix input and returns a reader. `name` is how errors call it ("X", "minibatch").
 * Throws TypeError for a wrong kind of value and RangeError for an empty, ragged or inconsistent one.
 */
export function readMatrix(input: unknown, name: string): MatrixReader {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`${name} must be { data, rows, cols }, an array of rows or an Arrow table, got ${describe(input)}`);
  }
  if (isArrowTable(input)) {
    const { rows, columns } = arrowColumns(input, name);
    return new ColumnsReader(columns, rows, input.schema.fields.map((field) => field.name));
  }
  if (isDense(input)) {
    const { data } = input;
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw new TypeError(`${name}.data must be a Float32Array or Float64Array, got ${describe(data)}`);
    }
    const rows = checkCount(input.rows, `${name}.rows`);
    const cols = checkCount(input.cols, `${name}.cols`);
    if (rows * cols !== data.length) {
      throw new RangeError(
        `${name}.data has ${data.length} values but ${name}.rows × ${name}.cols = ${rows} × ${cols} = ${rows * cols}`,
      );
    }
    if (rows === 0 || cols === 0) throw new RangeError(`${name} is empty (${rows} rows × ${cols} columns)`);
    return new DenseReader(data, rows, cols);
  }
  if (!Array.isArray(input)) {
    throw new TypeError(`${name} must be { data, rows, cols }, an array of rows or an Arrow table, got ${describe(input)}`);
  }
  const rowsArray = input as ReadonlyArray<unknown>;
  if (rowsArray.length === 0) throw new RangeError(`${name} is empty (no rows)`);
  let cols = -1;
  for (let r = 0; r < rowsArray.length; r++) {
    const row = rowsArray[r] as { length?: unknown } | null;
    if (typeof row !== 'object' || row === null || typeof row.length !== 'number') {
      throw new TypeError(`${name}[${r}] must be an array of numbers, got ${describe(row)}`);
    }
    if (cols < 0) cols = row.length;
    else if (row.length !== cols) {
      throw new RangeError(`${name} is ragged: row ${r} has ${row.length} values, row 0 has ${cols}`);
    }
  }
  if (cols === 0) throw new RangeError(`${name} is empty (its rows have no values)`);
  return new ArrayOfRowsReader(rowsArray as ReadonlyArray<ArrayLike<unknown>>, cols, name);
}

/**
 * Throws for the first value of `values` that is not a finite number: a TypeError for a value that is not a number
 * at all, a RangeError for NaN, an infinity or (with `float32`) a value beyond the float32 range.
 */
export function reportNonFinite(values: ArrayLike<unknown>, name: string, r: number, float32 = false): never {
  for (let c = 0; c < values.length; c++) {
    const value = values[c];
    if (typeof value !== 'number') throw notANumber(name, r, c, value);
    if (Number.isNaN(value)) {
      throw new RangeError(`${name} has a value that is not a number at row ${r}, column ${c}: ${describe(value)}`);
    }
    if (!Number.isFinite(value)) throw new RangeError(`${name} has an infinite value at row ${r}, column ${c}: ${value}`);
    if (float32 && !Number.isFinite(Math.fround(value))) {
      throw new RangeError(`${name} has a value outside the float32 range at row ${r}, column ${c}: ${value}`);
    }
  }
  throw new RangeError(`${name} has a value that is not finite in row ${r}`);
}

/** Where rows are copied to: the engine's resident rows, checked there by a kernel. */
export interface RowSink {
  rows(first: number, count: number): Float32Array;
  firstNonFinite(first: number, count: number): number;
}

/** A plain Float32Array of `cols`-wide rows as a sink, checked in JavaScript (small inputs: init vectors). */
export function arraySink(dest: Float32Array, cols: number): RowSink {
  return {
    rows: (first, count) => dest.subarray(first * cols, (first + count) * cols),
    firstNonFinite(first, count) {
      const values = dest.subarray(first * cols, (first + count) * cols);
      return values.findIndex((value) => value - value !== 0);
    },
  };
}

/**
 * Copies every row of a checked input into the first rows of `sink` as float32, row `order[i]` (or i) landing at
 * row i. A value that is not a number throws a TypeError as its row is read; every value is checked once copied
 * (one SIMD pass): the first that is not finite in float32 (NaN, an infinity, a value beyond the float32 range)
 * throws a RangeError naming its row and column in the input.
 */
export function copyRows(reader: MatrixReader, name: string, sink: RowSink, order?: Uint32Array): void {
  copyRowsUnchecked(reader, sink, order);
  checkCopiedRows(reader, name, sink, order);
}

/** The copy of `copyRows` alone, for a caller that learns from another pass whether the values are finite. */
export function copyRowsUnchecked(reader: MatrixReader, sink: RowSink, order?: Uint32Array): void {
  const { rows, cols } = reader;
  const dest = sink.rows(0, rows);
  for (let i = 0; i < rows; i++) reader.copyRow(order ? order[i] : i, dest, i * cols);
}

/** The check of `copyRows`: the first value that is not finite in float32 throws, naming its row and column. */
export function checkCopiedRows(reader: MatrixReader, name: string, sink: RowSink, order?: Uint32Array): void {
  const bad = sink.firstNonFinite(0, reader.rows);
  if (bad >= 0) {
    const r = order ? order[Math.floor(bad / reader.cols)] : Math.floor(bad / reader.cols);
    reportNonFinite(reader.row(r), name, r, true);
  }
}
