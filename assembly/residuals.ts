// The residuals of Ritz pairs, for pca's convergence check: with the players V (p × d), their images G = V A and
// the eigenvectors W of H = V A Vᵀ, Ritz vector i is y_i = Σ_j W_ij v_j with A y_i = Σ_j W_ij g_j, and its residual
// is ‖A y_i − θ_i y_i‖. Both combinations are summed in float64, so the residual is not lost to rounding before
// it is small.

import { at32, at64, row32 } from './simd';

/**
 * out[i] = ‖Σ_j W_ij g_j − θ_i Σ_j W_ij v_j‖² for i < m. W is m × p (row-major float64), θ m float64; `acc` is
 * scratch for 2d float64 values.
 */
export function ritzResiduals(w: usize, theta: usize, m: i32, p: i32, v: usize, g: usize, d: i32, out: usize, acc: usize): void {
  const image = acc, vector = acc + (<usize>d << 3);
  for (let i = 0; i < m; i++) {
    memory.fill(acc, 0, <usize>d << 4);
    for (let j = 0; j < p; j++) {
      const weight = load<f64>(at64(w, i * p + j));
      const weights = f64x2.splat(weight);
      const gRow = row32(g, j, d), vRow = row32(v, j, d);
      // Two columns per lane pair: each element gets the same multiply and add as in the tail loop.
      const d2 = d & ~1;
      for (let c = 0; c < d2; c += 2) {
        const at = at64(image, c), vat = at64(vector, c);
        v128.store(at, f64x2.add(v128.load(at), f64x2.mul(weights, f64x2.promote_low_f32x4(v128.load64_zero(at32(gRow, c))))));
        v128.store(vat, f64x2.add(v128.load(vat), f64x2.mul(weights, f64x2.promote_low_f32x4(v128.load64_zero(at32(vRow, c))))));
      }
      for (let c = d2; c < d; c++) {
        store<f64>(at64(image, c), load<f64>(at64(image, c)) + weight * <f64>load<f32>(at32(gRow, c)));
        store<f64>(at64(vector, c), load<f64>(at64(vector, c)) + weight * <f64>load<f32>(at32(vRow, c)));
      }
    }
    const value = load<f64>(at64(theta, i));
    let squares = 0.0;
    for (let c = 0; c < d; c++) {
      const r = load<f64>(at64(image, c)) - value * load<f64>(at64(vector, c));
      squares += r * r;
    }
    store<f64>(at64(out, i), squares);
  }
}
