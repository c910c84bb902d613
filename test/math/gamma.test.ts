// The host's float64 γ-EigenGame direction (src/math/gamma.ts, the generalized fits' finish) against the formula
// written term by term (test/helpers/reference.ts), on random players and on parents whose ⟨v, Bv⟩ is below the floor.

import { describe, it } from 'vitest';
import { gammaDirections64 } from '../../src/math/gamma';
import { expectClose } from '../helpers/expect-close';
import { normals } from '../helpers/random';
import { gammaDirection } from '../helpers/reference';

describe('gammaDirections64', () => {
  it.each([[1, 1], [3, 7], [5, 13], [8, 33]])('p = %i players of d = %i: the formula to float64 rounding', (p, d) => {
    const v = Float64Array.from(normals(p + d, p * d));
    const av = Float64Array.from(normals(p + d + 1, p * d, 3));
    const bv = Float64Array.from(normals(p + d + 2, p * d));
    // A parent with ⟨v, Bv⟩ ≈ 0: the floor, not the tiny value, divides.
    if (p > 2) bv.set(v.subarray(d, 2 * d).map((value) => value * 1e-9), d);
    const got = new Float64Array(p * d);
    gammaDirections64(v, av, bv, p, d, got);
    const expected = gammaDirection(v, av, bv, p, d);
    const scale = Float64Array.from(expected, (value) => Math.abs(value) + 1);
    // Sums of products of three or four values in another order. Measured: at most 2.1e-14 of |Δ| + 1 (p = 8,
    // d = 33); the bound is about 10× that.
    expectClose(got, expected, 2e-13, scale, `p=${p} d=${d}`);
  });
});
