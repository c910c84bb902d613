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
import { isSparseMatrix, readSparseMatrix, type SparseMatrix } from '../io/sparse';
import { SparseRowSource } from '../io/sparse-stream';
import { plainNumbers } from '../math/linalg';
import { OPERATOR_BUDGET_BYTES, routeCosts } from './choose';
import { PLAY_SETTINGS, resolveOptions, type PCAOptions, type PCASettings } from './core';
import type { PCAModel } from './model';
import { padToPanels } from './pack';
import { solveSummed, sumMatrix, type Summed } from './routes';
import { playerCount } from './solve';
import { ColumnMoments } from './stats';
import { batchSizeFor, sumSource } from './stream';
import { sumSparse } from './sparse';
import { sumSparseStream } from './sparse-stream';

/** What computing moments takes from pca's options: where it runs, how it reads a source, and how to stop it. */
export type MomentsOptions = Pick<PCAOptions, 'devices' | 'whenBusy' | 'signal' | 'onWarning' | 'batchSize' | 'onProgress'>;

/** The JSON form of Moments: the scatter's upper triangle, row by row (d(d + 1)/2 values), every number exact. */
export interface MomentsJSON {
  /** Marks moments. */
  format: 'eigengame-moments';
  /** The format version. */
  version: 1;
  /** Rows counted. */
  n: number;
  /** Values per row. */
  d: number;
  /** The column means. */
  mean: number[];
  /** The scatter's upper triangle, row by row: d(d + 1)/2 values. */
  scatter: number[];
}

