// The memory plan: where every buffer of a game lives in the kernels' linear memory. The kernels never
// allocate; they are handed these offsets. Regions are 16-byte aligned for the SIMD loads.

import { MAX_PAGES, PAGE_BYTES } from './wasm';

/**
 * Rows per block of a minibatch. Gradients and Gram matrices are summed per block, and the block sums are added
 * in block order, so the result does not depend on which device computed which block.
 */
export const ROW_BLOCK = 64;

export interface PlanShape {
  d: number;
  k: number;
  /** Float32 buffers of k × d that the optimizer keeps (0 for SGD, 1 with momentum, 2 for Adam). */
  optimizerSlots: number;
  /** Rows of data resident in memory at once (one minibatch, or a whole in-memory dataset). */
  rowCapacity: number;
}

export interface MemoryPlan extends PlanShape {
  /** Where the plan starts: the module's heap base. */
  base: number;
  /** Players' vectors V, k × d float32. */
  v: number;
  /** Optimizer state buffers, each k × d float32. */
  optimizer: number[];
  /** The reduced data term G and, in place, the ascent directions Δ: k × d float32. */
  g: number;
  /** One block's partial G: k × d float32. */
  gBlock: number;
  /** The reduced Gram matrix M: k × k float64. */
  m: number;
  /** One block's partial M: k × k float64. */
  mBlock: number;
  /** Utilities: k float64. */
  utilities: number;
  /** The mean subtracted from every row (zeros when not centring): d float32. */
  mean: number;
  /** One block's projections P: ROW_BLOCK × k float32. */
  p: number;
  /** Resident data rows: rowCapacity × d float32. */
  x: number;
  /** Bytes from address 0 to the end of the plan. */
  end: number;
  pages: number;
}

const align = (offset: number) => Math.ceil(offset / 16) * 16;

/** Lays the buffers out from `base` (the module's heap base). Throws a RangeError past the wasm32 limit. */
export function planMemory(shape: PlanShape, base: number): MemoryPlan {
  const { d, k, optimizerSlots, rowCapacity } = shape;
  let cursor = align(base);
  const take = (bytes: number) => {
    const at = cursor;
    cursor = align(cursor + bytes);
    return at;
  };
  const matrixBytes = k * d * 4;
  const v = take(matrixBytes);
  const optimizer = Array.from({ length: optimizerSlots }, () => take(matrixBytes));
  const g = take(matrixBytes);
  const gBlock = take(matrixBytes);
  const m = take(k * k * 8);
  const mBlock = take(k * k * 8);
  const utilities = take(k * 8);
  const mean = take(d * 4);
  const p = take(ROW_BLOCK * k * 4);
  const x = take(rowCapacity * d * 4);
  const end = cursor;
  const pages = Math.ceil(end / PAGE_BYTES);
  if (pages > MAX_PAGES) {
    throw new RangeError(
      `d = ${d}, k = ${k} with ${rowCapacity} resident rows needs ${end} bytes of WebAssembly memory, ` +
        `more than the wasm32 limit of ${MAX_PAGES * PAGE_BYTES} bytes (4 GiB); use fewer rows at a time`,
    );
  }
  return { ...shape, base, v, optimizer, g, gBlock, m, mBlock, utilities, mean, p, x, end, pages };
}
