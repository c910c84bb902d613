// A fitted CCA: the canonical weights of both views, the canonical correlations and the means, with transform and
// a JSON form.

import { checkRange, finiteNumbers, modelObject, nonNegativeNumber } from './fields';
import { TwoViewModel, twoViewFields, type TwoViewFields, type TwoViewJSON } from './two-view-model';

/** A CCAModel's JSON form (`toJSON()`), which `CCAModel.fromJSON` reads back. */
export interface CCAModelJSON extends TwoViewJSON {
  /** Marks a CCA model. */
  format: 'eigengame-cca';
  /** The format version. */
  version: 1;
  /** The ε added to both within-view covariances. */
  regularization: number;
  /** The canonical correlations, descending. */
  correlations: number[];
}

export interface CCAModelFields extends TwoViewFields {
  correlations: Float64Array;
  regularization: number;
}

/** How far above 1 a correlation read from JSON may be (rounding of a fit's unit-variance weights). */
const CORRELATION_TOLERANCE = 1e-6;

/**
 * The top k canonical pairs. xWeights (k × dx) and yWeights (k × dy), row-major, are scaled so that each variate
 * (X − xMean) w has unit variance; each pair's largest-magnitude X weight is positive.
 */
export class CCAModel extends TwoViewModel {
  /** The canonical correlations: the correlation of each pair of variates, descending. */
  readonly correlations: Float64Array;
  /** The ε added to both within-view covariances. */
  readonly regularization: number;

  /** @internal Models come from the fits and from `fromJSON`. */
  constructor(fields: CCAModelFields) {
    super(fields);
    this.correlations = fields.correlations;
    this.regularization = fields.regularization;
  }

  /** The model as JSON-ready data: every number exact, `CCAModel.fromJSON` reads it back. */
  toJSON(): CCAModelJSON {
    return {
      format: 'eigengame-cca', version: 1, ...this.viewsJSON(), regularization: this.regularization,
      correlations: Array.from(this.correlations),
    };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers,
   * k ≤ min(dx, dy), nSamples ≥ 2, correlations in [0, 1], regularization ≥ 0.
   */
  static fromJSON(json: CCAModelJSON | string): CCAModel {
    const model = modelObject(json, 'eigengame-cca', 'CCAModel');
    const views = twoViewFields(model, 'canonical pairs');
    const fields: CCAModelFields = {
      ...views,
      regularization: nonNegativeNumber(model, 'regularization'),
      correlations: finiteNumbers(model, 'correlations', views.k),
    };
    checkRange(fields.correlations, 'correlations', 0, 1 + CORRELATION_TOLERANCE, 'a canonical correlation must be in [0, 1]');
    return new CCAModel(fields);
  }
}
