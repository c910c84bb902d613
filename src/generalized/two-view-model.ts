// What CCAModel and PLSModel share: each view's weights and mean, the fit's record, transform, and the JSON fields
// of both views read and checked in one place.

import type { Backend } from '../devices/engine';
import { plainNumbers } from '../math/linalg';
import type { MatrixInput } from '../io/matrix';
import type { Float64Matrix } from '../pca/model';
import { booleanField, checkSamples, finiteNumbers, positiveInteger, projectRows } from './fields';

/** The JSON fields of both views (the models add their format, version and values). */
export interface TwoViewJSON {
  /** Pairs of directions. */
  k: number;
  /** X's columns. */
  dx: number;
  /** Y's columns. */
  dy: number;
  /** Rows the model was fitted on. */
  nSamples: number;
  /** Whether the players' residual bound reached tol. */
  converged: boolean;
  /** X's weights, k × dx, row-major. */
  xWeights: number[];
  /** Y's weights, k × dy, row-major. */
  yWeights: number[];
  /** X's column means. */
  xMean: number[];
  /** Y's column means. */
  yMean: number[];
}

export interface TwoViewFields {
  xWeights: Float64Array;
  yWeights: Float64Array;
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

export abstract class TwoViewModel {
  /** k × dx, row-major: X's weights (how each model scales them, its own docs say). */
  readonly xWeights: Float64Array;
  /** k × dy, row-major: Y's weights; each pair's largest-magnitude X weight is positive. */
  readonly yWeights: Float64Array;
  /** The column means subtracted before projecting (zeros when fitted with center: false). */
  readonly xMean: Float64Array;
  /** Y's column means, as xMean. */
  readonly yMean: Float64Array;
  /** Pairs of directions. */
  readonly k: number;
  /** X's columns. */
  readonly dx: number;
  /** Y's columns. */
  readonly dy: number;
  /** Rows the model was fitted on. */
  readonly nSamples: number;
  /** Whether the players' residual bound reached tol (false: maxSteps stopped them first). */
  readonly converged: boolean;
  /** Where the fit ran (null from JSON). */
  readonly backend: Backend | null;
  /** Rounds the players played: the devices' float32 rounds and the float64 finish's (null from JSON). */
  readonly rounds: number | null;
  /** Reads of all n rows (null from JSON). */
  readonly passes: number | null;

  protected constructor(fields: TwoViewFields) {
    this.xWeights = fields.xWeights;
    this.yWeights = fields.yWeights;
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

  /** The scores of rows of X and Y (same rows, n × k each): (X − xMean) xWeightsᵀ and (Y − yMean) yWeightsᵀ. */
  transform(X: MatrixInput, Y: MatrixInput): {
    /** X's scores, n × k. */
    x: Float64Matrix;
    /** Y's scores, n × k. */
    y: Float64Matrix;
  } {
    const x = projectRows(X, 'X', this.xMean, this.xWeights, this.k);
    const y = projectRows(Y, 'Y', this.yMean, this.yWeights, this.k);
    if (x.rows !== y.rows) throw new RangeError(`X has ${x.rows} rows but Y has ${y.rows}: row i of X and row i of Y must be the same sample`);
    return { x, y };
  }

  protected viewsJSON(): TwoViewJSON {
    return {
      k: this.k, dx: this.dx, dy: this.dy, nSamples: this.nSamples, converged: this.converged,
      xWeights: plainNumbers(this.xWeights), yWeights: plainNumbers(this.yWeights), xMean: plainNumbers(this.xMean),
      yMean: plainNumbers(this.yMean),
    };
  }
}

/**
 * Both views' fields of a model's parsed JSON, checked: positive sizes, k ≤ min(dx, dy) (`pairs` names what there
 * are at most that many of), nSamples ≥ 2, finite weights and means of the right lengths.
 */
export function twoViewFields(model: Record<string, unknown>, pairs: string): TwoViewFields {
  const k = positiveInteger(model, 'k');
  const dx = positiveInteger(model, 'dx');
  const dy = positiveInteger(model, 'dy');
  if (k > Math.min(dx, dy)) throw new RangeError(`model.k = ${k} is larger than min(dx, dy) = ${Math.min(dx, dy)}: there are at most that many ${pairs}`);
  const nSamples = positiveInteger(model, 'nSamples');
  const converged = booleanField(model, 'converged');
  const fields: TwoViewFields = {
    k, dx, dy, nSamples, converged,
    xWeights: finiteNumbers(model, 'xWeights', k * dx),
    yWeights: finiteNumbers(model, 'yWeights', k * dy),
    xMean: finiteNumbers(model, 'xMean', dx),
    yMean: finiteNumbers(model, 'yMean', dy),
  };
  checkSamples(nSamples);
  return fields;
}
