// Which route an in-memory fit takes, by its cost: the covariance route pays one pass of n·d² (syrk, at the
// kernels' fastest) and rounds of 2·d²·p on C; the Gram route the same with n and d swapped, and a last n·d·k for
// the components; the data route 4·n·d·p per round, one pass over the rows each. The rounds are those measured on
// the bench's spectra (solve.ts); each kernel's speed relative to syrk's was measured side by side (npm run bench).
// A dense operator also needs 12 bytes per entry (float64 sums, float32 copy) within OPERATOR_BUDGET_BYTES.

import { playerCount } from './solve';

/** The routes of an in-memory fit (routes.ts). */
export type Solver = 'covariance' | 'gram' | 'data';

/** The routes of a sparse matrix's fit (sparse.ts). */
export type SparseSolver = 'sparse-covariance' | 'sparse-data' | 'sparse-gram';

/** The most bytes a dense operator (the covariance or the Gram matrix) may take: about 9400² entries. */
export const OPERATOR_BUDGET_BYTES = 1 << 30;
/**
 * Rounds the players take on a dense operator, and passes on the data (its rounds and the two passes before them),
 * in the bench's slower cases: measured 4 to 16 rounds on every set of `npm run bench` (MNIST 12, power law with
 * k = 64 14, slowly falling variances 14, 4000 × 4096 with k = 32 15). With 40 and 30 (estimates made before the
 * players had momentum) pca took the Gram route on 2000 × 20000, k = 10, at 3.8 s where the data route took 2.3 s.
 */
const DENSE_ROUNDS = 16;
const DATA_PASSES = 16;
/** Time per flop of each kernel relative to syrk's (bench: syrk ≈ 40, projections ≈ 26 GFlop/s on one thread). */
const PROJECT_COST = 1.5;
const DATA_TERM_COST = 1.6;

const operatorFits = (m: number) => 12 * m * m <= OPERATOR_BUDGET_BYTES;

/** The estimated cost of each route for n × d data and k components (Infinity where its operator does not fit). */
export function routeCosts(n: number, d: number, k: number): Record<Solver, number> {
  const p = playerCount(k, d);
  const q = playerCount(k, n);
  return {
    covariance: operatorFits(d) ? n * d * d + DENSE_ROUNDS * 2 * d * d * p * PROJECT_COST : Infinity,
    gram: operatorFits(n) ? d * n * n + DENSE_ROUNDS * 2 * n * n * q * PROJECT_COST + n * d * k * PROJECT_COST : Infinity,
    data: DATA_PASSES * 4 * n * d * p * DATA_TERM_COST,
  };
}

/** The cheapest route, or the one asked for (refused if its operator would not fit). */
export function chooseSolver(n: number, d: number, k: number, asked: Solver | 'auto'): Solver {
  const costs = routeCosts(n, d, k);
  if (asked !== 'auto') {
    if (costs[asked] === Infinity) {
      const m = asked === 'covariance' ? d : n;
      throw new RangeError(
        `solver '${asked}' needs a ${m} × ${m} matrix of ${12 * m * m} bytes, more than ${OPERATOR_BUDGET_BYTES}: use solver 'data' or 'auto'`,
      );
    }
    return asked;
  }
  return (Object.keys(costs) as Solver[]).reduce((best, route) => (costs[route] < costs[best] ? route : best));
}

/**
 * Time per multiply-add of the sparse kernels relative to syrk's flop: the covariance pass adds each product to a
 * scattered element of a d × d float64 matrix (no SIMD, a cache miss per row of products); the data route's products
 * are SIMD over the players but gather a dense row per stored entry.
 */
const SPARSE_OUTER_COST = 8;
const SPARSE_TIMES_COST = 3;
/**
 * Time per p²·m of the players' own work in a round on products (m values each: the play update and the checks'
 * H = V Gᵀ and residuals, several passes of p² per value, on one device), relative to syrk's flop. Measured side by
 * side (bench --only=sparse): a round of the 20000 × 60000 TF-IDF (p = 75) took 320 ms with players of 60000 values
 * and 100 ms with players of 20000 (the same products), about 1 ns per p²·m; a round of the single-cell set's data
 * route (4000 genes: the products, 660 M multiply-adds, most of it) 71 ms, about 0.075 ns per multiply-add there.
 */
const PLAYERS_COST = 40;

/**
 * The estimated cost of each sparse route (Infinity where the d × d operator does not fit): the covariance pass's
 * Σ nnz(row)²/2 products once, then rounds of 2·d²·p on the dense operator; the data route's rounds of two sparse
 * × dense products, 2·nnz·p each, and the players' p²·d; the Gram route's the same products and p²·n (its players
 * are the rows' length), and two more rounds of products at the end (the components and their residuals).
 */
export function sparseCosts(matrix: { rows: number; cols: number; nnz: number; outerProducts(): number }, k: number): Record<SparseSolver, number> {
  const { rows: n, cols: d, nnz } = matrix;
  const padded = Math.ceil(d / 8) * 8;
  const p = playerCount(k, d);
  const q = playerCount(k, n);
  return {
    'sparse-covariance': operatorFits(padded)
      ? matrix.outerProducts() * SPARSE_OUTER_COST + DENSE_ROUNDS * 2 * padded * padded * p * PROJECT_COST
      : Infinity,
    'sparse-data': DATA_PASSES * (2 * 2 * nnz * p * SPARSE_TIMES_COST + p * p * d * PLAYERS_COST),
    'sparse-gram': DATA_PASSES * q * q * n * PLAYERS_COST + (DATA_PASSES + 2) * 2 * 2 * nnz * q * SPARSE_TIMES_COST,
  };
}
