// A fitted CCA: the canonical weights of both views, the canonical correlations and the means, with transform and
// a JSON form.

import type { Backend } from '../devices/engine';
import type { MatrixInput } from '../io/matrix';
import type { Float64Matrix } from '../pca/model';
import {
  booleanField, checkRange, checkSamples, finiteNumbers, modelObject, nonNegativeNumber, positiveInteger, projectRows,
} from './fields';

export interface CCAModelJSON {
  format: 'eigengame-cca';
  version: 1;
  k: number;
  dx: number;
  dy: number;
  nSamples: number;
  converged: boolean;
  regularization: number;
  correlations: number[];
  xWeights: number[];
  yWeights: number[];
  xMean: number[];
  yMean: number[];
}

export interface CCAModelFields {
  xWeights: Float64Array;
  yWeights: Float64Array;
  correlations: Float64Array;
  xMean: Float64Array;
  yMean: Float64Array;
  k: number;
  dx: number;
  dy: number;
  nSamples: number;
  regularization: number;
  converged?: boolean;
  backend?: Backend;
  rounds?: number;
  passes?: number;
}

/** How far above 1 a correlation read from JSON may be (rounding of a fit's unit-variance weights). */
const CORRELATION_TOLERANCE = 1e-6;

export class CCAModel {
  /** k × dx, row-major: X's canonical weights, each scaled so that its variate (X − xMean) w has unit variance. */
  readonly xWeights: Float64Array;
  /** k × dy, row-major: Y's, likewise; each pair's largest-magnitude X weight is positive. */
  readonly yWeights: Float64Array;
  /** The canonical correlations: the correlation of each pair of variates, descending. */
  readonly correlations: Float64Array;
  /** The column means subtracted before projecting (zeros when fitted with center: false). */
  readonly xMean: Float64Array;
  readonly yMean: Float64Array;
  readonly k: number;
  readonly dx: number;
  readonly dy: number;
  readonly nSamples: number;
  /** The ε added to both within-view covariances. */
  readonly regularization: number;
  /** Whether the players' residual bound reached tol (false: maxSteps stopped them first). */
  readonly converged: boolean;
  /** Where the fit ran (null from JSON). */
  readonly backend: Backend | null;
  /** Rounds the players played: the devices' float32 rounds and the float64 finish's (null from JSON). */
  readonly rounds: number | null;
  /** Reads of all n rows (null from JSON). */
  readonly passes: number | null;

  constructor(fields: CCAModelFields) {
    this.xWeights = fields.xWeights;
    this.yWeights = fields.yWeights;
    this.correlations = fields.correlations;
    this.xMean = fields.xMean;
    this.yMean = fields.yMean;
    this.k = fields.k;
    this.dx = fields.dx;
    this.dy = fields.dy;
    this.nSamples = fields.nSamples;
    this.regularization = fields.regularization;
    this.converged = fields.converged ?? true;
    this.backend = fields.backend ?? null;
    this.rounds = fields.rounds ?? null;
    this.passes = fields.passes ?? null;
  }

  /** The canonical variates of rows of X and Y (same rows, n × k each): (X − xMean) xWeightsᵀ and (Y − yMean) yWeightsᵀ. */
  transform(X: MatrixInput, Y: MatrixInput): { x: Float64Matrix; y: Float64Matrix } {
    const x = projectRows(X, 'X', this.xMean, this.xWeights, this.k);
    const y = projectRows(Y, 'Y', this.yMean, this.yWeights, this.k);
    if (x.rows !== y.rows) throw new RangeError(`X has ${x.rows} rows but Y has ${y.rows}: row i of X and row i of Y must be the same sample`);
    return { x, y };
  }

  toJSON(): CCAModelJSON {
    return {
      format: 'eigengame-cca', version: 1, k: this.k, dx: this.dx, dy: this.dy, nSamples: this.nSamples,
      converged: this.converged, regularization: this.regularization, correlations: Array.from(this.correlations),
      xWeights: Array.from(this.xWeights), yWeights: Array.from(this.yWeights), xMean: Array.from(this.xMean),
      yMean: Array.from(this.yMean),
    };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers,
   * k ≤ min(dx, dy), nSamples ≥ 2, correlations in [0, 1], regularization ≥ 0.
   */
  static fromJSON(json: CCAModelJSON | string): CCAModel {
    const model = modelObject(json, 'eigengame-cca', 'CCAModel');
    const k = positiveInteger(model, 'k');
    const dx = positiveInteger(model, 'dx');
    const dy = positiveInteger(model, 'dy');
    if (k > Math.min(dx, dy)) throw new RangeError(`model.k = ${k} is larger than min(dx, dy) = ${Math.min(dx, dy)}: there are at most that many canonical pairs`);
    const fields: CCAModelFields = {
      k, dx, dy,
      nSamples: positiveInteger(model, 'nSamples'),
      converged: booleanField(model, 'converged'),
      regularization: nonNegativeNumber(model, 'regularization'),
      correlations: finiteNumbers(model, 'correlations', k),
      xWeights: finiteNumbers(model, 'xWeights', k * dx),
      yWeights: finiteNumbers(model, 'yWeights', k * dy),
      xMean: finiteNumbers(model, 'xMean', dx),
      yMean: finiteNumbers(model, 'yMean', dy),
    };
    checkSamples(fields.nSamples);
    checkRange(fields.correlations, 'correlations', 0, 1 + CORRELATION_TOLERANCE, 'a canonical correlation must be in [0, 1]');
    return new CCAModel(fields);
  }
}
