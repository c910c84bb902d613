// The covariance route's state as a public object: the rows counted, their mean and their scatter matrix, in
// float64. Moments of shards computed anywhere (workers, tabs, edge functions, the map side of a map-reduce job)
// merge exactly into the moments of their union, and pca of the merged moments is one eigensolve: how data that
// lives in many places gets its principal components without a cluster.
//
// The merge is Chan, Golub and LeVeque's pairwise update, S = S_a + S_b + (n_a n_b / n) δ δᵀ with δ = m_b − m_a:
// no offset from zero ever meets a square, so shards far from zero (timestamps) merge as exactly as shards near it.

import { describe } from '../describe';
import { Engine, cancellable } from '../devices/engine';
import { checkDimensions } from '../game/options';
import { readMatrix, type MatrixInput } from '../io/matrix';
import { isMatrixSource, readMatrixOrSource, type MatrixSource } from '../io/source';
import { OPERATOR_BUDGET_BYTES, routeCosts } from './choose';
import { PLAY_SETTINGS, resolveOptions, type PCAOptions, type PCASettings } from './core';
import type { PCAModel } from './model';
import { padToPanels } from './pack';
import { solveSummed, sumMatrix, type Summed } from './routes';
import { playerCount } from './solve';
import { ColumnMoments } from './stats';
import { batchSizeFor, sumSource } from './stream';

/** What computing moments takes from pca's options: where it runs, how it reads a source, and how to stop it. */
export type MomentsOptions = Pick<PCAOptions, 'devices' | 'whenBusy' | 'signal' | 'onWarning' | 'batchSize' | 'onProgress'>;

/** The JSON form of Moments: the scatter's upper triangle, row by row (d(d + 1)/2 values), every number exact. */
export interface MomentsJSON {
  format: 'eigengame-moments';
  version: 1;
  n: number;
  d: number;
  mean: number[];
  scatter: number[];
}

export class Moments {
  /** Rows counted. */
  n = 0;
  /** Their column means (float64, exact to rounding). */
  readonly mean: Float64Array;
  /**
   * d × d, row-major, symmetric: Σ (x − mean)(x − mean)ᵀ over the rows (float64 sums of float32 products of the
   * centred rows in blocks of 64: relative error about 1e-7 of the diagonal).
   */
  readonly scatter: Float64Array;

