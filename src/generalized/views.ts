// Two sets of columns of the same rows (CCA's and PLS's X and Y), as users hand them over: two matrices in memory,
// one matrix or source split by column lists, or two sources read in lock step. And their joint covariance pass:
// each row [x | y] centred and summed in float64 by CovariancePass (src/pca/covariance.ts), then the sums scaled as
// those of [x · sx | y · sy] (sx, sy: powers of two from all the rows' exact moments, bringing each view's deviations
// near 1, so that data in any units meets the float32 game well).

import { describe } from '../describe';
import type { Engine } from '../devices/engine';
import { batchesOf } from '../game/game';
import { readMatrix, reportNonFinite, type MatrixInput, type MatrixReader } from '../io/matrix';
import { isArrowTable } from '../io/arrow';
import { isMatrixSource, type MatrixSource, type RowBatch } from '../io/source';
import { CovariancePass, memoryBatch } from '../pca/covariance';
import { Moments, checkMoments } from '../pca/moments';
import { scaleForMeanSquare } from '../pca/stats';
import type { GeneralizedProgress, GeneralizedSettings } from './options';

/** Columns to take from one input: 0-based indices, or names from a CSV header. */
export type ColumnList = ReadonlyArray<number | string>;

/** One view's rows: a matrix in memory (or an array of rows), or a source. */
export type ViewInput = MatrixInput | MatrixSource;

/** cca's and pls's options that split one input (a matrix, a source, or Moments) into its two views. */
export interface ViewColumns {
  /** With one input: its columns that are X (0-based indices, or names from a CSV header). */
  x?: ColumnList;
  /** With one input: its columns that are Y. */
  y?: ColumnList;
}

/** The two views as the pass reads them, or as Moments of [X | Y]'s columns already hold them (no pass). */
export type TwoViews =
  | { kind: 'memory'; x: ColumnsOf<MatrixReader>; y: ColumnsOf<MatrixReader> }
  | { kind: 'sources'; x: ColumnsOf<MatrixSource>; y: ColumnsOf<MatrixSource> }
  | { kind: 'moments'; x: ColumnsOf<Moments>; y: ColumnsOf<Moments> };

/**
 * An input and which of its columns a view takes (null: all of them), with the view's name for messages. A source's
 * `list` (names or indices) becomes `columns` once its header has been read.
 */
export interface ColumnsOf<T> {
  input: T;
  columns: number[] | null;
  list?: ColumnList;
  name: string;
}

/** Floats a default batch of a source may take. */
const DEFAULT_BATCH_FLOATS = 1 << 22;

/** Closes every source among a method's arguments: a source is read to its end or abandoned, and released on every path. */
export async function closeSources(...inputs: unknown[]): Promise<void> {
  await Promise.all(inputs.filter(isMatrixSource).map((source) => source.close()));
}

/** Whether an argument is an input (a matrix, a source or Moments) rather than an options object. */
export function isInput(value: unknown): boolean {
  if (isMatrixSource(value) || Array.isArray(value) || value instanceof Moments) return true;
  if (typeof value !== 'object' || value === null) return false;
  return ('data' in value && 'rows' in value && 'cols' in value) || isArrowTable(value);
}

/** The two views of `cca(X, Y, options)` or of `cca(data, { x, y, ... })`. */
export function twoViews(X: unknown, Y: unknown, split: { x?: ColumnList; y?: ColumnList } | null): TwoViews {
  if (split) {
    const { x, y } = split;
    if (x === undefined || y === undefined) {
      throw new TypeError('with one input, the options must say which columns are X and which are Y: { x: [...], y: [...] }');
    }
    const xs = columnList(x, 'x');
    const ys = columnList(y, 'y');
    if (X instanceof Moments) {
      return {
        kind: 'moments',
        x: { input: X, columns: disjoint(columnIndices(xs, X.d, null, 'x'), columnIndices(ys, X.d, null, 'y'), null), name: 'X' },
        y: { input: X, columns: columnIndices(ys, X.d, null, 'y'), name: 'Y' },
      };
    }
    if (isMatrixSource(X)) return { kind: 'sources', x: { input: X, columns: null, list: xs, name: 'X' }, y: { input: X, columns: null, list: ys, name: 'Y' } };
    const reader = readMatrix(X, 'data');
    return {
      kind: 'memory',
      x: { input: reader, columns: disjoint(columnIndices(xs, reader.cols, reader.columnNames ?? null, 'x'), columnIndices(ys, reader.cols, reader.columnNames ?? null, 'y'), reader.columnNames ?? null), name: 'X' },
      y: { input: reader, columns: columnIndices(ys, reader.cols, reader.columnNames ?? null, 'y'), name: 'Y' },
    };
  }
  if (X instanceof Moments || Y instanceof Moments) {
    throw new TypeError('Moments hold one set of columns: pass the moments of [X | Y] alone, with { x: [...], y: [...] } naming its columns');
  }
  if (isMatrixSource(X) !== isMatrixSource(Y)) {
    throw new TypeError('X and Y must both be sources or both be in memory (read an in-memory view into a source, or a source into memory)');
  }
  if (isMatrixSource(X)) {
    return { kind: 'sources', x: { input: X, columns: null, name: X.name }, y: { input: Y as MatrixSource, columns: null, name: (Y as MatrixSource).name } };
  }
  const x = readMatrix(X, 'X');
  const y = readMatrix(Y, 'Y');
  if (x.rows !== y.rows) {
    throw new RangeError(`X has ${x.rows} rows but Y has ${y.rows}: row i of X and row i of Y must be the same sample`);
  }
  return { kind: 'memory', x: { input: x, columns: null, name: 'X' }, y: { input: y, columns: null, name: 'Y' } };
}