/** The covariance route's state as an object: n, the mean and the scatter Σ (x − mean)(x − mean)ᵀ in float64. Moments of shards merge exactly into those of their union, serialise with every number exact, and `pca(moments, { k })` (or cca, pls, lda) fits them with no pass over any row. */
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
  constructor(
    /** Values per row. */
    readonly d: number,
  ) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be a positive integer, got ${describe(d)}`);
    this.mean = new Float64Array(d);
    this.scatter = new Float64Array(d * d);
  }

  /**
   * The moments of X (a matrix in memory, a sparse matrix, or a source read once in batches and closed), summed by
   * the kernels on the devices: exact means in float64 first, then the centred rows' products (a sparse matrix: the
   * products of each row's non-zeros in float64, less n·mean·meanᵀ; a streamed sparse file, `openSparse`, the same
   * batch by batch).
   */
  static async of(X: MatrixInput | SparseMatrix | MatrixSource | SparseRowSource, options: MomentsOptions = {}): Promise<Moments> {
    const run = <T>(sum: (input: T, settings: PCASettings) => Promise<Moments>) => (input: T) => {
      const settings = momentSettings(options);
      return cancellable(settings.signal, () => sum(input, settings));
    };
    if (isSparseMatrix(X)) return run(momentsOfSparse)(X);
    if (X instanceof SparseRowSource) {
      try {
        return await run(momentsOfSparseStream)(X);
      } finally {
        await X.close();
      }
    }
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
  async partialFit(X: MatrixInput | SparseMatrix | MatrixSource | SparseRowSource, options: MomentsOptions = {}): Promise<this> {
    if (isSparseMatrix(X) || X instanceof SparseRowSource) {
      if (X.cols !== this.d && X instanceof SparseRowSource) await X.close();
      if (X.cols !== this.d) throw new RangeError(`X has ${X.cols} columns, but these moments are of d = ${this.d}`);
    } else if (!isMatrixSource(X)) {
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
    checkMoments(this, 'these moments');
    checkMoments(other, 'the merged moments');
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

  /**
   * The JSON form, for d up to MAX_JSON_D (beyond it the text would pass the longest string some engines hold:
   * `toBytes` has no such limit).
   */
  toJSON(): MomentsJSON {
    const { d } = this;
    if (d > MAX_JSON_D) {
      throw new RangeError(
        `moments of d = ${d} are too wide for JSON: their text may exceed ${MAX_STRING_LENGTH} characters, the longest string V8 holds, `
          + `so Moments hold JSON up to d = ${MAX_JSON_D}; use moments.toBytes() and Moments.fromBytes(bytes), which hold any d exactly`,
      );
    }
    const scatter: number[] = [];
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) scatter.push(this.scatter[i * d + j]);
    return { format: 'eigengame-moments', version: 1, n: this.n, d, mean: plainNumbers(this.mean), scatter };
  }

  /** Rebuilds moments from `toJSON()` output (or its JSON string), checking every field and that data can have them. */
  static fromJSON(json: MomentsJSON | string): Moments {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    const fields = value as Partial<Record<keyof MomentsJSON, unknown>>;
    if (typeof value !== 'object' || value === null || fields.format !== 'eigengame-moments') {
      throw new TypeError('Moments.fromJSON needs the output of Moments.prototype.toJSON()');
    }
    if (fields.version !== 1) throw new RangeError(`unsupported moments version ${describe(fields.version)} (this version reads 1)`);
    const { d, n } = fields;
    if (!Number.isInteger(d) || (d as number) < 1) throw new RangeError(`moments.d must be a positive integer, got ${describe(d)}`);
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new RangeError(`moments.n must be an integer ≥ 0, got ${describe(n)}`);
    if ((d as number) > MAX_JSON_D) throw new RangeError(`moments.d is ${d}, more than JSON holds (d ≤ ${MAX_JSON_D}): such moments travel as bytes (Moments.fromBytes)`);
    const mean = finiteList(fields.mean, 'mean', d as number);
    const triangle = finiteList(fields.scatter, 'scatter', ((d as number) * ((d as number) + 1)) / 2);
    const moments = new Moments(d as number);
    moments.n = n as number;
    moments.mean.set(mean);
    let at = 0;
    for (let i = 0; i < moments.d; i++) {
      for (let j = i; j < moments.d; j++) moments.scatter[i * moments.d + j] = moments.scatter[j * moments.d + i] = triangle[at++];
    }
    checkMoments(moments, 'moments');
    return moments;
  }

  /**
   * The binary form, little-endian, exact at every d (see MOMENTS_MAGIC): for files, fetch bodies and postMessage.
   * Bytes 0–7 the magic "EGMOMENT", 8–11 the version (uint32, 1), 12–15 d (uint32), 16–23 n (float64), then the d
   * means and the scatter's upper triangle row by row (d(d + 1)/2 values), float64.
   */
  toBytes(): Uint8Array {
    const { d } = this;
    const bytes = new Uint8Array(momentsByteLength(d));
    const view = new DataView(bytes.buffer);
    bytes.set(MOMENTS_MAGIC);
    view.setUint32(8, MOMENTS_BYTES_VERSION, true);
    view.setUint32(12, d, true);
    view.setFloat64(16, this.n, true);
    const values = float64Values(bytes, HEADER_BYTES, d + (d * (d + 1)) / 2);
    values.set(this.mean);
    let at = d;
    for (let i = 0; i < d; i++) {
      values.set(this.scatter.subarray(i * d + i, (i + 1) * d), at);
      at += d - i;
    }
    values.flush();
    return bytes;
  }

  /** Rebuilds moments from `toBytes()` output, checking every byte of the header, the length, and every value. */
  static fromBytes(input: Uint8Array | ArrayBuffer): Moments {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`Moments.fromBytes needs a Uint8Array or an ArrayBuffer, got ${describe(input)}`);
    if (bytes.length < HEADER_BYTES) {
      throw new RangeError(`Moments.fromBytes: ${bytes.length} bytes, fewer than the ${HEADER_BYTES}-byte header (the bytes are cut short)`);
    }
    if (!MOMENTS_MAGIC.every((byte, i) => bytes[i] === byte)) {
      throw new RangeError('Moments.fromBytes: bytes 0–7 are not "EGMOMENT": these are not the output of Moments.prototype.toBytes()');
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint32(8, true);
    if (version !== MOMENTS_BYTES_VERSION) throw new RangeError(`Moments.fromBytes: unsupported version ${version} at byte offset 8 (this version reads ${MOMENTS_BYTES_VERSION})`);
    const d = view.getUint32(12, true);
    if (d < 1) throw new RangeError('Moments.fromBytes: d is 0 at byte offset 12; it must be a positive integer');
    const expected = momentsByteLength(d);
    if (bytes.length !== expected) {
      throw new RangeError(
        `Moments.fromBytes: d = ${d} (byte offset 12) needs ${expected} bytes, but there are ${bytes.length}: `
          + (bytes.length < expected ? 'the bytes are cut short' : 'bytes follow the last value'),
      );
    }
    const n = view.getFloat64(16, true);
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Moments.fromBytes: n at byte offset 16 must be an integer ≥ 0, got ${describe(n)}`);
    const moments = new Moments(d);
    moments.n = n;
    const offset = (index: number) => HEADER_BYTES + 8 * index;
    for (let c = 0; c < d; c++) {
      const value = view.getFloat64(offset(c), true);
      if (!Number.isFinite(value)) throw new RangeError(`Moments.fromBytes: mean[${c}] at byte offset ${offset(c)} is ${value}; it must be a finite number`);
      moments.mean[c] = value;
    }
    let at = d;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++, at++) {
        const value = view.getFloat64(offset(at), true);
        if (!Number.isFinite(value)) throw new RangeError(`Moments.fromBytes: scatter[${i}][${j}] at byte offset ${offset(at)} is ${value}; it must be a finite number`);
        moments.scatter[i * d + j] = moments.scatter[j * d + i] = value;
      }
    }
    checkMoments(moments, 'moments');
    return moments;
  }
}

