// A fitted LDA: the discriminant directions (scalings), their eigenvalues, the classes and their means, with
// transform, predict and a JSON form.

import { describe } from '../describe';
import type { Backend } from '../devices/engine';
import { plainNumbers } from '../math/linalg';
import type { MatrixInput } from '../io/matrix';
import type { Float64Matrix } from '../pca/model';
import {
  booleanField, checkRange, checkSamples, finiteNumbers, modelObject, nonNegativeNumber, positiveInteger, projectRows,
} from './fields';

/** A class label: a number or a string. */
export type Label = number | string;

/** An LDAModel's JSON form (`toJSON()`), which `LDAModel.fromJSON` reads back. */
export interface LDAModelJSON {
  /** Marks an LDA model. */
  format: 'eigengame-lda';
  /** The format version. */
  version: 1;
  /** Discriminant directions. */
  k: number;
  /** Columns. */
  d: number;
  /** Rows the model was fitted on. */
  nSamples: number;
  /** Whether the players' residual bound reached tol. */
  converged: boolean;
  /** The ε added to the within-class covariance. */
  regularization: number;
  /** The class labels, sorted. */
  classes: Label[];
  /** Each direction's between- over within-class variance, descending. */
  eigenvalues: number[];
  /** Each eigenvalue's share of their sum over all classes − 1 directions. */
  explainedVarianceRatio: number[];
  /** The directions, k × d, row-major. */
  scalings: number[];
  /** The overall mean. */
  mean: number[];
  /** Each class's mean, classes × d, row-major. */
  means: number[];
}

export interface LDAModelFields {
  scalings: Float64Array;
  eigenvalues: Float64Array;
  explainedVarianceRatio: Float64Array;
  classes: Label[];
  means: Float64Array;
  mean: Float64Array;
  k: number;
  d: number;
  nSamples: number;
  regularization: number;
  converged?: boolean;
  backend?: Backend;
  rounds?: number;
  passes?: number;
}

/** How far above 1 the ratios (each, and their sum) read from JSON may be: rounding only. */
const RATIO_TOLERANCE = 1e-6;

/** Linear discriminants of labelled rows, as `lda` fits them: the directions, their eigenvalues, the classes and their means, with `transform`, `predict` and a JSON form. */
export class LDAModel {
  /**
   * k × d, row-major: the discriminant directions v of Sb v = λ Sw v (Sb, Sw the between- and within-class
   * covariances, scikit-learn's), each with vᵀ (Sw + εI) v = 1 and its largest-magnitude entry positive.
   */
  readonly scalings: Float64Array;
  /** λ of each direction: its between-class variance over its within-class variance, descending. */
  readonly eigenvalues: Float64Array;
  /** Each eigenvalue's share of their sum over all classes − 1 directions. */
  readonly explainedVarianceRatio: Float64Array;
  /** The class labels, sorted (numbers ascending, strings in code-unit order). */
  readonly classes: Label[];
  /** classes × d, row-major: each class's mean. */
  readonly means: Float64Array;
  /** The overall mean, subtracted by transform. */
  readonly mean: Float64Array;
  /** Discriminant directions. */
  readonly k: number;
  /** Columns. */
  readonly d: number;
  /** Rows the model was fitted on. */
  readonly nSamples: number;
  /** The ε added to the within-class covariance. */
  readonly regularization: number;
  /** Whether the players' residual bound reached tol (false: maxSteps stopped them first). */
  readonly converged: boolean;
  /** Where the fit ran (null from JSON). */
  readonly backend: Backend | null;
  /** Rounds the players played (null from JSON). */
  readonly rounds: number | null;
  /** Reads of all n rows (null from JSON). */
  readonly passes: number | null;
  /** The class means in the discriminant space (classes × k). */
  private readonly centroids: Float64Array;

  /** @internal Models come from the fits and from `fromJSON`. */
  constructor(fields: LDAModelFields) {
    this.scalings = fields.scalings;
    this.eigenvalues = fields.eigenvalues;
    this.explainedVarianceRatio = fields.explainedVarianceRatio;
    this.classes = fields.classes;
    this.means = fields.means;
    this.mean = fields.mean;
    this.k = fields.k;
    this.d = fields.d;
    this.nSamples = fields.nSamples;
    this.regularization = fields.regularization;
    this.converged = fields.converged ?? true;
    this.backend = fields.backend ?? null;
    this.rounds = fields.rounds ?? null;
    this.passes = fields.passes ?? null;
    const { classes, d, k } = this;
    this.centroids = projectRows({ data: this.means, rows: classes.length, cols: d }, 'means', this.mean, this.scalings, k).data;
  }

