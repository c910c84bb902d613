// optax.sgd(learning_rate, momentum, nesterov) applied to the loss gradient g = −Δ, then optax.apply_updates.
//
// optax:  trace ← g + μ·trace;  u ← g + μ·trace (Nesterov) or trace;  params ← params + (−lr)·u.
// Here the kernel is handed the ascent direction Δ and keeps trace' = −trace. Negation is exact in IEEE
// arithmetic, so  trace' ← Δ + μ·trace',  u' ← Δ + μ·trace',  params ← params + lr·u'  gives optax's bits.

import { at32 } from './simd';

/**
 * Updates n parameters in place. `trace` = 0 means no momentum (optax's momentum=None): params += lr·Δ.
 */
export function sgd(params: usize, delta: usize, trace: usize, n: i32, learningRate: f32, momentum: f32, nesterov: bool): void {
  const n4 = n & ~3;
  const lr = f32x4.splat(learningRate);
  if (trace == 0) {
    for (let i = 0; i < n4; i += 4) {
      const offset = <usize>i << 2;
      v128.store(params + offset, f32x4.add(v128.load(params + offset), f32x4.mul(lr, v128.load(delta + offset))));
    }
    for (let i = n4; i < n; i++) store<f32>(at32(params, i), load<f32>(at32(params, i)) + learningRate * load<f32>(at32(delta, i)));
    return;
  }
  const mu = f32x4.splat(momentum);
  for (let i = 0; i < n4; i += 4) {
    const offset = <usize>i << 2;
    const step = v128.load(delta + offset);
    const newTrace = f32x4.add(step, f32x4.mul(mu, v128.load(trace + offset)));
    v128.store(trace + offset, newTrace);
    const update = nesterov ? f32x4.add(step, f32x4.mul(mu, newTrace)) : newTrace;
    v128.store(params + offset, f32x4.add(v128.load(params + offset), f32x4.mul(lr, update)));
  }
  for (let i = n4; i < n; i++) {
    const step = load<f32>(at32(delta, i));
    const newTrace = step + momentum * load<f32>(at32(trace, i));
    store<f32>(at32(trace, i), newTrace);
    const update = nesterov ? step + momentum * newTrace : newTrace;
    store<f32>(at32(params, i), load<f32>(at32(params, i)) + learningRate * update);
  }
}
