// Tiny helpers shared by the kernels. Everything here is inlined: no calls, no allocation, no static data.

/** Address of element `index` of an f32 array at `base`. */
@inline export function at32(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Address of element `index` of an f64 array at `base`. */
@inline export function at64(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/** Address of row `row` of a row-major f32 matrix with `stride` elements per row. */
@inline export function row32(base: usize, row: i32, stride: i32): usize {
  return base + ((<usize>row * <usize>stride) << 2);
}

/**
 * Folds the four lanes as (l0 + l1) + (l2 + l3). Every kernel folds its lane sums this one way so that a value
 * computed on a blocked path and on a remainder path has the same bits.
 */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Four columns of a data row starting at byte offset `offset`, minus the same columns of the mean. */
@inline export function centered4(xRow: usize, mean: usize, offset: usize): v128 {
  return f32x4.sub(v128.load(xRow + offset), v128.load(mean + offset));
}

/** One column of a data row minus the mean. */
@inline export function centered1(xRow: usize, mean: usize, column: i32): f32 {
  return load<f32>(at32(xRow, column)) - load<f32>(at32(mean, column));
}