  /** Rows of X (n × d) in the discriminant space: (X − mean) scalingsᵀ, n × k. */
  transform(X: MatrixInput): Float64Matrix {
    return projectRows(X, 'X', this.mean, this.scalings, this.k);
  }

  /** Each row's class: the one whose mean is nearest in the discriminant space. */
  predict(X: MatrixInput): Label[] {
    const { data, rows } = this.transform(X);
    const { k, centroids, classes } = this;
    return Array.from({ length: rows }, (_, r) => {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < classes.length; c++) {
        let distance = 0;
        for (let j = 0; j < k; j++) distance += (data[r * k + j] - centroids[c * k + j]) ** 2;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = c;
        }
      }
      return classes[best];
    });
  }

  /** The model as JSON-ready data: every number exact, `LDAModel.fromJSON` reads it back. */
  toJSON(): LDAModelJSON {
    return {
      format: 'eigengame-lda', version: 1, k: this.k, d: this.d, nSamples: this.nSamples, converged: this.converged,
      regularization: this.regularization, classes: [...this.classes], eigenvalues: plainNumbers(this.eigenvalues),
      explainedVarianceRatio: plainNumbers(this.explainedVarianceRatio), scalings: plainNumbers(this.scalings),
      mean: plainNumbers(this.mean), means: plainNumbers(this.means),
    };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers, at
   * least two distinct classes of one kind, k ≤ classes − 1 and k ≤ d, nSamples ≥ 2, eigenvalues ≥ 0, ratios in
   * [0, 1] summing to at most 1, regularization ≥ 0.
   */
  static fromJSON(json: LDAModelJSON | string): LDAModel {
    const model = modelObject(json, 'eigengame-lda', 'LDAModel');
    const k = positiveInteger(model, 'k');
    const d = positiveInteger(model, 'd');
    const classes = checkClasses(model.classes);
    if (k > Math.min(classes.length - 1, d)) {
      throw new RangeError(`model.k = ${k} is larger than min(classes − 1, d) = ${Math.min(classes.length - 1, d)}: there are at most that many discriminant directions`);
    }
    const fields: LDAModelFields = {
      k, d, classes,
      nSamples: positiveInteger(model, 'nSamples'),
      converged: booleanField(model, 'converged'),
      regularization: nonNegativeNumber(model, 'regularization'),
      eigenvalues: finiteNumbers(model, 'eigenvalues', k),
      explainedVarianceRatio: finiteNumbers(model, 'explainedVarianceRatio', k),
      scalings: finiteNumbers(model, 'scalings', k * d),
      mean: finiteNumbers(model, 'mean', d),
      means: finiteNumbers(model, 'means', classes.length * d),
    };
    checkSamples(fields.nSamples);
    checkRange(fields.eigenvalues, 'eigenvalues', 0, Infinity, 'an eigenvalue (a ratio of variances) must be ≥ 0');
    checkRange(fields.explainedVarianceRatio, 'explainedVarianceRatio', 0, 1 + RATIO_TOLERANCE, 'a share must be in [0, 1]');
    const sum = fields.explainedVarianceRatio.reduce((total, value) => total + value, 0);
    if (sum > 1 + RATIO_TOLERANCE) throw new RangeError(`model.explainedVarianceRatio sums to ${sum}: shares must sum to at most 1`);
    return new LDAModel(fields);
  }
}

/** The classes of a model file: an array of at least two distinct numbers, or of strings. */
function checkClasses(value: unknown): Label[] {
  if (!Array.isArray(value) || value.length < 2) throw new RangeError('model.classes must be an array of at least two labels');
  const kind = typeof value[0];
  const bad = value.findIndex((label) => typeof label !== kind || (kind === 'number' ? !Number.isFinite(label) : kind !== 'string'));
  if (bad >= 0) {
    throw new TypeError(`model.classes must hold finite numbers or strings, all of one kind: index ${bad} is ${describe(value[bad])}`);
  }
  if (new Set(value).size !== value.length) throw new RangeError('model.classes has a label twice');
  return value as Label[];
}
