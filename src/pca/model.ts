// A fitted PCA: components, variances and the mean, with transforms and a JSON form.

import { describe } from '../describe';
import { plainNumbers } from '../math/linalg';
import { readMatrix, reportNonFinite, type MatrixInput } from '../io/matrix';
import { isSparseMatrix, readSparseMatrix, type SparseMatrix } from '../io/sparse';
import type { Backend } from '../devices/engine';

/** A row-major float64 matrix returned by the transforms. */
export interface Float64Matrix {
  /** The values, row-major: rows × cols of them. */
  data: Float64Array;
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
}

/**
 * A PCAModel's JSON form (`toJSON()`), format version 2, which `PCAModel.fromJSON` reads back. Version 1 files,
 * which have no `converged`, load as converged: true.
 */
export interface PCAModelJSON {
  /** Marks a PCA model. */
  format: 'eigengame-pca';
  /** The format version. */
  version: 2;
  /** Whether the fit reached its tol (false: a cap such as maxSteps stopped it first). */
  converged: boolean;
  /** Components. */
  k: number;
  /** Columns. */
  d: number;
  /** Rows the model was fitted on. */
  nSamples: number;
  /** The components, k × d, row-major, unit rows. */
  components: number[];
  /** Each component's variance (denominator n − 1). */
  explainedVariance: number[];
  /** Each component's share of the total variance. */
  explainedVarianceRatio: number[];
  /** The column means (zeros with center: false). */
  mean: number[];
}

/** The routes of pca (PCAModel.solver). */
export type PCASolver = 'covariance' | 'gram' | 'data' | 'stream' | 'sparse-covariance' | 'sparse-data' | 'sparse-gram';

export interface PCAModelFields {
  components: Float32Array;
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  mean: Float64Array;
  nSamples: number;
  k: number;
  d: number;
  /** How the fit ran (absent for models read from JSON). */
  backend?: Backend;
  /** Which route found the components (absent for models read from JSON). */
  solver?: PCASolver;
  /** Whether the fit reached its tol (default true: a model built from known components). */
  converged?: boolean;
  /** Reads of all n rows the fit made (absent for models read from JSON). */
  passes?: number;
  /** Rounds the players played (absent for models read from JSON). */
  rounds?: number;
  /** The variance of each component's scores Xw over the rows, denominator n (absent for models read from JSON). */
  scoreVariance?: Float64Array;
}

/** A model file of format version 1: the fields of version 2 but `converged`. */
export type PCAModelJSONVersion1 = Omit<PCAModelJSON, 'version' | 'converged'> & {
  /** The format version. */
  version: 1;
};

/** The top k principal components as `pca` finds them: components, their variances and shares, the mean, how the fit ran; `transform`, `inverseTransform` and a JSON form. */
export class PCAModel {
  /** k × d, row-major: unit rows sorted by explained variance, each with its largest-magnitude loading positive. */
  readonly components: Float32Array;
  /** Variance along each component (denominator n − 1, like scikit-learn). */
  readonly explainedVariance: Float64Array;
  /** Each component's share of the total variance of the data. */
  readonly explainedVarianceRatio: Float64Array;
  /** The column means subtracted before projecting (zeros when fitted with center: false). */
  readonly mean: Float64Array;
  /** Rows the model was fitted on. */
  readonly nSamples: number;
  /** Components. */
  readonly k: number;
  /** Columns. */
  readonly d: number;
  /** Where the fit ran: devices, workers or in-thread, kernel build, and any fallback (null from JSON). */
  readonly backend: Backend | null;
  /**
   * Which route found the components (null from JSON): 'covariance' (the players on XᵀX, summed in one pass),
   * 'gram' (on XXᵀ, for n < d), 'data' (on the rows, a pass per round), 'stream' (a one-shot stream too wide for
   * the covariance: the game on its minibatches).
   */
  readonly solver: PCASolver | null;
  /**
   * Whether the fit reached its `tol`: false when a cap stopped it first (maxSteps, the exact passes of a streamed
   * fit, the end of a one-shot stream), and the components may be inaccurate.
   */
  readonly converged: boolean;
  /**
   * How many times the fit read all n rows (the caller's, or the kernels' float32 copy of them; null from JSON): 1
   * on the covariance route, 2 on the Gram route (the statistics, then the sums), 2 and one per round on the data
   * route, 0 for a fit of Moments.
   */
  readonly passes: number | null;
  /** Rounds the players played to reach tol (null from JSON); on the data route each is a pass over the rows. */
  readonly rounds: number | null;
  /**
   * The variance of each component's scores over the rows the model was fitted on, var(X w_i) with denominator n
   * (X the data as given, not centred): scikit-learn's `TruncatedSVD.explained_variance_`. With center: true it is
   * explainedVariance × (n − 1) / n; with center: false it is the scores' spread about their own mean, where
   * explainedVariance is their mean square. Null from JSON.
   */
  readonly scoreVariance: Float64Array | null;