function columnList(list: unknown, option: string): ColumnList {
  if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string' || (Number.isInteger(c) && c >= 0))) {
    const shown = Array.isArray(list) ? `[${list.map(describe).join(', ')}]` : describe(list);
    throw new TypeError(`${option} must be a non-empty array of column names or 0-based indices, got ${shown}`);
  }
  return list as ColumnList;
}

/**
 * `x` itself, once checked to share no column with `y`: a column in both views is perfectly correlated with itself,
 * so cca would find ρ = 1 and pls that column's own variance, whatever the data.
 */
function disjoint(x: number[], y: number[], names: string[] | null): number[] {
  const shared = x.find((column) => y.includes(column));
  if (shared !== undefined) {
    const named = names ? `column ${JSON.stringify(names[shared])}` : `column ${shared}`;
    throw new RangeError(`x and y both name ${named}: a column in both views correlates perfectly with itself (ρ = 1); give each column to one view`);
  }
  return x;
}

/** Resolves names (with a header) and indices against `cols` columns. */
export function columnIndices(list: ColumnList, cols: number, names: string[] | null, option: string): number[] {
  const seen = new Set<number>();
  return list.map((column) => {
    let index: number;
    if (typeof column === 'number') {
      if (column >= cols) throw new RangeError(`${option} names column ${column}, but the input has ${cols} columns (0 to ${cols - 1})`);
      index = column;
    } else {
      if (!names) throw new TypeError(`${option} names column ${describe(column)}, but the input has no header: name columns by 0-based index`);
      index = names.indexOf(column);
      if (index < 0) throw new RangeError(`${option} names column ${describe(column)}, which the header does not have`);
    }
    if (seen.has(index)) throw new RangeError(`${option} names column ${describe(column)} twice`);
    seen.add(index);
    return index;
  });
}

/** Columns of each view. */
export function viewWidths(views: TwoViews): Promise<{ dx: number; dy: number; rows: number | null }> | { dx: number; dy: number; rows: number } {
  if (views.kind === 'moments') return { dx: views.x.columns!.length, dy: views.y.columns!.length, rows: views.x.input.n };
  if (views.kind === 'memory') {
    const width = (view: ColumnsOf<MatrixReader>) => view.columns?.length ?? view.input.cols;
    return { dx: width(views.x), dy: width(views.y), rows: views.x.input.rows };
  }
  return sourceWidths(views);
}

async function sourceWidths(views: Extract<TwoViews, { kind: 'sources' }>): Promise<{ dx: number; dy: number; rows: number | null }> {
  const x = await views.x.input.info();
  const y = views.y.input === views.x.input ? x : await views.y.input.info();
  for (const [view, info, option] of [[views.x, x, 'x'], [views.y, y, 'y']] as const) {
    if (view.list) view.columns = columnIndices(view.list, info.cols, info.columnNames, option);
  }
  if (views.x.input === views.y.input && views.x.columns && views.y.columns) disjoint(views.x.columns, views.y.columns, x.columnNames);
  if (x.rows !== null && y.rows !== null && x.rows !== y.rows) {
    throw new RangeError(`${views.x.name} has ${x.rows} rows but ${views.y.name} has ${y.rows}: row i of X and row i of Y must be the same sample`);
  }
  return { dx: views.x.columns?.length ?? x.cols, dy: views.y.columns?.length ?? y.cols, rows: x.rows ?? y.rows };
}

/** What the joint pass leaves: the rows, each view's mean (user units) and scale, and the covariance's sums on the engine. */
export interface JointPass {
  n: number;
  meanX: Float64Array;
  meanY: Float64Array;
  sx: number;
  sy: number;
  /** Reads of all the rows: 1. */
  passes: number;
}

