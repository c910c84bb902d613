// The squared residuals of Ritz pairs over a range of columns, for pca's convergence checks: with the players V
// (p × d), their images G = V A and the eigenvectors W of H = V A Vᵀ, Ritz vector i is y_i = Σ_j W_ij v_j with
// A y_i = Σ_j W_ij g_j, and its residual is ‖A y_i − θ_i y_i‖. Both combinations are summed in float64, so the
// residual is not lost to rounding before it is small. Each device sums its column chunks; device 0 adds the
// chunks' sums in chunk order (src/devices/players.ts).

import { widenRows } from './directions';
import { at64, row64 } from './simd';

/**
 * out[i] (i < m) = Σ over columns [first, first + count) of (Σ_j W_ij g_j[c] − θ_i Σ_j W_ij v_j[c])², W m × p
 * (row-major float64), θ m float64, V and G p rows `stride` floats apart. Per column pair, four pairs at a time:
 * both combinations summed over j in order (a multiply and an add), the residual's square added to that pair's
 * lanes; each block of `width` columns folds its lanes (lane 0 + lane 1, then its last column when odd) into out.
 * `block`: 2p × width float64.
 */
export function ritzResidualSums(
  w: usize, theta: usize, m: i32, p: i32, v: usize, g: usize, stride: i32, first: i32, count: i32, block: usize, width: i32, out: usize,
): void {
  for (let i = 0; i < m; i++) store<f64>(at64(out, i), 0);
  const images = row64(block, p, width);
  const end = first + count;
  for (let start = first; start < end; start += width) {
    const columns = min(width, end - start);
    const pairs = columns & ~1;
    widenRows(v, p, stride, start, columns, block, width);
    widenRows(g, p, stride, start, columns, images, width);
    for (let i0 = 0; i0 < m; i0 += 4) {
      const rows = min(4, m - i0);
      // Past the last row the lanes repeat it (their sums are not stored): the loop stays four rows wide.
      const w0 = row64(w, i0, p), w1 = row64(w, min(i0 + 1, m - 1), p), w2 = row64(w, min(i0 + 2, m - 1), p), w3 = row64(w, min(i0 + 3, m - 1), p);
      const t0 = f64x2.splat(load<f64>(at64(theta, i0))), t1 = f64x2.splat(load<f64>(at64(theta, min(i0 + 1, m - 1))));
      const t2 = f64x2.splat(load<f64>(at64(theta, min(i0 + 2, m - 1)))), t3 = f64x2.splat(load<f64>(at64(theta, min(i0 + 3, m - 1))));
      let q0 = f64x2.splat(0), q1 = f64x2.splat(0), q2 = f64x2.splat(0), q3 = f64x2.splat(0);
      for (let c = 0; c < pairs; c += 2) {
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
        for (let j = 0; j < p; j++) {
          const image = v128.load(at64(row64(images, j, width), c)), vector = v128.load(at64(row64(block, j, width), c));
          const x0 = f64x2.splat(load<f64>(at64(w0, j))), x1 = f64x2.splat(load<f64>(at64(w1, j)));
          const x2 = f64x2.splat(load<f64>(at64(w2, j))), x3 = f64x2.splat(load<f64>(at64(w3, j)));
          a0 = f64x2.add(a0, f64x2.mul(x0, image));
          b0 = f64x2.add(b0, f64x2.mul(x0, vector));
          a1 = f64x2.add(a1, f64x2.mul(x1, image));
          b1 = f64x2.add(b1, f64x2.mul(x1, vector));
          a2 = f64x2.add(a2, f64x2.mul(x2, image));
          b2 = f64x2.add(b2, f64x2.mul(x2, vector));
          a3 = f64x2.add(a3, f64x2.mul(x3, image));
          b3 = f64x2.add(b3, f64x2.mul(x3, vector));
        }
        const r0 = f64x2.sub(a0, f64x2.mul(t0, b0)), r1 = f64x2.sub(a1, f64x2.mul(t1, b1));
        const r2 = f64x2.sub(a2, f64x2.mul(t2, b2)), r3 = f64x2.sub(a3, f64x2.mul(t3, b3));
        q0 = f64x2.add(q0, f64x2.mul(r0, r0));
        q1 = f64x2.add(q1, f64x2.mul(r1, r1));
        q2 = f64x2.add(q2, f64x2.mul(r2, r2));
        q3 = f64x2.add(q3, f64x2.mul(r3, r3));
      }
      addFolded(out, i0, q0, pairs < columns ? lastSquare(w0, theta, i0, p, images, block, width, pairs) : 0);
      if (rows > 1) addFolded(out, i0 + 1, q1, pairs < columns ? lastSquare(w1, theta, i0 + 1, p, images, block, width, pairs) : 0);
      if (rows > 2) addFolded(out, i0 + 2, q2, pairs < columns ? lastSquare(w2, theta, i0 + 2, p, images, block, width, pairs) : 0);
      if (rows > 3) addFolded(out, i0 + 3, q3, pairs < columns ? lastSquare(w3, theta, i0 + 3, p, images, block, width, pairs) : 0);
    }
  }
}

/** out[i] += (lane 0 + lane 1 of q) + last. */
@inline function addFolded(out: usize, i: i32, q: v128, last: f64): void {
  store<f64>(at64(out, i), load<f64>(at64(out, i)) + ((f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1)) + last));
}

/** The squared residual of row i at column c alone (the odd column of a block). */
@inline function lastSquare(wRow: usize, theta: usize, i: i32, p: i32, images: usize, vectors: usize, width: i32, c: i32): f64 {
  let image = 0.0, vector = 0.0;
  for (let j = 0; j < p; j++) {
    const weight = load<f64>(at64(wRow, j));
    image += weight * load<f64>(at64(row64(images, j, width), c));
    vector += weight * load<f64>(at64(row64(vectors, j, width), c));
  }
  const r = image - load<f64>(at64(theta, i)) * vector;
  return r * r;
}
