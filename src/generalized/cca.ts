// Canonical correlation analysis by γ-EigenGame: the directions a of X and b of Y whose variates Xa and Yb are most
// correlated, then the next pair uncorrelated with the first, and so on. They are the top generalized eigenvectors
// of A v = ρ B v with A = [[0, Cxy], [Cyx, 0]] and B = blockdiag(Cxx + εI, Cyy + εI) (two-views.ts).

import { cancellable } from '../devices/engine';
import type { Moments } from '../pca/moments';
import { CCAModel } from './cca-model';
import { RESULT_ROUNDING, fitBackend, impossibleResult, regularizationOf, resolveGeneralized, warnNotConverged, type GeneralizedOptions, type GeneralizedSettings } from './options';
import type { FactorBlock } from './pencil';
import { blockForm, flipPair, solveTwoViews, type TwoViewProblem } from './two-views';
import { closeSources, isInput, twoViews, type ViewColumns, type ViewInput, type ColumnsOf, type TwoViews } from './views';

/** cca's options: those of every generalized fit, the columns of one input that are X and Y, and regularization. */
export interface CCAOptions extends GeneralizedOptions, ViewColumns {
  /**
   * ε added to both within-view covariances (Cxx + εI, Cyy + εI), in each view's squared units (default 0). Needed
   * when a view's columns are (nearly) dependent, or when dx or dy approaches the number of rows.
   */
  regularization?: number;
}

/**
 * The top k pairs of canonical directions of X (n × dx) and Y (n × dy), row i of each being the same sample: two
 * matrices in memory, two sources read in lock step, or one input whose columns `options.x` and `options.y` name.
 */
export function cca(X: ViewInput, Y: ViewInput, options: CCAOptions): Promise<CCAModel>;
export function cca(data: ViewInput | Moments, options: CCAOptions): Promise<CCAModel>;
export async function cca(first: ViewInput | Moments, second: ViewInput | CCAOptions, third?: CCAOptions): Promise<CCAModel> {
  const [Y, options] = isInput(second) ? [second as ViewInput, third as CCAOptions] : [first, second as CCAOptions];
  try {
    const settings = resolveGeneralized('cca', options);
    const regularization = regularizationOf(options);
    return await cancellable(settings.signal, async () => {
      settings.signal?.throwIfAborted();
      const views = twoViews(first, Y, isInput(second) ? null : options);
      return fitCCA(views, settings, regularization);
    });
  } finally {
    await closeSources(first, second);
  }
}

function fitCCA(views: TwoViews, settings: GeneralizedSettings, regularization: number): Promise<CCAModel> {
  const problem: TwoViewProblem = {
    method: 'cca',
    factored: true,
    blocks: (pass, dx, dy) => [
      viewBlock(views.x, [0, dx], regularization * pass.sx * pass.sx),
      viewBlock(views.y, [dx, dx + dy], regularization * pass.sy * pass.sy),
    ],
    checkRows(pass, dx, dy) {
      if (regularization > 0) return;
      for (const [view, width] of [[views.x, dx], [views.y, dy]] as const) {
        const rank = settings.center ? pass.n - 1 : pass.n;
        if (width > rank) {
          throw new RangeError(
            `${view.name} has ${width} columns and ${pass.n} rows: its covariance has rank at most ${rank}, so it is singular; `
              + 'pass regularization (e.g. { regularization: 1e-3 }, in its squared units) or use fewer columns',
          );
        }
      }
    },
  };
  return solveTwoViews(views, problem, settings, ({ pass, solution, dx, dy, sums, d, engine }) => {
    if (!solution.converged) warnNotConverged(settings, solution);
    const { k } = settings;
    const m = dx + dy;
    const divisor = pass.n - 1;
    const xWeights = new Float64Array(k * dx);
    const yWeights = new Float64Array(k * dy);
    const correlations = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const vector = solution.vectors.subarray(i * m, (i + 1) * m);
      const a = unitVariance(vector.slice(0, dx), sums, d, divisor, [0, dx]);
      const b = unitVariance(vector.slice(dx, m), sums, d, divisor, [dx, m]);
      const correlation = Math.abs(blockForm(sums, d, divisor, a, [0, dx], b, [dx, m]));
      if (!(correlation <= 1 + RESULT_ROUNDING)) throw impossibleResult('cca', `a canonical correlation of ${correlation} (pair ${i})`, pass.passes === 0);
      correlations[i] = Math.min(1, correlation);
      if (blockForm(sums, d, divisor, a, [0, dx], b, [dx, m]) < 0) for (let c = 0; c < dy; c++) b[c] = -b[c];
      flipPair(a, b);
      for (let c = 0; c < dx; c++) xWeights[i * dx + c] = a[c] * pass.sx;
      for (let c = 0; c < dy; c++) yWeights[i * dy + c] = b[c] * pass.sy;
    }
    return new CCAModel({
      xWeights, yWeights, correlations, xMean: pass.meanX, yMean: pass.meanY, k, dx, dy, nSamples: pass.n, regularization,
      converged: solution.converged, backend: fitBackend(engine.backend), rounds: solution.rounds, passes: pass.passes,
    });
  });
}

/** A view's weights scaled so that its variate has unit variance (under the view's own covariance, not regularized). */
function unitVariance(weights: Float64Array, sums: Float64Array, d: number, divisor: number, range: [number, number]): Float64Array {
  const variance = blockForm(sums, d, divisor, weights, range, weights, range);
  const scale = variance > 0 ? 1 / Math.sqrt(variance) : 0;
  return weights.map((value) => value * scale);
}

/** A view's diagonal block of B, with its ridge, and the error that names its column when it is singular. */
function viewBlock(view: ColumnsOf<unknown>, range: [number, number], ridge: number): FactorBlock {
  return {
    range, ridge,
    singular(column, constant) {
      const label = columnLabel(view, column);
      return new RangeError(constant
        ? `${view.name}'s ${label} is constant, so ${view.name}'s covariance is singular: pass regularization (e.g. { regularization: 1e-3 }, in its squared units) or drop the column`
        : `${view.name}'s covariance is singular: its ${label} is (almost) a linear combination of the columns before it; pass regularization (e.g. { regularization: 1e-3 }, in its squared units) or drop the column`);
    },
  };
}

/** How a message names column `column` of a view: its index in the view, and where it comes from. */
export function columnLabel(view: ColumnsOf<unknown>, column: number): string {
  if (!view.columns) return `column ${column}`;
  const source = view.list?.[column];
  return typeof source === 'string' ? `column ${JSON.stringify(source)}` : `column ${column} (column ${view.columns[column]} of the input)`;
}

