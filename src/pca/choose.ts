// Which route an in-memory fit takes, by its cost: the covariance route pays one pass of n·d² (syrk, at the
// kernels' fastest) and rounds of 2·d²·p on C; the Gram route the same with n and d swapped, and a last n·d·k for
// the components; the data route 4·n·d·p per round, one pass over the rows each. The rounds are those measured on
// the bench's spectra (solve.ts); each kernel's speed relative to syrk's was measured side by side (npm run bench).
// A dense operator also needs 12 bytes per entry (float64 sums, float32 copy) within OPERATOR_BUDGET_BYTES.

import { playerCount } from './solve';

/** The routes of an in-memory fit (routes.ts). */
export type Solver = 'covariance' | 'gram' | 'data';

/** The most bytes a dense operator (the covariance or the Gram matrix) may take: about 9400² entries. */
export const OPERATOR_BUDGET_BYTES = 1 << 30;
/** Rounds the players take on a dense operator, and passes on the data, in the bench's slower cases. */
const DENSE_ROUNDS = 40;
const DATA_PASSES = 30;
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
