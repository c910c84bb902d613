// A fitted PLS-SVD: the top singular vectors of the cross-covariance of X and Y, its singular values and the means,
// with transform and a JSON form.

import { checkRange, finiteNumbers, modelObject } from './fields';
import { TwoViewModel, twoViewFields, type TwoViewFields, type TwoViewJSON } from './two-view-model';

/** A PLSModel's JSON form (`toJSON()`), which `PLSModel.fromJSON` reads back. */
export interface PLSModelJSON extends TwoViewJSON {
  /** Marks a PLS model. */
  format: 'eigengame-pls';
  /** The format version. */
  version: 1;
  /** Cxy's top k singular values, descending. */
  singularValues: number[];
}

export interface PLSModelFields extends TwoViewFields {
  singularValues: Float64Array;
}

/** How far a weight row's norm read from JSON may be from 1. */
const UNIT_TOLERANCE = 1e-5;

/**
 * The top k PLS-SVD pairs. xWeights (k × dx) and yWeights (k × dy), row-major, are unit rows: the left and right
 * singular vectors of Cxy = XᵀY/(n − 1), each pair's largest-magnitude X entry positive.
 */
export class PLSModel extends TwoViewModel {
  /** Cxy's top k singular values, descending: the covariance of each pair of scores. */
  readonly singularValues: Float64Array;

  /** @internal Models come from the fits and from `fromJSON`. */
  constructor(fields: PLSModelFields) {
    super(fields);
    this.singularValues = fields.singularValues;
  }

  /** The model as JSON-ready data: every number exact, `PLSModel.fromJSON` reads it back. */
  toJSON(): PLSModelJSON {
    return { format: 'eigengame-pls', version: 1, ...this.viewsJSON(), singularValues: Array.from(this.singularValues) };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers,
   * k ≤ min(dx, dy), nSamples ≥ 2, unit weight rows, singular values ≥ 0.
   */
  static fromJSON(json: PLSModelJSON | string): PLSModel {
    const model = modelObject(json, 'eigengame-pls', 'PLSModel');
    const views = twoViewFields(model, 'pairs');
    const fields: PLSModelFields = { ...views, singularValues: finiteNumbers(model, 'singularValues', views.k) };
    checkRange(fields.singularValues, 'singularValues', 0, Infinity, 'a singular value must be ≥ 0');
    checkUnitRows(fields.xWeights, views.k, views.dx, 'xWeights');
    checkUnitRows(fields.yWeights, views.k, views.dy, 'yWeights');
    return new PLSModel(fields);
  }
}

function checkUnitRows(rows: Float64Array, k: number, d: number, field: string): void {
  for (let i = 0; i < k; i++) {
    let squares = 0;
    for (let c = 0; c < d; c++) squares += rows[i * d + c] ** 2;
    const norm = Math.sqrt(squares);
    if (!(Math.abs(norm - 1) <= UNIT_TOLERANCE)) {
      throw new RangeError(`model.${field} row ${i} has norm ${norm}: weights must be unit rows (|norm − 1| ≤ ${UNIT_TOLERANCE.toExponential()})`);
    }
  }
}