  /** @internal Models come from the fits and from `fromJSON`. */
  constructor(fields: PCAModelFields) {
    this.components = fields.components;
    this.explainedVariance = fields.explainedVariance;
    this.explainedVarianceRatio = fields.explainedVarianceRatio;
    this.mean = fields.mean;
    this.nSamples = fields.nSamples;
    this.k = fields.k;
    this.d = fields.d;
    this.backend = fields.backend ?? null;
    this.solver = fields.solver ?? null;
    this.converged = fields.converged ?? true;
    this.passes = fields.passes ?? null;
    this.rounds = fields.rounds ?? null;
    this.scoreVariance = fields.scoreVariance ?? null;
  }

  /**
   * Each component's singular value ‖X̃ w_i‖ = √((n − 1) · explainedVariance_i), X̃ the data less `mean` (scikit-learn's
   * `PCA.singular_values_`; with center: false, `TruncatedSVD.singular_values_`).
   */
  get singularValues(): Float64Array {
    return this.explainedVariance.map((variance) => Math.sqrt((this.nSamples - 1) * variance));
  }

  /**
   * Projects rows of X (n × d) onto the components: (X − mean) Vᵀ, n × k, in float64. A sparse matrix is never
   * densified: X Vᵀ from its non-zeros, less mean·Vᵀ.
   */
  transform(X: MatrixInput | SparseMatrix): Float64Matrix {
    if (isSparseMatrix(X)) return this.transformSparse(X);
    const reader = readMatrix(X, 'X');
    const { k, d } = this;
    if (reader.cols !== d) throw new RangeError(`X has ${reader.cols} columns, but the model has d = ${d}`);
    const out = new Float64Array(reader.rows * k);
    const centered = new Float64Array(d);
    for (let r = 0; r < reader.rows; r++) {
      const row = reader.row(r);
      for (let c = 0; c < d; c++) {
        const value = row[c];
        if (!Number.isFinite(value)) reportNonFinite(row, 'X', r);
        centered[c] = value - this.mean[c];
      }
      for (let j = 0; j < k; j++) {
        let sum = 0;
        const offset = j * d;
        for (let c = 0; c < d; c++) sum += centered[c] * this.components[offset + c];
        out[r * k + j] = sum;
      }
    }
    return { data: out, rows: reader.rows, cols: k };
  }

  private transformSparse(X: SparseMatrix): Float64Matrix {
    const reader = readSparseMatrix(X, 'X');
    const { k, d, components } = this;
    if (reader.cols !== d) throw new RangeError(`X has ${reader.cols} columns, but the model has d = ${d}`);
    const shifts = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      for (let c = 0; c < d; c++) shifts[j] += this.mean[c] * components[j * d + c];
    }
    const out = new Float64Array(reader.rows * k);
    const { indptr, indices, data } = reader.csr;
    for (let r = 0; r < reader.rows; r++) {
      for (let j = 0; j < k; j++) {
        let sum = 0;
        const offset = j * d;
        for (let e = indptr[r]; e < indptr[r + 1]; e++) sum += data[e] * components[offset + indices[e]];
        out[r * k + j] = sum - shifts[j];
      }
    }
    return { data: out, rows: reader.rows, cols: k };
  }

  /** Maps scores Y (n × k) back to data space: Y V + mean, n × d, in float64. */
  inverseTransform(Y: MatrixInput): Float64Matrix {
    const reader = readMatrix(Y, 'Y');
    const { k, d } = this;
    if (reader.cols !== k) throw new RangeError(`Y has ${reader.cols} columns, but the model has k = ${k}`);
    const out = new Float64Array(reader.rows * d);
    for (let r = 0; r < reader.rows; r++) {
      const row = reader.row(r);
      const target = out.subarray(r * d, (r + 1) * d);
      target.set(this.mean);
      for (let j = 0; j < k; j++) {
        const score = row[j];
        if (!Number.isFinite(score)) reportNonFinite(row, 'Y', r);
        const offset = j * d;
        for (let c = 0; c < d; c++) target[c] += score * this.components[offset + c];
      }
    }
    return { data: out, rows: reader.rows, cols: d };
  }

  /** The model as JSON-ready data (format version 2): every number exact, `PCAModel.fromJSON` reads it back. */
  toJSON(): PCAModelJSON {
    return {
      format: 'eigengame-pca',
      version: 2,
      converged: this.converged,
      k: this.k,
      d: this.d,
      nSamples: this.nSamples,
      components: plainNumbers(this.components),
      explainedVariance: plainNumbers(this.explainedVariance),
      explainedVarianceRatio: plainNumbers(this.explainedVarianceRatio),
      mean: plainNumbers(this.mean),
    };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers, unit
   * components, variances ≥ 0, ratios in [0, 1] summing to at most 1, nSamples ≥ 2 (see checkModelFields).
   */
  static fromJSON(json: PCAModelJSON | PCAModelJSONVersion1 | string): PCAModel {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (typeof value !== 'object' || value === null || (value as PCAModelJSON).format !== 'eigengame-pca') {
      throw new TypeError('PCAModel.fromJSON needs the output of PCAModel.prototype.toJSON()');
    }
    const model = value as Record<string, unknown>;
    if (model.version !== 1 && model.version !== 2) {
      throw new RangeError(`unsupported PCA model version ${describe(model.version)} (this version reads 1 and 2)`);
    }
    const converged = model.version === 1 ? true : model.converged;
    if (typeof converged !== 'boolean') {
      throw new TypeError(`model.converged must be a boolean, got ${describe(converged)}`);
    }
    const k = positiveInteger(model, 'k');
    const d = positiveInteger(model, 'd');
    if (k > d) throw new RangeError(`model.k = ${k} is larger than model.d = ${d}: there are at most d components`);
    const fields: PCAModelFields = {
      components: Float32Array.from(finiteNumbers(model, 'components', k * d)),
      explainedVariance: Float64Array.from(finiteNumbers(model, 'explainedVariance', k)),
      explainedVarianceRatio: Float64Array.from(finiteNumbers(model, 'explainedVarianceRatio', k)),
      mean: Float64Array.from(finiteNumbers(model, 'mean', d)),
      nSamples: positiveInteger(model, 'nSamples'),
      k,
      d,
      converged,
    };
    checkModelFields(fields);
    return new PCAModel(fields);
  }
}

