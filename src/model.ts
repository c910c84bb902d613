// A fitted PCA: components, variances and the mean, with transforms and a JSON form.

import { readMatrix, reportNonFinite, type MatrixInput } from './data';
import type { Backend } from './engine';

/** A row-major float64 matrix returned by the transforms. */
export interface Float64Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

export interface PCAModelJSON {
  format: 'eigengame-pca';
  version: 1;
  k: number;
  d: number;
  nSamples: number;
  components: number[];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  mean: number[];
}

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
}

export class PCAModel {
  /** k × d, row-major: unit rows sorted by explained variance, each with its largest-magnitude loading positive. */
  readonly components: Float32Array;
  /** Variance along each component (denominator n − 1, like scikit-learn). */
  readonly explainedVariance: Float64Array;
  /** Each component's share of the total variance of the data. */
  readonly explainedVarianceRatio: Float64Array;
  /** The column means subtracted before projecting (zeros when fitted with center: false). */
  readonly mean: Float64Array;
  readonly nSamples: number;
  readonly k: number;
  readonly d: number;
  /** Where the fit ran: devices, workers or in-thread, kernel build, and any fallback (null from JSON). */
  readonly backend: Backend | null;

  constructor(fields: PCAModelFields) {
    this.components = fields.components;
    this.explainedVariance = fields.explainedVariance;
    this.explainedVarianceRatio = fields.explainedVarianceRatio;
    this.mean = fields.mean;
    this.nSamples = fields.nSamples;
    this.k = fields.k;
    this.d = fields.d;
    this.backend = fields.backend ?? null;
  }

  /** Projects rows of X (n × d) onto the components: (X − mean) Vᵀ, n × k, in float64. */
  transform(X: MatrixInput): Float64Matrix {
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

  toJSON(): PCAModelJSON {
    return {
      format: 'eigengame-pca',
      version: 1,
      k: this.k,
      d: this.d,
      nSamples: this.nSamples,
      components: Array.from(this.components),
      explainedVariance: Array.from(this.explainedVariance),
      explainedVarianceRatio: Array.from(this.explainedVarianceRatio),
      mean: Array.from(this.mean),
    };
  }

  /** Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field. */
  static fromJSON(json: PCAModelJSON | string): PCAModel {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (typeof value !== 'object' || value === null || (value as PCAModelJSON).format !== 'eigengame-pca') {
      throw new TypeError('PCAModel.fromJSON needs the output of PCAModel.prototype.toJSON()');
    }
    const model = value as PCAModelJSON;
    if (model.version !== 1) throw new RangeError(`unsupported PCA model version ${String(model.version)}`);
    const count = (field: 'k' | 'd' | 'nSamples') => {
      const n = model[field];
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`model.${field} must be a positive integer, got ${String(n)}`);
      return n;
    };
    const k = count('k');
    const d = count('d');
    const numbers = (field: keyof PCAModelJSON, length: number) => {
      const list = model[field];
      if (!Array.isArray(list) || list.length !== length) {
        throw new RangeError(`model.${field} must be an array of ${length} numbers`);
      }
      if (!list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new RangeError(`model.${field} has a value that is not a finite number`);
      }
      return list as number[];
    };
    return new PCAModel({
      components: Float32Array.from(numbers('components', k * d)),
      explainedVariance: Float64Array.from(numbers('explainedVariance', k)),
      explainedVarianceRatio: Float64Array.from(numbers('explainedVarianceRatio', k)),
      mean: Float64Array.from(numbers('mean', d)),
      nSamples: count('nSamples'),
      k,
      d,
    });
  }
}
