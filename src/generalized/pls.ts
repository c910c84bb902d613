// Partial least squares in its SVD form (scikit-learn's PLSSVD with scale=False) by γ-EigenGame: the top singular
// vectors of the cross-covariance Cxy = XᵀY/(n − 1), as the top eigenvectors of the symmetric A = [[0, Cxy],
// [Cyx, 0]] with B = I (two-views.ts). Its eigenvalues are ±σᵢ, and the eigenvector of σᵢ is [uᵢ; wᵢ]/√2. Why this
// and not Cxy·Cyx (dx × dx): the same joint covariance, players, kernels and float64 finish as CCA, one product
// per round instead of two chained ones, and the eigenvalues are the σᵢ themselves: Cxy·Cyx squares them, so a
// σ_k of 1e-3 σ₁ would sit at float32's rounding of the float32 game's products (1e-6 of the largest).

import { cancellable } from '../devices/engine';
import type { Moments } from '../pca/moments';
import { fitBackend, resolveGeneralized, warnNotConverged, type GeneralizedOptions } from './options';
import { PLSModel } from './pls-model';
import { flipPair, solveTwoViews } from './two-views';
import { closeSources, isInput, twoViews, type ViewColumns, type ViewInput, type JointPass } from './views';

/** pls's options: those of every generalized fit, and the columns of one input that are X and Y. */
export type PLSOptions = GeneralizedOptions & ViewColumns;

/**
 * The top k singular vectors and values of the cross-covariance of X (n × dx) and Y (n × dy): two matrices in
 * memory, two sources read in lock step, or one input whose columns `options.x` and `options.y` name.
 */
export function pls(X: ViewInput, Y: ViewInput, options: PLSOptions): Promise<PLSModel>;
export function pls(data: ViewInput | Moments, options: PLSOptions): Promise<PLSModel>;
export async function pls(first: ViewInput | Moments, second: ViewInput | PLSOptions, third?: PLSOptions): Promise<PLSModel> {
  const [Y, options] = isInput(second) ? [second as ViewInput, third as PLSOptions] : [first, second as PLSOptions];
  try {
    const settings = resolveGeneralized('pls', options);
    return await cancellable(settings.signal, async () => {
      settings.signal?.throwIfAborted();
      const views = twoViews(first, Y, isInput(second) ? null : options);
      const problem = { method: 'pls', factored: false, blocks: () => [], checkRows() {}, valueScale: (pass: JointPass) => pass.sx * pass.sy };
      return solveTwoViews(views, problem, settings, ({ pass, solution, dx, dy, engine }) => {
        const scale = pass.sx * pass.sy;
        if (!solution.converged) warnNotConverged(settings, solution);
        const { k } = settings;
        const m = dx + dy;
        const xWeights = new Float64Array(k * dx);
        const yWeights = new Float64Array(k * dy);
        for (let i = 0; i < k; i++) {
          const vector = solution.vectors.subarray(i * m, (i + 1) * m);
          const u = unit(vector.slice(0, dx));
          const w = unit(vector.slice(dx, m));
          flipPair(u, w);
          xWeights.set(u, i * dx);
          yWeights.set(w, i * dy);
        }
        return new PLSModel({
          xWeights, yWeights, singularValues: solution.values.map((value) => Math.max(0, value) / scale), xMean: pass.meanX,
          yMean: pass.meanY, k, dx, dy, nSamples: pass.n, converged: solution.converged, backend: fitBackend(engine.backend),
          rounds: solution.rounds, passes: pass.passes,
        });
      });
    });
  } finally {
    await closeSources(first, second);
  }
}

function unit(vector: Float64Array): Float64Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares);
  return norm > 0 ? vector.map((value) => value / norm) : vector;
}