/** The binary form's first 8 bytes: "EGMOMENT" in ASCII. */
const MOMENTS_MAGIC = [0x45, 0x47, 0x4d, 0x4f, 0x4d, 0x45, 0x4e, 0x54];
const MOMENTS_BYTES_VERSION = 1;
/** Magic (8), version (4), d (4), n (8): the values that follow are 8-byte aligned. */
const HEADER_BYTES = 24;

/** Bytes of the binary form of moments of d columns: the header, d means, d(d + 1)/2 scatter values. */
export function momentsByteLength(d: number): number {
  return HEADER_BYTES + 8 * (d + (d * (d + 1)) / 2);
}

/** V8's longest string (2^29 − 24 characters); other engines hold longer ones. */
export const MAX_STRING_LENGTH = 2 ** 29 - 24;
/** Characters JSON may take for one float64 value and its comma, at most ("-2.2250738585072014e-308,"). */
const JSON_CHARACTERS_PER_VALUE = 25;
/** The widest moments whose JSON text fits MAX_STRING_LENGTH whatever their values (the fields around them: < 200 characters). */
export const MAX_JSON_D = (() => {
  let d = 1;
  while (JSON_CHARACTERS_PER_VALUE * (d + 1 + ((d + 1) * (d + 2)) / 2) + 200 <= MAX_STRING_LENGTH) d++;
  return d;
})();

/** Whether this host stores numbers little-endian (every common one does): then float64 values are copied whole. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * `count` float64 values at `offset` of `bytes` (8-byte aligned), written through a Float64Array, then, on a
 * big-endian host, byte-swapped into little-endian order by `flush`.
 */
function float64Values(bytes: Uint8Array, offset: number, count: number): { set(values: ArrayLike<number>, at?: number): void; flush(): void } {
  const values = new Float64Array(bytes.buffer, bytes.byteOffset + offset, count);
  return {
    set: (source, at = 0) => values.set(source, at),
    flush() {
      if (LITTLE_ENDIAN_HOST) return;
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8 * count);
      for (let i = 0; i < count; i++) view.setFloat64(8 * i, values[i], true);
    },
  };
}

