// Linear discriminant analysis by γ-EigenGame: the directions v of Sb v = λ Sw v, Sb and Sw the between- and
// within-class covariances (scikit-learn's LinearDiscriminantAnalysis(solver='eigen'): Sw = Σ_c (n_c/n) cov_c,
// Sb = Σ_c (n_c/n)(m_c − m)(m_c − m)ᵀ, both biased).
//
// Two reads of the rows: the classes' means (float64, Welford's update per row, so data far from zero loses
// nothing), then Sw summed on the devices from the rows centred at their class's mean (never St − Sb, which loses Sw
// to cancellation when the classes are far apart). Sb has rank classes − 1 and is played as its low-rank factor
// Fᵀ F, F's rows √(n_c/n)(m_c − m): a product costs 2·classes·d per player instead of d². The sum of all the
// pencil's eigenvalues, for the explained-variance ratios, is trace(Sw⁻¹ Sb) = Σ_c ‖L⁻¹ f_c‖².

import { describe } from '../describe';
import { Engine, cancellable, turn } from '../devices/engine';
import { batchesOf } from '../game/game';
import { readMatrix, reportNonFinite, type MatrixInput, type MatrixReader } from '../io/matrix';
import { isMatrixSource, type MatrixSource } from '../io/source';
import { Moments, checkMoments } from '../pca/moments';
import { CovariancePass, deviationValues, memoryBatch } from '../pca/covariance';
import { PLAY_SETTINGS } from '../pca/core';
import { padToPanels } from '../pca/pack';
import { playerCount } from '../pca/solve';
import { stageSize } from '../pca/stats';
import { LDAModel, type Label } from './lda-model';
import { RESULT_ROUNDING, fitBackend, impossibleResult, regularizationOf, resolveGeneralized, warnNotConverged, type GeneralizedOptions, type GeneralizedSettings } from './options';
import { MOMENTS_PIVOT, SUMMED_PIVOT, pencilRegionBytes, solvePencil } from './pencil';
import { checkDenseFits, flipPair } from './two-views';
import { closeSources, columnIndices, isInput, type ViewInput } from './views';

/** lda's options: those of every generalized fit, regularization, and the labels' column of one input. */
export interface LDAOptions extends GeneralizedOptions {
  /** ε added to the within-class covariance (Sw + εI), in X's squared units (default 0): for a singular Sw. */
  regularization?: number;
  /** With one input: the column that holds the labels (0-based index, or a name from a CSV header); X is the rest. */
  labels?: number | string;
}

type Input = MatrixInput | MatrixSource;

/** A batch of labelled rows: row r's features written into `into` from `offset`, and its label. */
interface LabelledBatch {
  rows: number;
  features(r: number, into: Float64Array, offset: number): void;
  label(r: number): Label;
}

/** Labelled rows, however they came: read in batches, as many times as the fit needs. */
interface LabelledRows {
  d: number;
  /** How a message names column c of X. */
  column(c: number): string;
  batches(batch: number, signal?: AbortSignal): AsyncGenerator<LabelledBatch>;
  /** Checks, after a full read of `rows` rows, that the labels held as many. */
  checkCount(rows: number): void;
}

/**
 * The top k discriminant directions of X (n × d) with one label per row: `labels` an array (numbers or strings), or
 * `options.labels` naming a column of the one input.
 */
export function lda(X: ViewInput, labels: ArrayLike<Label>, options: LDAOptions): Promise<LDAModel>;
export function lda(data: ViewInput, options: LDAOptions): Promise<LDAModel>;
/** From the Moments of each class's rows (`classes[i]`'s are `parts[i]`: computed anywhere and merged), with no pass. */
export function lda(parts: readonly Moments[], classes: ArrayLike<Label>, options: LDAOptions): Promise<LDAModel>;
export async function lda(first: Input | readonly Moments[], second: ArrayLike<Label> | LDAOptions, third?: LDAOptions): Promise<LDAModel> {
  const withArray = third !== undefined || Array.isArray(second) || ArrayBuffer.isView(second);
  const options = (withArray ? third : second) as LDAOptions;
  try {
    const settings = resolveGeneralized('lda', options);
    const regularization = regularizationOf(options);
    if (options.center !== undefined) {
      throw new TypeError(`center does not apply to lda: it always centres each class at its own mean (got ${describe(options.center)})`);
    }
    return await cancellable(settings.signal, async () => {
      settings.signal?.throwIfAborted();
      if (isMomentsList(first)) return fitLDA(momentClasses(first, second as ArrayLike<Label>, options.labels), settings, regularization);
      const rows = await labelledRows(first as Input, withArray ? (second as ArrayLike<Label>) : null, options.labels);
      return fitLDA(await rowClasses(rows, settings), settings, regularization);
    });
  } finally {
    await closeSources(first);
  }
}

