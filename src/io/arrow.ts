// Apache Arrow tables as matrix inputs: the numeric columns of a `Table` or `RecordBatch` (DuckDB-wasm results,
// Arquero, Observable, a Parquet file read by apache-arrow) are the matrix's columns, in schema order. Read through
// the table's public interface only, so the package needs no `apache-arrow`: a column held in one contiguous chunk
// is used where it lies (`toArray()` returns a view of it), a chunked column is joined once. Nulls are refused by
// column name; so is every type that is not a number (strings, dictionaries, dates, booleans, decimals).

import { describe } from '../describe';

/** The part of an Arrow column (`Vector`) that is read: its values, their nulls, and its type. */
export interface ArrowColumn {
  /** How many values the column has. */
  readonly length: number;
  /** How many of them are null (a column with any is refused). */
  readonly nullCount: number;
  /** The values as a typed array: a view of the column's buffer when it is one chunk, a copy otherwise. */
  toArray(): ArrayLike<number | bigint>;
}

/** An Arrow field's type, as apache-arrow describes it: `typeId` 2 is Int, 3 is Float (`precision` 0 = half). */
export interface ArrowType {
  /** apache-arrow's `Type` enum: 2 (Int) and 3 (Float) are read, every other type is refused. */
  readonly typeId: number;
  /** A Float's precision: 0 half, 1 single, 2 double. */
  readonly precision?: number;
  /** The type as messages name it (`Float32`, `Utf8`, `Dictionary<Int32, Utf8>`). */
  toString(): string;
}

/**
 * An Apache Arrow `Table` or `RecordBatch` (apache-arrow 9 or later, or anything with the same public interface):
 * `numRows` rows, `numCols` numeric columns. Select the feature columns with Arrow's own `table.select([...])`.
 */
export interface ArrowTable {
  /** The rows. */
  readonly numRows: number;
  /** The columns, each a column of the matrix. */
  readonly numCols: number;
  /** The table's schema. */
  readonly schema: {
    /** The columns' names and types, in order. */
    readonly fields: ReadonlyArray<ArrowField>;
  };
  /** Column `index`, or null where there is none. */
  getChildAt(index: number): ArrowColumn | null;
}

/** An Arrow field: a column's name and type. */
export interface ArrowField {
  /** The column's name (cca's `x`/`y` and lda's `labels` options take it). */
  readonly name: string;
  /** The column's type. */
  readonly type: ArrowType;
}

/** Arrow's type ids for integers and floating-point numbers (apache-arrow's `Type.Int`, `Type.Float`). */
const ARROW_INT = 2;
const ARROW_FLOAT = 3;
const HALF_PRECISION = 0;

export function isArrowTable(input: object): input is ArrowTable {
  const table = input as Partial<ArrowTable>;
  return typeof table.numRows === 'number' && typeof table.numCols === 'number'
    && typeof table.getChildAt === 'function' && Array.isArray(table.schema?.fields);
}

/**
 * The columns of an Arrow table as arrays of numbers, checked: each numeric, without nulls, as long as the table.
 * Float32/Float64/Int8–32/Uint8–32 columns of one chunk are the column's own memory; 64-bit integers and half floats
 * are converted (to float64 and float32), chunked columns joined.
 */
export function arrowColumns(table: ArrowTable, name: string): { rows: number; columns: ArrayLike<number>[] } {
  const rows = table.numRows;
  const cols = table.numCols;
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new TypeError(`${name} is not a valid Arrow table: numRows ${describe(rows)}, numCols ${describe(cols)}`);
  }
  if (rows === 0 || cols === 0) throw new RangeError(`${name} is empty (an Arrow table of ${rows} rows × ${cols} columns)`);
  const columns: ArrayLike<number>[] = [];
  for (let c = 0; c < cols; c++) {
    const field = table.schema.fields[c];
    const column = table.getChildAt(c);
    const label = `${name} column ${JSON.stringify(field?.name ?? String(c))} (${c})`;
    if (!field || !column) throw new TypeError(`${label} is missing from the Arrow table`);
    const type = field.type;
    if (type.typeId !== ARROW_INT && type.typeId !== ARROW_FLOAT) {
      throw new TypeError(`${label} is of type ${String(type)}, not a number: select the numeric columns (table.select([...])) or convert it`);
    }
    if (column.nullCount > 0) {
      throw new RangeError(`${label} has ${column.nullCount} null values: drop or fill them before the fit (every value must be a number)`);
    }
    if (column.length !== rows) throw new RangeError(`${label} has ${column.length} values, the table has ${rows} rows`);
    columns.push(numericValues(column.toArray(), type, label));
  }
  return { rows, columns };
}

/** A column's values as numbers: typed arrays of numbers as they are; 64-bit integers and half floats converted. */
function numericValues(values: ArrayLike<number | bigint>, type: ArrowType, label: string): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float64Array.from(values, Number);
  if (type.typeId === ARROW_FLOAT && type.precision === HALF_PRECISION) {
    if (!(values instanceof Uint16Array)) throw new TypeError(`${label}: a half-float column's values are not 16-bit words`);
    return Float32Array.from(values, halfToFloat);
  }
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) return values as ArrayLike<number>;
  throw new TypeError(`${label}: its values are not a typed array of numbers (got ${describe(values)})`);
}

/** An IEEE 754 half-precision value from its 16 bits. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