/** Rows per batch for the pass over rows of `m` columns padded to `padded` (the engine's d). */
export function passBatch(views: TwoViews, m: number, padded: number, rows: number | null, settings: GeneralizedSettings): number {
  if (views.kind === 'moments') return 1;
  if (views.kind === 'memory') return Math.min(rows ?? Infinity, memoryBatch(padded));
  return settings.batchSize ?? Math.max(Math.min(4096, Math.floor(DEFAULT_BATCH_FLOATS / m)), 2);
}

/** A view of an in-memory input as a batch (its columns picked out by `copyView`), rows [first, first + rows). */
function memoryBatchOf(view: ColumnsOf<MatrixReader>, first: number, rows: number): RowBatch {
  const { input } = view;
  const data = new Float64Array(rows * input.cols);
  input.copyRows(first, rows, data);
  return { data, rows, cols: input.cols, firstRow: first };
}

/** Both views' batches, side by side: in memory, or from sources read in lock step. */
function jointBatches(views: Exclude<TwoViews, { kind: 'moments' }>, batch: number, signal?: AbortSignal): AsyncGenerator<[RowBatch, RowBatch]> {
  if (views.kind === 'sources') return lockStep(views, batch, signal);
  const { x, y } = views;
  return (async function* memory() {
    for (let first = 0; first < x.input.rows; first += batch) {
      signal?.throwIfAborted();
      const rows = Math.min(batch, x.input.rows - first);
      const bx = memoryBatchOf(x, first, rows);
      yield [bx, y.input === x.input ? bx : memoryBatchOf(y, first, rows)];
    }
  })();
}

/**
 * The covariance of [X · sx | Y · sy] summed into the engine's operator (upper triangle) in float64, each block
 * centred at its own mean and the means merged exactly (CovariancePass), in one read of the rows. The views' scales
 * come from all the rows' exact moments once the pass is done, and multiply the float64 sums (powers of two: exact).
 * `crossOnly`: only the cross block Cxy is summed (pls, whose B is I; the rest of the sums stays zero).
 */
export async function jointPass(
  engine: Engine, views: TwoViews, dx: number, dy: number, batch: number, settings: GeneralizedSettings, crossOnly = false,
): Promise<JointPass> {
  if (views.kind === 'moments') return momentsPass(engine, views, settings.center);
  const { center, signal } = settings;
  const m = dx + dy;
  let pass: CovariancePass | null = null;
  let current: [RowBatch, RowBatch] | null = null;
  const notFinite = (first: number, count: number): never => {
    for (const [view, batchOf] of [[views.x, 0], [views.y, 1]] as const) {
      const rows = current![batchOf];
      const width = view.columns?.length ?? rows.cols;
      const row = new Float64Array(width);
      for (let r = first; r < first + count; r++) {
        copyView(rows, r, view.columns, 1, row, 0);
        if (!row.every(Number.isFinite)) {
          if (views.kind === 'memory') reportNonFinite(row, view.name, rows.firstRow + r);
          throw new RangeError(`${view.name}: the statistics of its values overflowed float64 (values beyond about 1e154)`);
        }
      }
    }
    throw new RangeError(`${views.x.name} and ${views.y.name}: the statistics of their values overflowed float64 (values beyond about 1e154)`);
  };
  let step = 0;
  for await (const batchPair of jointBatches(views, batch, signal)) {
    current = batchPair;
    const [bx, by] = batchPair;
    pass ??= new CovariancePass(engine, m, batch, center, 'X and Y', notFinite, signal, 'float64', crossOnly ? { start: 0, end: dx, from: dx } : undefined);
    await pass.add(bx.rows, (offset, count, into) => {
      for (let r = 0; r < count; r++) {
        copyView(bx, offset + r, views.x.columns, 1, into, r * m);
        copyView(by, offset + r, views.y.columns, 1, into, r * m + dx);
      }
    });
    settings.onProgress?.(passProgress(settings, ++step, pass.moments.rows));
  }
  if (!pass) throw new RangeError(`${views.x.name} has no rows`);
  await pass.finish();
  const { moments } = pass;
  if (!moments.finite()) throw new RangeError(`${views.x.name}: the statistics of its values overflowed float64 (values beyond about 1e154)`);
  const n = moments.rows;
  const meanSquare = (first: number, width: number) => {
    let sum = 0;
    for (let c = first; c < first + width; c++) sum += moments.squares[c] + (center ? 0 : moments.rows * moments.mean[c] ** 2);
    return sum / (n * width);
  };
  const sx = viewScale(meanSquare(0, dx), views.x.name);
  const sy = viewScale(meanSquare(dx, dy), views.y.name);
  const { sums } = engine.operator();
  const padded = engine.d;
  const scale = (c: number) => (c < dx ? sx : sy);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) sums[i * padded + j] *= scale(i) * scale(j);
  const mean = (first: number, width: number) => Float64Array.from(moments.subtracted(center).subarray(first, first + width));
  return { n, meanX: mean(0, dx), meanY: mean(dx, dy), sx, sy, passes: 1 };
}