/** The labelled rows of lda's arguments. */
async function labelledRows(input: Input, labels: ArrayLike<Label> | null, column: number | string | undefined): Promise<LabelledRows> {
  if (labels !== null && column !== undefined) {
    throw new TypeError('labels are given twice: as an array and as options.labels (a column); pass one');
  }
  if (labels === null) {
    if (column === undefined) throw new TypeError('lda needs labels: an array, lda(X, labels, options), or a column, lda(data, { labels: column, ... })');
    if (!(typeof column === 'string' || (Number.isInteger(column) && column >= 0))) {
      throw new TypeError(`options.labels must be a column name or a 0-based index, got ${describe(column)}`);
    }
  } else {
    checkLabels(labels);
  }
  if (isMatrixSource(input)) return sourceRows(input, labels, column);
  if (!isInput(input)) throw new TypeError(`X must be { data, rows, cols }, an array of rows, an Arrow table or a source, got ${describe(input)}`);
  return memoryRows(readMatrix(input, labels ? 'X' : 'data'), labels, column);
}

/** Labels in an array: numbers (finite) or strings, all of one kind. */
function checkLabels(labels: ArrayLike<Label>): void {
  if (typeof labels !== 'object' || labels === null || typeof labels.length !== 'number') {
    throw new TypeError(`labels must be an array of numbers or strings, got ${describe(labels)}`);
  }
  if (labels.length === 0) throw new RangeError('labels is empty');
  const kind = typeof labels[0];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (typeof label !== kind || (kind !== 'number' && kind !== 'string')) {
      throw new TypeError(`labels must be all numbers or all strings: labels[${i}] is ${describe(label)}${i > 0 ? `, labels[0] is ${describe(labels[0])}` : ''}`);
    }
    if (kind === 'number' && !Number.isFinite(label)) throw new RangeError(`labels[${i}] is ${label}: a label must be a finite number or a string`);
  }
}

function countCheck(labels: ArrayLike<Label> | null, name: string): (rows: number) => void {
  return (rows) => {
    if (labels && labels.length !== rows) throw new RangeError(`labels has ${labels.length} values but ${name} has ${rows} rows: one label per row`);
  };
}

function memoryRows(reader: MatrixReader, labels: ArrayLike<Label> | null, column: number | string | undefined): LabelledRows {
  const labelColumn = labels ? -1 : columnIndices([column!], reader.cols, reader.columnNames ?? null, 'options.labels')[0];
  const features = Array.from({ length: reader.cols }, (_, c) => c).filter((c) => c !== labelColumn);
  if (features.length === 0) throw new RangeError('data has no columns besides the labels');
  countCheck(labels, 'X')(reader.rows);
  const d = features.length;
  return {
    d,
    column: (c) => (labelColumn < 0 ? `column ${c}` : `column ${c} (column ${features[c]} of the input)`),
    async *batches(batch) {
      for (let first = 0; first < reader.rows; first += batch) {
        const rows = Math.min(batch, reader.rows - first);
        yield {
          rows,
          features(r, into, offset) {
            const row = reader.row(first + r);
            for (let c = 0; c < d; c++) {
              const value = row[features[c]];
              if (!Number.isFinite(value)) reportNonFinite(row, labels ? 'X' : 'data', first + r);
              into[offset + c] = value;
            }
          },
          label(r) {
            if (labels) return labels[first + r];
            const value = reader.row(first + r)[labelColumn];
            if (!Number.isFinite(value)) reportNonFinite(reader.row(first + r), 'data', first + r);
            return value;
          },
        };
      }
    },
    checkCount() {},
  };
}