  /** Empty moments of rows of d values, to merge into or `partialFit`. */
  constructor(readonly d: number) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be a positive integer, got ${describe(d)}`);
    this.mean = new Float64Array(d);
    this.scatter = new Float64Array(d * d);
  }

  /**
   * The moments of X (a matrix in memory, or a source read once in batches and closed), summed by the kernels on
   * the devices: exact means in float64 first, then the centred rows' products.
   */
  static async of(X: MatrixInput | MatrixSource, options: MomentsOptions = {}): Promise<Moments> {
    const run = <T>(sum: (input: T, settings: PCASettings) => Promise<Moments>) => (input: T) => {
      const settings = momentSettings(options);
      return cancellable(settings.signal, () => sum(input, settings));
    };
    return readMatrixOrSource(X, run(momentsOfMatrix), run(momentsOfSource));
  }

  /** Merges `parts` in their order into new moments (the same parts in the same order give the same bits). */
  static merge(parts: readonly Moments[]): Moments {
    if (!Array.isArray(parts) || parts.length === 0 || !parts.every((part) => part instanceof Moments)) {
      throw new TypeError(`Moments.merge needs a non-empty array of Moments, got ${describe(parts)}`);
    }
    const merged = new Moments(parts[0].d);
    for (const part of parts) merged.merge(part);
    return merged;
  }

  /** Adds the rows of X (as `Moments.of` reads them) to these moments; resolves to them. */
  async partialFit(X: MatrixInput | MatrixSource, options: MomentsOptions = {}): Promise<this> {
    if (!isMatrixSource(X)) {
      const cols = readMatrix(X, 'X').cols;
      if (cols !== this.d) throw new RangeError(`X has ${cols} columns, but these moments are of d = ${this.d}`);
    }
    return this.merge(await Moments.of(X, options));
  }

  /** Adds `other`'s rows to these moments, exactly (Chan's update); resolves to them. */
  merge(other: Moments): this {
    if (!(other instanceof Moments)) throw new TypeError(`merge needs Moments, got ${describe(other)}`);
    const { d } = this;
    if (other.d !== d) throw new RangeError(`cannot merge moments of d = ${other.d} into moments of d = ${d}`);
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.mean.set(other.mean);
      this.scatter.set(other.scatter);
      this.n = other.n;
      return this;
    }
    const n = this.n + other.n;
    const weight = (this.n * other.n) / n;
    const delta = other.mean.map((value, c) => value - this.mean[c]);
    // The upper triangle, mirrored: the scatter stays symmetric to the bit (its JSON holds the upper triangle).
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        this.scatter[i * d + j] = this.scatter[j * d + i] = this.scatter[i * d + j] + other.scatter[i * d + j] + weight * delta[i] * delta[j];
      }
    }
    for (let c = 0; c < d; c++) this.mean[c] += (delta[c] * other.n) / n;
    this.n = n;
    return this;
  }

  /** The sample covariance, scatter / (n − 1) (d × d, row-major). */
  covariance(): Float64Array {
    if (this.n < 2) throw new RangeError(`the covariance needs at least 2 rows; these moments have ${this.n}`);
    return this.scatter.map((value) => value / (this.n - 1));
  }

  toJSON(): MomentsJSON {
    const { d } = this;
    const scatter: number[] = [];
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) scatter.push(this.scatter[i * d + j]);
    return { format: 'eigengame-moments', version: 1, n: this.n, d, mean: Array.from(this.mean), scatter };
  }

  /** Rebuilds moments from `toJSON()` output (or its JSON string), checking every field. */
  static fromJSON(json: MomentsJSON | string): Moments {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    const fields = value as Partial<Record<keyof MomentsJSON, unknown>>;
    if (typeof value !== 'object' || value === null || fields.format !== 'eigengame-moments') {
      throw new TypeError('Moments.fromJSON needs the output of Moments.prototype.toJSON()');
    }
    if (fields.version !== 1) throw new RangeError(`unsupported moments version ${describe(fields.version)} (this version reads 1)`);
    const { d, n } = fields;
    if (!Number.isInteger(d) || (d as number) < 1) throw new RangeError(`moments.d must be a positive integer, got ${describe(d)}`);
    if (!Number.isInteger(n) || (n as number) < 0) throw new RangeError(`moments.n must be an integer ≥ 0, got ${describe(n)}`);
    const moments = new Moments(d as number);
    moments.n = n as number;
    moments.mean.set(finiteList(fields.mean, 'mean', moments.d));
    const triangle = finiteList(fields.scatter, 'scatter', (moments.d * (moments.d + 1)) / 2);
    let at = 0;
    for (let i = 0; i < moments.d; i++) {
      for (let j = i; j < moments.d; j++) {
        const entry = triangle[at++];
        if (i === j && entry < 0) throw new RangeError(`moments.scatter's diagonal entry ${i} is negative (${entry}): a scatter's diagonal is a sum of squares`);
        moments.scatter[i * moments.d + j] = moments.scatter[j * moments.d + i] = entry;
      }
    }
    return moments;
  }
}

function finiteList(value: unknown, name: string, length: number): number[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new RangeError(`moments.${name} must be an array of ${length} numbers, got ${Array.isArray(value) ? `${value.length}` : describe(value)}`);
  }
  const bad = value.findIndex((entry) => typeof entry !== 'number' || !Number.isFinite(entry));
  if (bad >= 0) throw new RangeError(`moments.${name}[${bad}] must be a finite number, got ${describe(value[bad])}`);
  return value as number[];
}

/** pca's settings for a pass that only sums (centred, one player that never plays). */
function momentSettings(options: MomentsOptions): PCASettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`the moments' options must be an object like { devices: 2 }, got ${describe(options)}`);
  }
  const { devices, whenBusy, signal, onWarning, batchSize, onProgress } = options;
  return resolveOptions({ k: 1, center: true, devices, whenBusy, signal, onWarning, batchSize, onProgress });
}

