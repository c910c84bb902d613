// optax.adam(learning_rate, b1, b2, eps, eps_root) applied to the loss gradient g = −Δ, then apply_updates.
//
// optax:  m ← (1−b1)·g + b1·m;  v ← (1−b2)·g² + b2·v;  m̂ = m / (1 − b1^t);  v̂ = v / (1 − b2^t);
//         u = m̂ / (sqrt(v̂ + eps_root) + eps);  params ← params + (−lr)·u.
// The kernel keeps m' = −m (exact), so it works on Δ directly and adds lr·u'. The bias corrections 1 − b^t are
// computed by the caller, who owns the step count.

import { at32 } from './simd';

@inline function adamUpdate(
  delta: f32, firstMoment: usize, secondMoment: usize, i: i32,
  b1: f32, b2: f32, eps: f32, epsRoot: f32, correction1: f32, correction2: f32,
): f32 {
  const m: f32 = (1 - b1) * delta + b1 * load<f32>(at32(firstMoment, i));
  const v: f32 = (1 - b2) * (delta * delta) + b2 * load<f32>(at32(secondMoment, i));
  store<f32>(at32(firstMoment, i), m);
  store<f32>(at32(secondMoment, i), v);
  return (m / correction1) / (Mathf.sqrt(v / correction2 + epsRoot) + eps);
}

/** Updates n parameters in place, with first and second moment buffers of n floats each. */
export function adam(
  params: usize, delta: usize, firstMoment: usize, secondMoment: usize, n: i32,
  learningRate: f32, b1: f32, b2: f32, eps: f32, epsRoot: f32, correction1: f32, correction2: f32,
): void {
  const n4 = n & ~3;
  const lr = f32x4.splat(learningRate);
  const oneMinusB1 = f32x4.splat(1 - b1), oneMinusB2 = f32x4.splat(1 - b2);
  const b1x4 = f32x4.splat(b1), b2x4 = f32x4.splat(b2);
  const c1 = f32x4.splat(correction1), c2 = f32x4.splat(correction2);
  const epsX4 = f32x4.splat(eps), epsRootX4 = f32x4.splat(epsRoot);
  for (let i = 0; i < n4; i += 4) {
    const offset = <usize>i << 2;
    const step = v128.load(delta + offset);
    const m = f32x4.add(f32x4.mul(oneMinusB1, step), f32x4.mul(b1x4, v128.load(firstMoment + offset)));
    const v = f32x4.add(f32x4.mul(oneMinusB2, f32x4.mul(step, step)), f32x4.mul(b2x4, v128.load(secondMoment + offset)));
    v128.store(firstMoment + offset, m);
    v128.store(secondMoment + offset, v);
    const update = f32x4.div(f32x4.div(m, c1), f32x4.add(f32x4.sqrt(f32x4.add(f32x4.div(v, c2), epsRootX4)), epsX4));
    v128.store(params + offset, f32x4.add(v128.load(params + offset), f32x4.mul(lr, update)));
  }
  for (let i = n4; i < n; i++) {
    const update = adamUpdate(load<f32>(at32(delta, i)), firstMoment, secondMoment, i, b1, b2, eps, epsRoot, correction1, correction2);
    store<f32>(at32(params, i), load<f32>(at32(params, i)) + learningRate * update);
  }
}