async function sourceRows(source: MatrixSource, labels: ArrayLike<Label> | null, column: number | string | undefined): Promise<LabelledRows> {
  const info = await source.info();
  if (!info.rereadable) {
    throw new RangeError(
      `lda reads ${source.name} twice (the class means, then the within-class covariance), and it is a stream that can be read once: read it from a file, a Blob or bytes`,
    );
  }
  const labelColumn = labels ? -1 : columnIndices([column!], info.cols, info.columnNames, 'options.labels')[0];
  const features = Array.from({ length: info.cols }, (_, c) => c).filter((c) => c !== labelColumn);
  if (features.length === 0) throw new RangeError(`${source.name} has no columns besides the labels`);
  const d = features.length;
  const names = info.columnNames;
  return {
    d,
    column: (c) => (names ? `column ${JSON.stringify(names[features[c]])}` : labelColumn < 0 ? `column ${c}` : `column ${c} (column ${features[c]} of ${source.name})`),
    async *batches(batch, signal) {
      for await (const rows of batchesOf(source, batch, undefined, signal)) {
        const { data, cols, firstRow } = rows;
        if (labels && firstRow + rows.rows > labels.length) {
          throw new RangeError(`labels has ${labels.length} values but ${source.name} has more rows (at least ${firstRow + rows.rows}): one label per row`);
        }
        yield {
          rows: rows.rows,
          features(r, into, offset) {
            for (let c = 0; c < d; c++) into[offset + c] = data[r * cols + features[c]];
          },
          label: (r) => (labels ? labels[firstRow + r] : data[r * cols + labelColumn]),
        };
      }
    },
    checkCount: countCheck(labels, source.name),
  };
}

/** The classes' counts and means (Welford's update, float64) and the within-class sums of squares. */
class ClassStatistics {
  private readonly index = new Map<Label, number>();
  private readonly labels: Label[] = [];
  private readonly counts: number[] = [];
  private readonly means: Float64Array[] = [];
  private readonly squares: Float64Array[] = [];
  rows = 0;

  constructor(private readonly d: number) {}

  add(row: Float64Array, label: Label): void {
    let c = this.index.get(label);
    if (c === undefined) {
      c = this.labels.length;
      this.index.set(label, c);
      this.labels.push(label);
      this.counts.push(0);
      this.means.push(new Float64Array(this.d));
      this.squares.push(new Float64Array(this.d));
    }
    const count = ++this.counts[c];
    const mean = this.means[c];
    const squares = this.squares[c];
    for (let j = 0; j < this.d; j++) {
      const delta = row[j] - mean[j];
      mean[j] += delta / count;
      squares[j] += delta * (row[j] - mean[j]);
    }
    this.rows++;
  }

  /** The classes sorted (numbers ascending, strings in code-unit order), with their counts and means. */
  sorted(): { classes: Label[]; counts: number[]; means: Float64Array[]; within: number; classOf: Map<Label, number> } {
    const order = this.labels.map((_, i) => i).sort((a, b) => compareLabels(this.labels[a], this.labels[b]));
    const classes = order.map((i) => this.labels[i]);
    let within = 0;
    for (const squares of this.squares) for (const value of squares) within += value;
    return {
      classes, counts: order.map((i) => this.counts[i]), means: order.map((i) => this.means[i]), within,
      classOf: new Map(classes.map((label, c) => [label, c])),
    };
  }
}

function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Rows of the classes' statistics between turns of the event loop. */
const CLASS_ROWS = 256;

/** Rows per batch of the reads (a source's: batchSize or about 16 MiB of floats). */
function readBatch(d: number, settings: GeneralizedSettings): number {
  return settings.batchSize ?? Math.max(Math.min(4096, Math.floor((1 << 22) / d)), 2);
}

/** The classes as the fit needs them: counts, means, the within-class sum of squares, and how to sum Sw. */
interface ClassSummary {
  d: number;
  n: number;
  classes: Label[];
  counts: number[];
  means: Float64Array[];
  /** Σ_c Σ (x − m_c)² over every column: Sw's trace times n. */
  within: number;
  /** How a message names column c of X. */
  column(c: number): string;
  /** Reads of all n rows the fit makes: 2 (the classes, then Sw), 0 from Moments. */
  passes: number;
  /** Sums n·Sw, its rows scaled by `scale`, into the engine's sums (upper triangle). */
  sumWithin(engine: Engine, scale: number, batch: number, settings: GeneralizedSettings): Promise<void>;
}

function isMomentsList(value: unknown): value is readonly Moments[] {
  return Array.isArray(value) && value.length > 0 && value.every((part) => part instanceof Moments);
}