/** The scatter `summed` holds in its engine into new moments (`name` the rows', for the error if it overflowed). */
function fromSummed({ engine, moments: columns }: Summed, name: string): Moments {
  const { d } = columns;
  const moments = new Moments(d);
  moments.n = columns.rows;
  moments.mean.set(columns.mean);
  const { sums } = engine.operator();
  const m = engine.d;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) moments.scatter[i * d + j] = moments.scatter[j * d + i] = sums[i * m + j];
  }
  if (!moments.scatter.every(Number.isFinite)) {
    throw new RangeError(`${name}'s values are too large for float64 arithmetic: their squares overflow it (beyond about 1e154)`);
  }
  return moments;
}

function checkFits(d: number, name: string): void {
  const padded = padToPanels(d);
  if (12 * padded * padded > OPERATOR_BUDGET_BYTES) {
    throw new RangeError(`${name} has ${d} columns: its ${d} × ${d} moments would take ${12 * padded * padded} bytes, more than ${OPERATOR_BUDGET_BYTES}`);
  }
}

async function momentsOfMatrix(X: MatrixInput, settings: PCASettings): Promise<Moments> {
  const reader = readMatrix(X, 'X');
  checkFits(reader.cols, 'X');
  const summed = await sumMatrix(reader, settings, 1, reader.rows * reader.cols * reader.cols, true);
  try {
    return fromSummed(summed, 'X');
  } finally {
    summed.engine.dispose();
  }
}

async function momentsOfSource(source: MatrixSource, settings: PCASettings): Promise<Moments> {
  const { cols: d, rows } = await source.info();
  checkFits(d, source.name);
  const summed = await sumSource(source, settings, d, batchSizeFor(settings, d), 1, rows === null ? undefined : rows * d * d);
  try {
    return fromSummed(summed, source.name);
  } finally {
    summed.engine.dispose();
  }
}

/** pca of moments: the covariance route's players on their scatter, with no pass over any rows. */
export async function pcaOfMoments(moments: Moments, settings: PCASettings): Promise<PCAModel> {
  const { d, n } = moments;
  const { k, center } = settings;
  checkDimensions(d, k);
  if (n < 2) throw new RangeError(`the moments have ${n} row${n === 1 ? '' : 's'}; PCA needs at least 2`);
  if (k > n) throw new RangeError(`k = ${k} is larger than the number of rows (${n}) the moments count`);
  if (settings.solver !== 'auto' && settings.solver !== 'covariance') {
    throw new RangeError(`pca of moments plays on their covariance: solver must be 'auto' or 'covariance', got ${describe(settings.solver)}`);
  }
  checkFits(d, 'the moments');
  const columns = new ColumnMoments(d);
  columns.rows = n;
  columns.mean.set(moments.mean);
  for (let c = 0; c < d; c++) columns.squares[c] = moments.scatter[c * d + c];
  if (!(columns.sumOfSquares(center) > 0)) throw new RangeError('the moments have no variance: every row they count is the same');
  const padded = padToPanels(d);
  const engine = await Engine.create(
    { d: padded, k: playerCount(k, d), rowCapacity: padded, play: true, dense: true }, PLAY_SETTINGS,
    { ...settings.engine, workPerStep: 2 * padded * padded * playerCount(k, d), totalWork: routeCosts(0, d, k).covariance },
  );
  try {
    const { sums } = engine.operator();
    sums.fill(0);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) sums[i * padded + j] = moments.scatter[i * d + j] + (center ? 0 : n * moments.mean[i] * moments.mean[j]);
    }
    return await solveSummed({ engine, moments: columns, passes: 0 }, settings);
  } finally {
    engine.dispose();
  }
}