/**
 * How far a component's norm may be from 1. A fit's components are unit rows in float64 rounded to float32, which
 * moves the norm by at most 2⁻²⁴ ≈ 6e-8 (measured: ≤ 3.4e-8); 1e-5 leaves room for components from other
 * tools.
 */
const UNIT_TOLERANCE = 1e-5;
/**
 * How far above 1 the variance ratios (each, and their sum) may be. Models of this version sum to at most 1 by
 * construction (varianceRatios in core.ts); version 1 models' sums were off by rounding only (measured: up to
 * 4e-8 with k = d).
 */
const RATIO_TOLERANCE = 1e-4;

/** The checks on values that a fit's model always passes: unit components, variances ≥ 0, ratios in [0, 1]. */
function checkModelFields(fields: PCAModelFields): void {
  const { components, explainedVariance, explainedVarianceRatio, nSamples, k, d } = fields;
  if (nSamples < 2) {
    throw new RangeError(`model.nSamples must be at least 2 (a variance needs two rows), got ${nSamples}`);
  }
  for (let i = 0; i < k; i++) {
    let squares = 0;
    for (let c = 0; c < d; c++) squares += components[i * d + c] ** 2;
    const norm = Math.sqrt(squares);
    if (!(Math.abs(norm - 1) <= UNIT_TOLERANCE)) {
      throw new RangeError(
        `model.components row ${i} has norm ${norm}: `
          + `components must be unit rows (|norm − 1| ≤ ${UNIT_TOLERANCE.toExponential()})`,
      );
    }
  }
  explainedVariance.forEach((value, i) => {
    if (value < 0) throw new RangeError(`model.explainedVariance[${i}] is ${value}: a variance must be ≥ 0`);
  });
  let sum = 0;
  explainedVarianceRatio.forEach((value, i) => {
    if (!(value >= 0 && value <= 1 + RATIO_TOLERANCE)) {
      throw new RangeError(`model.explainedVarianceRatio[${i}] is ${value}: a share of the total variance must be in [0, 1]`);
    }
    sum += value;
  });
  if (sum > 1 + RATIO_TOLERANCE) {
    throw new RangeError(
      `model.explainedVarianceRatio sums to ${sum}: shares of the total variance must sum to at most 1`,
    );
  }
}

function positiveInteger(model: Record<string, unknown>, field: string): number {
  const n = model[field];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`model.${field} must be a positive integer, got ${describe(n)}`);
  }
  return n;
}

function finiteNumbers(model: Record<string, unknown>, field: string, length: number): number[] {
  const list = model[field];
  if (!Array.isArray(list) || list.length !== length) {
    throw new RangeError(`model.${field} must be an array of ${length} numbers`);
  }
  const bad = list.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) {
    throw new RangeError(
      `model.${field} has a value that is not a finite number at index ${bad}: ${describe(list[bad])}`,
    );
  }
  return list as number[];
}