/** The power of two that brings a view's mean square near 1 (its sums' scale); a view that does not vary is refused. */
function viewScale(meanSquare: number, name: string): number {
  if (meanSquare === 0) throw new RangeError(`${name} has no variance: every row is the same`);
  return scaleForMeanSquare(meanSquare, name);
}

/**
 * What a pass would sum, from Moments of [X | Y]'s columns: their scatter's blocks (plus n · mean meanᵀ without
 * centring), each view scaled by the power of two that brings its mean square near 1, into the engine's sums.
 */
function momentsPass(engine: Engine, views: Extract<TwoViews, { kind: 'moments' }>, center: boolean): JointPass {
  const moments = views.x.input;
  checkMoments(moments, 'the moments');
  const { n, d } = moments;
  if (n < 2) throw new RangeError(`the moments have ${n} row${n === 1 ? '' : 's'}; at least 2 are needed`);
  const columns = [...views.x.columns!, ...views.y.columns!];
  const dx = views.x.columns!.length;
  const entry = (a: number, b: number) => moments.scatter[a * d + b] + (center ? 0 : n * moments.mean[a] * moments.mean[b]);
  const viewScale = (view: ColumnsOf<Moments>) => {
    let sum = 0;
    for (const c of view.columns!) sum += entry(c, c);
    return scaleForMeanSquare(sum / (n * view.columns!.length), view.name);
  };
  const sx = viewScale(views.x);
  const sy = viewScale(views.y);
  const scale = (i: number) => (i < dx ? sx : sy);
  const padded = engine.d;
  const { sums } = engine.operator();
  sums.fill(0);
  for (let i = 0; i < columns.length; i++) {
    for (let j = i; j < columns.length; j++) sums[i * padded + j] = entry(columns[i], columns[j]) * scale(i) * scale(j);
  }
  const mean = (view: ColumnsOf<Moments>) => Float64Array.from(view.columns!, (c) => (center ? moments.mean[c] : 0));
  return { n, meanX: mean(views.x), meanY: mean(views.y), sx, sy, passes: 0 };
}

function passProgress(settings: GeneralizedSettings, step: number, rowsRead: number): GeneralizedProgress {
  return { stage: 'pass', step, maxSteps: settings.maxSteps, values: new Float64Array(0), residual: Infinity, remaining: Infinity, rowsRead };
}

/** Copies row r of a batch's `columns` (all when null) times `scale` into `into` from `offset`. */
function copyView(batch: RowBatch, r: number, columns: number[] | null, scale: number, into: Float64Array, offset: number): void {
  const { data, cols } = batch;
  const base = r * cols;
  if (!columns) {
    for (let c = 0; c < cols; c++) into[offset + c] = data[base + c] * scale;
    return;
  }
  for (let c = 0; c < columns.length; c++) into[offset + c] = data[base + columns[c]] * scale;
}

/** Both sources' batches, side by side (one batch when both views are columns of one source). */
async function* lockStep(
  views: Extract<TwoViews, { kind: 'sources' }>, batch: number, signal?: AbortSignal,
): AsyncGenerator<[RowBatch, RowBatch]> {
  const x = batchesOf(views.x.input, batch, undefined, signal);
  if (views.y.input === views.x.input) {
    for await (const rows of x) yield [rows, rows];
    return;
  }
  const y = batchesOf(views.y.input, batch, undefined, signal);
  let read = 0;
  try {
    for (;;) {
      const [a, b] = await Promise.all([x.next(), y.next()]);
      if (a.done && b.done) return;
      if (a.done || b.done || a.value.rows !== b.value.rows) {
        const [ended, longer] = a.done || (!b.done && a.value.rows < b.value.rows) ? [views.x.name, views.y.name] : [views.y.name, views.x.name];
        const at = read + Math.min(a.done ? 0 : a.value.rows, b.done ? 0 : b.value.rows);
        throw new RangeError(`${ended} ends after ${at} rows but ${longer} has more: row i of X and row i of Y must be the same sample`);
      }
      read += a.value.rows;
      yield [a.value, b.value];
    }
  } finally {
    await Promise.all([x.return(undefined), y.return(undefined)]);
  }
}