/** The classes of labelled rows: their statistics in a first read, Sw summed from the rows centred at them in a second. */
async function rowClasses(input: LabelledRows, settings: GeneralizedSettings): Promise<ClassSummary> {
  const { d } = input;
  const { signal } = settings;
  checkDenseFits('lda', d, 'X (d columns)');
  const statistics = new ClassStatistics(d);
  const row = new Float64Array(d);
  for await (const batch of input.batches(readBatch(d, settings), signal)) {
    for (let r = 0; r < batch.rows; r++) {
      if (r % CLASS_ROWS === 0) await turn(signal);
      batch.features(r, row, 0);
      statistics.add(row, batch.label(r));
    }
  }
  const n = statistics.rows;
  input.checkCount(n);
  await turn(signal);
  const { classes, counts, means, within, classOf } = statistics.sorted();
  return {
    d, n, classes, counts, means, within, column: input.column, passes: 2,
    async sumWithin(engine, scale, batch) {
      // The rows were checked finite as they were read: a block whose statistics are not finite overflowed them.
      const overflow = (): never => {
        throw new RangeError('X: the statistics of its values overflowed float64 (values beyond about 1e154)');
      };
      const pass = new CovariancePass(engine, d, batch, true, 'X', overflow, signal, 'float64');
      let rowsRead = 0;
      let step = 0;
      for await (const rows of input.batches(batch, signal)) {
        await pass.add(rows.rows, (offset, count, into) => {
          for (let r = 0; r < count; r++) {
            rows.features(offset + r, into, r * d);
            const classMean = means[classOf.get(rows.label(offset + r))!];
            for (let j = 0; j < d; j++) into[r * d + j] = (into[r * d + j] - classMean[j]) * scale;
          }
        });
        rowsRead += rows.rows;
        settings.onProgress?.({ stage: 'pass', step: ++step, maxSteps: settings.maxSteps, values: new Float64Array(0), residual: Infinity, remaining: Infinity, rowsRead });
      }
      await pass.finish();
    },
  };
}

/** The classes of per-class Moments: their counts, means and scatters, summed with no pass. */
function momentClasses(parts: readonly Moments[], labels: ArrayLike<Label>, column: number | string | undefined): ClassSummary {
  if (column !== undefined) throw new TypeError('options.labels names a column of rows; with Moments, pass the classes\' labels beside them: lda(parts, classes, options)');
  checkLabels(labels);
  if (labels.length !== parts.length) throw new RangeError(`classes has ${labels.length} labels but there are ${parts.length} Moments: one label per class`);
  if (new Set(Array.from(labels)).size !== labels.length) throw new RangeError('classes has a label twice: merge the Moments of one class first (Moments.merge)');
  const { d } = parts[0];
  const bad = parts.findIndex((part) => part.d !== d);
  if (bad >= 0) throw new RangeError(`the Moments of class ${describe(labels[bad])} have d = ${parts[bad].d}, the first class's ${d}`);
  parts.forEach((part, i) => checkMoments(part, `the Moments of class ${describe(labels[i])}`));
  checkDenseFits('lda', d, 'X (d columns)');
  const empty = parts.findIndex((part) => part.n === 0);
  if (empty >= 0) throw new RangeError(`the Moments of class ${describe(labels[empty])} count no rows`);
  const order = parts.map((_, i) => i).sort((a, b) => compareLabels(labels[a], labels[b]));
  let within = 0;
  for (const part of parts) for (let c = 0; c < d; c++) within += part.scatter[c * d + c];
  return {
    d, n: parts.reduce((sum, part) => sum + part.n, 0), classes: order.map((i) => labels[i]), counts: order.map((i) => parts[i].n),
    means: order.map((i) => Float64Array.from(parts[i].mean)), within, column: (c) => `column ${c}`, passes: 0,
    async sumWithin(engine, scale, _batch, settings) {
      const padded = engine.d;
      const { sums } = engine.operator();
      sums.fill(0);
      for (const part of parts) {
        await turn(settings.signal);
        for (let i = 0; i < d; i++) for (let j = i; j < d; j++) sums[i * padded + j] += part.scatter[i * d + j] * scale * scale;
      }
    },
  };
}

