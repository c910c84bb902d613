// The papers' two measures of how close found vectors V are to true ones U (both k × d, rows are vectors).

import { readMatrix, reportNonFinite, type MatrixInput, type MatrixReader } from '../io/matrix';
import { describe } from '../describe';
import { dot, orthonormalSubspaceDistance, orthonormalizeRows } from '../math/linalg';

function rowsAsFloat64(reader: MatrixReader): Float64Array {
  const out = new Float64Array(reader.rows * reader.cols);
  for (let r = 0; r < reader.rows; r++) out.set(reader.row(r), r * reader.cols);
  return out;
}

/** A matrix input whose every value is finite (a NaN would make every comparison false without a word). */
function readFinite(input: MatrixInput, name: string): MatrixReader {
  const reader = readMatrix(input, name);
  for (let r = 0; r < reader.rows; r++) {
    const row = reader.row(r);
    for (let c = 0; c < reader.cols; c++) if (!Number.isFinite(row[c])) reportNonFinite(row, name, r);
  }
  return reader;
}

function readPair(found: MatrixInput, truth: MatrixInput): [MatrixReader, MatrixReader] {
  const v = readFinite(found, 'V');
  const u = readFinite(truth, 'U');
  if (v.cols !== u.cols) throw new RangeError(`V has ${v.cols} columns but U has ${u.cols}`);
  return [v, u];
}

/**
 * How many of the first vectors, in order, lie within `angle` radians of their true counterparts, ignoring
 * sign: the count of leading i with |cos(v_i, u_i)| ≥ cos(angle). Default angle π/8, as in the papers.
 */
export function longestStreak(found: MatrixInput, truth: MatrixInput, angle = Math.PI / 8): number {
  if (typeof angle !== 'number' || !(angle >= 0 && angle <= Math.PI / 2)) {
    throw new RangeError(`angle must be a number of radians in [0, π/2], got ${describe(angle)}`);
  }
  const [v, u] = readPair(found, truth);
  const threshold = Math.cos(angle);
  const count = Math.min(v.rows, u.rows);
  for (let i = 0; i < count; i++) {
    const vi = v.row(i);
    const ui = u.row(i);
    const cosine = Math.abs(dot(vi, ui)) / Math.sqrt(dot(vi, vi) * dot(ui, ui));
    if (!(cosine >= threshold)) return i;
  }
  return count;
}

/**
 * Normalised subspace distance 1 − tr(P_U P_V) / k, where P_U and P_V project onto the spans of the rows: 0 for
 * the same subspace, 1 for orthogonal ones. The rows need not be orthonormal (they are orthonormalised first).
 */
export function subspaceDistance(found: MatrixInput, truth: MatrixInput): number {
  const [v, u] = readPair(found, truth);
  if (v.rows !== u.rows) throw new RangeError(`V has ${v.rows} rows but U has ${u.rows}: compare subspaces of one size`);
  const { rows: k, cols: d } = u;
  const qv = rowsAsFloat64(v);
  const qu = rowsAsFloat64(u);
  if (!orthonormalizeRows(qv, k, d)) throw new RangeError('the rows of V are linearly dependent');
  if (!orthonormalizeRows(qu, k, d)) throw new RangeError('the rows of U are linearly dependent');
  return orthonormalSubspaceDistance(qv, qu, k, d);
}
