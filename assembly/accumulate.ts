// Reductions of partial sums: block partials are added in block order (so the total does not depend on who
// computed which block), and the 'mean' reduction divides by the minibatch size.

import { at32, at64 } from './simd';

/** dst[i] += src[i] for n floats. */
export function addF32(dst: usize, src: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const offset = <usize>i << 2;
    v128.store(dst + offset, f32x4.add(v128.load(dst + offset), v128.load(src + offset)));
  }
  for (let i = n4; i < n; i++) store<f32>(at32(dst, i), load<f32>(at32(dst, i)) + load<f32>(at32(src, i)));
}

/** dst[i] += src[i] for n doubles. */
export function addF64(dst: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(at64(dst, i), load<f64>(at64(dst, i)) + load<f64>(at64(src, i)));
}

/** x[i] /= divisor for n floats (a true division, not a multiply by the reciprocal). */
export function divideF32(x: usize, n: i32, divisor: f32): void {
  const n4 = n & ~3;
  const by = f32x4.splat(divisor);
  for (let i = 0; i < n4; i += 4) {
    const offset = <usize>i << 2;
    v128.store(x + offset, f32x4.div(v128.load(x + offset), by));
  }
  for (let i = n4; i < n; i++) store<f32>(at32(x, i), load<f32>(at32(x, i)) / divisor);
}

/** x[i] /= divisor for n doubles. */
export function divideF64(x: usize, n: i32, divisor: f64): void {
  for (let i = 0; i < n; i++) store<f64>(at64(x, i), load<f64>(at64(x, i)) / divisor);
}