async function fitLDA(summary: ClassSummary, settings: GeneralizedSettings, regularization: number): Promise<LDAModel> {
  const { d, n, classes, counts, means, within } = summary;
  const { k } = settings;
  if (n < 2) throw new RangeError(`lda needs at least 2 rows, got ${n}`);
  if (!Number.isFinite(within)) throw new RangeError('X: the statistics of its values overflowed float64 (values beyond about 1e154)');
  if (classes.length < 2) throw new RangeError(`lda needs at least two classes, but every label is ${describe(classes[0])}`);
  const top = Math.min(classes.length - 1, d);
  if (k > top) {
    throw new RangeError(`k = ${k} is larger than min(classes − 1, d) = ${top}: lda has at most that many discriminant directions (${classes.length} classes, d = ${d})`);
  }
  if (regularization === 0 && d > n - classes.length) {
    throw new RangeError(
      `X has ${d} columns and ${n} rows in ${classes.length} classes: the within-class covariance has rank at most n − classes = ${n - classes.length}, so it is singular; `
        + 'pass regularization (e.g. { regularization: 1e-3 }, in X\'s squared units) or use fewer columns',
    );
  }
  const mean = new Float64Array(d);
  classes.forEach((_, c) => means[c].forEach((value, j) => (mean[j] += (counts[c] / n) * value)));
  const meanSquare = within / (n * d);
  const scale = meanSquare > 0 ? 2 ** -Math.round(Math.log2(meanSquare) / 2) : 1;
  const factor = new Float64Array(classes.length * d);
  classes.forEach((_, c) => {
    const weight = Math.sqrt(counts[c] / n) * scale;
    for (let j = 0; j < d; j++) factor[c * d + j] = weight * (means[c][j] - mean[j]);
  });
  const padded = padToPanels(d);
  const players = playerCount(k, top);
  const batch = readBatch(d, settings);
  const passBatch = Math.min(batch, memoryBatch(padded));
  const region = pencilRegionBytes({ m: d, players, factored: true, lowRankRows: classes.length }, padded);
  const engine = await Engine.create(
    {
      d: padded, k: players, rowCapacity: Math.max(1, Math.ceil(region / (4 * padded))), dense: true, stage: stageSize(d),
      deviations: deviationValues(d, passBatch),
    },
    PLAY_SETTINGS, { ...settings.engine, workPerStep: passBatch * padded * padded },
  );
  try {
    await summary.sumWithin(engine, scale, passBatch, settings);
    const solution = await solvePencil(engine, {
      m: d, divisor: n, terms: [{ into: 'b', rows: [0, d], cols: [0, d] }],
      blocks: [{
        range: [0, d], ridge: regularization * scale * scale,
        singular: (column, constant) => new RangeError(constant
          ? `X's ${summary.column(column)} is constant within every class, so the within-class covariance is singular: pass regularization (e.g. { regularization: 1e-3 }, in X's squared units) or drop the column`
          : `the within-class covariance is singular: X's ${summary.column(column)} is (almost) a linear combination of the columns before it within the classes; pass regularization (e.g. { regularization: 1e-3 }, in X's squared units) or drop the column`),
      }],
      lowRank: { rows: classes.length, values: factor }, players, singularPivot: summary.passes === 0 ? MOMENTS_PIVOT : SUMMED_PIVOT,
    }, settings);
    if (!solution.converged) warnNotConverged(settings, solution);
    const scalings = new Float64Array(k * d);
    for (let i = 0; i < k; i++) {
      const direction = solution.vectors.slice(i * d, (i + 1) * d).map((value) => value * scale);
      flipPair(direction, new Float64Array(0));
      scalings.set(direction, i * d);
    }
    const trace = solution.lowRankTrace ?? 0;
    const negative = solution.values.findIndex((value) => value < -RESULT_ROUNDING * trace);
    if (negative >= 0) throw impossibleResult('lda', `a negative eigenvalue, ${solution.values[negative]} (direction ${negative})`, summary.passes === 0);
    const eigenvalues = solution.values.map((value) => Math.max(0, value));
    const sum = eigenvalues.reduce((total, value) => total + value, 0);
    if (sum > trace * (1 + RESULT_ROUNDING)) {
      throw impossibleResult('lda', `eigenvalues adding up to ${sum}, more than the sum of all of them, trace(Sw⁻¹ Sb) = ${trace}`, summary.passes === 0);
    }
    const total = Math.max(trace, sum);
    const meansMatrix = new Float64Array(classes.length * d);
    means.forEach((classMean, c) => meansMatrix.set(classMean, c * d));
    return new LDAModel({
      scalings, eigenvalues, explainedVarianceRatio: eigenvalues.map((value) => (total > 0 ? value / total : 0)), classes,
      means: meansMatrix, mean, k, d, nSamples: n, regularization, converged: solution.converged, backend: fitBackend(engine.backend),
      rounds: solution.rounds, passes: summary.passes,
    });
  } finally {
    engine.dispose();
  }
}
