// A fitted PLS-SVD: the top singular vectors of the cross-covariance of X and Y, its singular values and the means,
// with transform and a JSON form.

import type { Backend } from '../devices/engine';
import type { MatrixInput } from '../io/matrix';
import type { Float64Matrix } from '../pca/model';
import {
  booleanField, checkRange, checkSamples, finiteNumbers, modelObject, positiveInteger, projectRows,
} from './fields';

export interface PLSModelJSON {
  format: 'eigengame-pls';
  version: 1;
  k: number;
  dx: number;
  dy: number;
  nSamples: number;
  converged: boolean;
  singularValues: number[];
  xWeights: number[];
  yWeights: number[];
  xMean: number[];
  yMean: number[];
}

export interface PLSModelFields {
  xWeights: Float64Array;
  yWeights: Float64Array;
  singularValues: Float64Array;
  xMean: Float64Array;
  yMean: Float64Array;
  k: number;
  dx: number;
  dy: number;
  nSamples: number;
  converged?: boolean;
  backend?: Backend;
  rounds?: number;
  passes?: number;
}

/** How far a weight row's norm read from JSON may be from 1. */
const UNIT_TOLERANCE = 1e-5;

export class PLSModel {
  /** k × dx, row-major: unit rows, the left singular vectors of Cxy = XᵀY/(n − 1), each with its largest-magnitude entry positive. */
  readonly xWeights: Float64Array;
  /** k × dy, row-major: unit rows, the right singular vectors (signs to match). */
  readonly yWeights: Float64Array;
  /** Cxy's top k singular values, descending: the covariance of each pair of scores. */
  readonly singularValues: Float64Array;
  readonly xMean: Float64Array;
  readonly yMean: Float64Array;
  readonly k: number;
  readonly dx: number;
  readonly dy: number;
  readonly nSamples: number;
  readonly converged: boolean;
  readonly backend: Backend | null;
  readonly rounds: number | null;
  readonly passes: number | null;

  constructor(fields: PLSModelFields) {
    this.xWeights = fields.xWeights;
    this.yWeights = fields.yWeights;
    this.singularValues = fields.singularValues;
    this.xMean = fields.xMean;
    this.yMean = fields.yMean;
    this.k = fields.k;
    this.dx = fields.dx;
    this.dy = fields.dy;
    this.nSamples = fields.nSamples;
    this.converged = fields.converged ?? true;
    this.backend = fields.backend ?? null;
    this.rounds = fields.rounds ?? null;
    this.passes = fields.passes ?? null;
  }

  /** The scores of rows of X and Y (n × k each): (X − xMean) xWeightsᵀ and (Y − yMean) yWeightsᵀ. */
  transform(X: MatrixInput, Y: MatrixInput): { x: Float64Matrix; y: Float64Matrix } {
    const x = projectRows(X, 'X', this.xMean, this.xWeights, this.k);
    const y = projectRows(Y, 'Y', this.yMean, this.yWeights, this.k);
    if (x.rows !== y.rows) throw new RangeError(`X has ${x.rows} rows but Y has ${y.rows}: row i of X and row i of Y must be the same sample`);
    return { x, y };
  }

  toJSON(): PLSModelJSON {
    return {
      format: 'eigengame-pls', version: 1, k: this.k, dx: this.dx, dy: this.dy, nSamples: this.nSamples, converged: this.converged,
      singularValues: Array.from(this.singularValues), xWeights: Array.from(this.xWeights), yWeights: Array.from(this.yWeights),
      xMean: Array.from(this.xMean), yMean: Array.from(this.yMean),
    };
  }

  /**
   * Rebuilds a model from `toJSON()` output (or its JSON.parse), checking every field: shapes, finite numbers,
   * k ≤ min(dx, dy), nSamples ≥ 2, unit weight rows, singular values ≥ 0.
   */
  static fromJSON(json: PLSModelJSON | string): PLSModel {
    const model = modelObject(json, 'eigengame-pls', 'PLSModel');
    const k = positiveInteger(model, 'k');
    const dx = positiveInteger(model, 'dx');
    const dy = positiveInteger(model, 'dy');
    if (k > Math.min(dx, dy)) throw new RangeError(`model.k = ${k} is larger than min(dx, dy) = ${Math.min(dx, dy)}: there are at most that many pairs`);
    const fields: PLSModelFields = {
      k, dx, dy,
      nSamples: positiveInteger(model, 'nSamples'),
      converged: booleanField(model, 'converged'),
      singularValues: finiteNumbers(model, 'singularValues', k),
      xWeights: finiteNumbers(model, 'xWeights', k * dx),
      yWeights: finiteNumbers(model, 'yWeights', k * dy),
      xMean: finiteNumbers(model, 'xMean', dx),
      yMean: finiteNumbers(model, 'yMean', dy),
    };
    checkSamples(fields.nSamples);
    checkRange(fields.singularValues, 'singularValues', 0, Infinity, 'a singular value must be ≥ 0');
    checkUnitRows(fields.xWeights, k, dx, 'xWeights');
    checkUnitRows(fields.yWeights, k, dy, 'yWeights');
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
