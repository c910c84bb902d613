// Tiny helpers shared by the kernels. Everything here is inlined: no calls, no allocation, no static data.

/** Address of element `index` of an f32 array at `base`. */
@inline export function at32(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Address of element `index` of an f64 array at `base`. */
@inline export function at64(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/** Address of row `row` of a row-major f64 matrix with `stride` elements per row. */
@inline export function row64(base: usize, row: i32, stride: i32): usize {
  return base + ((<usize>row * <usize>stride) << 3);
}

/** Address of row `row` of a row-major f32 matrix with `stride` elements per row. */
@inline export function row32(base: usize, row: i32, stride: i32): usize {
  return base + ((<usize>row * <usize>stride) << 2);
}

/**
 * a·b + c in four lanes. The relaxed-SIMD build (eigengame.relaxed*.wasm) uses `f32x4.relaxed_madd`: one fused
 * multiply-add with one rounding where the hardware has FMA (x86-64 with FMA3, ARM64), a multiply and an add
 * elsewhere. The plain build always rounds twice. Every hot kernel accumulates through this one helper, so within
 * a build every path (blocked, remainder, fused) computes a value by the same operations.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * Folds the four lanes as (l0 + l1) + (l2 + l3). Every kernel folds its lane sums this one way so that a value
 * computed on a blocked path and on a remainder path has the same bits.
 */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * ⟨a, b⟩ over d floats in float64 (each product exact): columns 4m and 4m + 1 summed in one pair of lanes, 4m + 2
 * and 4m + 3 in another, folded as (low0 + high0) + (low1 + high1), then the tail columns in order.
 */
@inline export function dot64(a: usize, b: usize, d: i32): f64 {
  let low = f64x2.splat(0), high = f64x2.splat(0);
  const d4 = d & ~3;
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    const x = v128.load(a + offset), y = v128.load(b + offset);
    low = f64x2.add(low, f64x2.mul(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y)));
    high = f64x2.add(high, f64x2.mul(
      f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)), f64x2.promote_low_f32x4(i32x4.shuffle(y, y, 2, 3, 0, 1)),
    ));
  }
  let sum = (f64x2.extract_lane(low, 0) + f64x2.extract_lane(high, 0)) + (f64x2.extract_lane(low, 1) + f64x2.extract_lane(high, 1));
  for (let c = d4; c < d; c++) sum += <f64>load<f32>(at32(a, c)) * <f64>load<f32>(at32(b, c));
  return sum;
}

/**
 * y −= s · x over d floats (s rounded to float32 once): a multiply and a subtraction, two roundings. pca's players
 * form their momentum directions g − β u with it, in every kernel that forms them (same bits).
 */
@inline export function subtractScaled(y: usize, x: usize, s: f64, d: i32): void {
  const s32 = <f32>s;
  const s4 = f32x4.splat(s32);
  const d4 = d & ~3;
  for (let c = 0; c < d4; c += 4) {
    const offset = <usize>c << 2;
    v128.store(y + offset, f32x4.sub(v128.load(y + offset), f32x4.mul(s4, v128.load(x + offset))));
  }
  for (let c = d4; c < d; c++) store<f32>(at32(y, c), load<f32>(at32(y, c)) - s32 * load<f32>(at32(x, c)));
}

/**
 * The first `groups` of eight registers stored 16 bytes apart from `target`: the lane groups of one pass of the
 * sparse products (sparsetimes.ts, sparsetimes64.ts). `groups` is a constant at each call: the other stores fold away.
 */
@inline export function storeGroups(
  groups: i32, target: usize, s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128, s6: v128, s7: v128,
): void {
  v128.store(target, s0);
  if (groups > 1) v128.store(target, s1, 16);
  if (groups > 2) v128.store(target, s2, 32);
  if (groups > 3) v128.store(target, s3, 48);
  if (groups > 4) v128.store(target, s4, 64);
  if (groups > 5) v128.store(target, s5, 80);
  if (groups > 6) v128.store(target, s6, 96);
  if (groups > 7) v128.store(target, s7, 112);
}
