// What the three models share: reading and checking JSON fields (each named, with the index of a bad value), and
// projecting rows onto weights.

import { describe } from '../describe';
import { readMatrix, reportNonFinite, type MatrixInput } from '../io/matrix';
import type { Float64Matrix } from '../pca/model';

/** A model's JSON, parsed and checked to be of `format`, version 1. */
export function modelObject(json: unknown, format: string, className: string): Record<string, unknown> {
  const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== format) {
    throw new TypeError(`${className}.fromJSON needs the output of ${className}.prototype.toJSON()`);
  }
  const model = value as Record<string, unknown>;
  if (model.version !== 1) throw new RangeError(`unsupported ${className} version ${describe(model.version)} (this version reads 1)`);
  return model;
}

export function positiveInteger(model: Record<string, unknown>, field: string): number {
  const n = model[field];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`model.${field} must be a positive integer, got ${describe(n)}`);
  }
  return n;
}

export function finiteNumbers(model: Record<string, unknown>, field: string, length: number): Float64Array {
  const list = model[field];
  if (!Array.isArray(list) || list.length !== length) {
    throw new RangeError(`model.${field} must be an array of ${length} numbers`);
  }
  const bad = list.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) {
    throw new RangeError(`model.${field} has a value that is not a finite number at index ${bad}: ${describe(list[bad])}`);
  }
  return Float64Array.from(list as number[]);
}

export function booleanField(model: Record<string, unknown>, field: string): boolean {
  const value = model[field];
  if (typeof value !== 'boolean') throw new TypeError(`model.${field} must be a boolean, got ${describe(value)}`);
  return value;
}

export function nonNegativeNumber(model: Record<string, unknown>, field: string): number {
  const value = model[field];
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`model.${field} must be a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless every value of `values` (model.field) is within [low, high]. */
export function checkRange(values: Float64Array, field: string, low: number, high: number, what: string): void {
  values.forEach((value, i) => {
    if (!(value >= low && value <= high)) throw new RangeError(`model.${field}[${i}] is ${value}: ${what}`);
  });
}

/** Throws if nSamples is below 2. */
export function checkSamples(nSamples: number): void {
  if (nSamples < 2) throw new RangeError(`model.nSamples must be at least 2 (a covariance needs two rows), got ${nSamples}`);
}

/**
 * (X − mean) Wᵀ in float64 for the rows of X (n × d; W is k × d): the scores of rows on weights. `name` is the input's
 * for errors.
 */
export function projectRows(X: MatrixInput, name: string, mean: Float64Array, weights: Float64Array, k: number): Float64Matrix {
  const reader = readMatrix(X, name);
  const d = mean.length;
  if (reader.cols !== d) throw new RangeError(`${name} has ${reader.cols} columns, but the model was fitted to ${d}`);
  const out = new Float64Array(reader.rows * k);
  const centred = new Float64Array(d);
  for (let r = 0; r < reader.rows; r++) {
    const row = reader.row(r);
    for (let c = 0; c < d; c++) {
      const value = row[c];
      if (!Number.isFinite(value)) reportNonFinite(row, name, r);
      centred[c] = value - mean[c];
    }
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let c = 0; c < d; c++) sum += centred[c] * weights[j * d + c];
      out[r * k + j] = sum;
    }
  }
  return { data: out, rows: reader.rows, cols: k };
}
