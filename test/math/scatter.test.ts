// addScatter (the pencils' float64 pass) against the definition, summed plainly, on odd sizes and row ranges of C
// that start on odd rows; and the same bits however C's rows are split into ranges.

import { describe, expect, it } from 'vitest';
import { addScatter } from '../../src/math/scatter';
import { Rng } from '../../src/math/rng';

function block(rows: number, d: number, seed: number): { x: Float64Array; mean: Float64Array } {
  const rng = Rng.fromSeed(seed);
  const x = Float64Array.from({ length: rows * d }, (_, i) => rng.nextNormal() * 10 ** ((i % d) % 5) + 1e6);
  const mean = Float64Array.from({ length: d }, (_, c) => 1e6 + c);
  return { x, mean };
}

/** The definition: C[i][j] = Σ_r (x_ri − m_i)(x_rj − m_j), the upper triangle, row stride ld. */
function plain(x: Float64Array, rows: number, d: number, mean: Float64Array, ld: number): Float64Array {
  const c = new Float64Array(d * ld);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]);
      c[i * ld + j] = sum;
    }
  }
  return c;
}

describe('addScatter', () => {
  it.each([[1, 1], [2, 3], [7, 5], [33, 9], [256, 17], [255, 64]])('rows=%i d=%i: the definition to rounding, upper triangle only', (rows, d) => {
    const { x, mean } = block(rows, d, rows * 100 + d);
    const ld = d + 3;
    const c = new Float64Array(d * ld);
    addScatter(x, rows, d, mean, c, ld, new Float64Array(rows * d), [0, d], false);
    const expected = plain(x, rows, d, mean, ld);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < ld; j++) {
        const at = i * ld + j;
        if (j < i || j >= d) expect(c[at], `(${i}, ${j}) outside the upper triangle`).toBe(0);
        else expect(Math.abs(c[at] - expected[at])).toBeLessThanOrEqual(1e-12 * Math.sqrt(expected[i * ld + i] * expected[j * ld + j]));
      }
    }
  });

  it('gives the same bits whatever ranges of C\'s rows it is called for (odd starts included), and adds to C', () => {
    const rows = 77;
    const d = 23;
    const { x, mean } = block(rows, d, 5);
    const whole = new Float64Array(d * d).fill(0.5);
    addScatter(x, rows, d, mean, whole, d, new Float64Array(rows * d), [0, d], false);
    const split = new Float64Array(d * d).fill(0.5);
    const columns = new Float64Array(rows * d);
    const cuts = [0, 1, 4, 11, 12, 23];
    cuts.slice(1).forEach((end, s) => addScatter(x, rows, d, mean, split, d, columns, [cuts[s], end], s > 0));
    expect(Array.from(split)).toEqual(Array.from(whole));
    expect(whole[d]).toBe(0.5);
  });
});
