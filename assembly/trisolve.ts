// Solves with a Cholesky factor in float32: x ← (L Lᵀ)⁻¹ x for rows of vectors, the γ-EigenGame players'
// preconditioned directions B⁻¹Δ. The factor is stored once with L in the lower triangle and Lᵀ in the upper
// (row-major), so both substitutions read contiguous rows: forward, xᵢ = (xᵢ − Σ_{j<i} Lᵢⱼxⱼ)/Lᵢᵢ; backward,
// xᵢ = (xᵢ − Σ_{j>i} Lⱼᵢxⱼ)/Lᵢᵢ. Each sum runs four lanes through `madd`, folded by `hsum`, then the tail in order.

import { at32, hsum, madd, row32 } from './simd';

/** Σ_{c < n} a[c] · b[c] in float32. */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const n4 = n & ~3;
  for (let c = 0; c < n4; c += 4) {
    const offset = <usize>c << 2;
    acc = madd(v128.load(a + offset), v128.load(b + offset), acc);
  }
  let sum = hsum(acc);
  for (let c = n4; c < n; c++) sum += load<f32>(at32(a, c)) * load<f32>(at32(b, c));
  return sum;
}

/**
 * Solves L Lᵀ y = x in place for `count` vectors (rows of `x`, stride `ldx`, n values each), with the factor at `l`
 * (n × n, row stride `ld`): L's lower triangle and diagonal, Lᵀ's strict upper triangle.
 */
export function choleskySolve(l: usize, n: i32, ld: i32, x: usize, count: i32, ldx: i32): void {
  for (let v = 0; v < count; v++) {
    const xv = row32(x, v, ldx);
    for (let i = 0; i < n; i++) {
      const rowI = row32(l, i, ld);
      store<f32>(at32(xv, i), (load<f32>(at32(xv, i)) - dot(rowI, xv, i)) / load<f32>(at32(rowI, i)));
    }
    for (let i = n - 1; i >= 0; i--) {
      const rowI = row32(l, i, ld);
      const tail = n - i - 1;
      store<f32>(at32(xv, i), (load<f32>(at32(xv, i)) - dot(at32(rowI, i + 1), at32(xv, i + 1), tail)) / load<f32>(at32(rowI, i)));
    }
  }
}