/**
 * Refuses moments that no data can have, naming the field and the index: n an integer ≥ 0, mean of d finite numbers,
 * a d × d scatter of finite numbers, symmetric, with a diagonal ≥ 0 and |sᵢⱼ| ≤ √(sᵢᵢ sⱼⱼ) (Cauchy–Schwarz, with a
 * margin of SCATTER_MARGIN for the rounding of float32 sums), all zero for fewer than 2 rows. Run on the way in
 * (fromJSON, fromBytes) and whenever a fit reads moments (their fields can be changed in place).
 */
export function checkMoments(moments: Moments, name: string): void {
  const { d, n, mean, scatter } = moments;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name}.n must be an integer ≥ 0, got ${describe(n)}`);
  if (!(mean instanceof Float64Array) || mean.length !== d) throw new RangeError(`${name}.mean must be a Float64Array of d = ${d} values, got ${describe(mean)}`);
  if (!(scatter instanceof Float64Array) || scatter.length !== d * d) {
    throw new RangeError(`${name}.scatter must be a Float64Array of d × d = ${d * d} values, got ${describe(scatter)}`);
  }
  for (let c = 0; c < d; c++) if (!Number.isFinite(mean[c])) throw new RangeError(`${name}.mean[${c}] is ${mean[c]}; it must be a finite number`);
  for (let i = 0; i < d; i++) {
    const diagonal = scatter[i * d + i];
    if (!Number.isFinite(diagonal)) throw new RangeError(`${name}.scatter[${i}][${i}] is ${diagonal}; it must be a finite number`);
    if (diagonal < 0) throw new RangeError(`${name}.scatter[${i}][${i}] is ${diagonal}: a scatter's diagonal is a sum of squares, never negative`);
    if (n < 2 && diagonal !== 0) throw new RangeError(`${name}.scatter[${i}][${i}] is ${diagonal}, but the moments count ${n} row${n === 1 ? '' : 's'}: fewer than 2 rows have no scatter`);
  }
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const value = scatter[i * d + j];
      if (!Number.isFinite(value)) throw new RangeError(`${name}.scatter[${i}][${j}] is ${value}; it must be a finite number`);
      if (scatter[j * d + i] !== value) {
        throw new RangeError(`${name}.scatter is not symmetric: scatter[${i}][${j}] is ${value} but scatter[${j}][${i}] is ${scatter[j * d + i]}`);
      }
      const bound = Math.sqrt(scatter[i * d + i]) * Math.sqrt(scatter[j * d + j]);
      if (Math.abs(value) > bound * (1 + SCATTER_MARGIN)) {
        throw new RangeError(
          `${name}.scatter[${i}][${j}] is ${value}, larger in magnitude than √(scatter[${i}][${i}] · scatter[${j}][${j}]) = ${bound}: `
            + 'no data has such a scatter (|sᵢⱼ| ≤ √(sᵢᵢ sⱼⱼ))',
        );
      }
    }
  }
}

/** How far |sᵢⱼ| may pass √(sᵢᵢ sⱼⱼ): float32 sums (Moments.of) are off by about 1e-7 of the diagonal. */
const SCATTER_MARGIN = 1e-5;

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

async function momentsOfSparse(X: SparseMatrix, settings: PCASettings): Promise<Moments> {
  const reader = readSparseMatrix(X, 'X');
  checkFits(reader.cols, 'X');
  const summed = await sumSparse(reader, settings, 1, reader.outerProducts(), true);
  try {
    return fromSummed(summed, 'X');
  } finally {
    summed.engine.dispose();
  }
}

async function momentsOfSparseStream(source: SparseRowSource, settings: PCASettings): Promise<Moments> {
  const summed = await sumSparseStream(source, settings, 1);
  try {
    return fromSummed(summed, source.name);
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
  checkMoments(moments, 'the moments');
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
