// A first run of the hot kernels on tiny inputs, once per compiled module and realm.
//
// Engines compile WebAssembly in two tiers: a quick baseline compiler for a function's first calls, and the
// optimizing compiler once those calls have done enough work (V8's dynamic tiering), in the background. A kernel
// whose first call is a big one runs all of it in baseline code: measured here, 2.5–3× slower (project on a 784 × 784
// matrix: 8.4 ms, then 2.7), and pca makes few, big calls (one product per round, one syrk per block). A few
// milliseconds of tiny calls when the kernels are first loaded hand the real calls optimized code. Workers share
// the compiled module, and with it its optimized code.

import type { KernelExports } from './exports';

/** Calls per kernel: enough to use up the baseline tier's budget on these sizes (measured: 20 sufficed). */
const CALLS = 24;

const warmed = new WeakSet<WebAssembly.Module>();

/** Runs each hot kernel of `module` on tiny inputs in a scratch memory, unless this module ran them already. */
export function warmUp(module: WebAssembly.Module, makeMemory: () => WebAssembly.Memory): void {
  if (warmed.has(module)) return;
  warmed.add(module);
  const memory = makeMemory();
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const base = Math.ceil(k.heapBase() / 64) * 64;
  // Scratch layout: a 32 × 16 float32 block, 16 × 16 float64 sums, 8 players, and float64 staging.
  const x = base;
  const c = x + 32 * 16 * 4;
  const v = c + 16 * 16 * 8;
  const g = v + 8 * 16 * 4;
  const u = g + 8 * 16 * 4;
  const p = u + 8 * 16 * 4;
  const h = p + 32 * 8 * 4;
  const staged = h + 8 * 8 * 8;
  const scratch = staged + 32 * 16 * 8;
  // Float64 scratch of the players' column blocks (2 × 8 players × 8 columns), and a unit lower triangle.
  const block = scratch + 64 * 8;
  const lower = block + 2 * 8 * 8 * 8;
  // A sparse matrix (indptr, indices, entries), the dense rows it multiplies, and their products.
  const indptr = lower + 8 * 8 * 8;
  const indices = indptr + 65 * 4;
  const entries = indices + 256 * 4;
  const dense = entries + 256 * 4;
  const products = dense + 8 * 32 * 8;
  new Float32Array(memory.buffer, x, 32 * 16).fill(0.5);
  new Float32Array(memory.buffer, v, 8 * 16).fill(0.25);
  for (let i = 0; i < 8; i++) new Float64Array(memory.buffer, lower, 8 * 8)[i * 9] = 1;
  const rows = new Int32Array(memory.buffer, indptr, 65);
  const columns = new Int32Array(memory.buffer, indices, 256);
  for (let r = 0; r < 64; r++) {
    rows[r + 1] = 4 * (r + 1);
    for (let e = 0; e < 4; e++) columns[4 * r + e] = (r + 2 * e) % 8;
  }
  new Float32Array(memory.buffer, entries, 256).fill(0.5);
  for (let call = 0; call < CALLS; call++) {
    k.blockMoments(staged, 32, 16, scratch, scratch + 16 * 8);
    k.packRows(staged, 32, 16, scratch, 1, 0, 32, 16, 16, x);
    k.blockMoments32(staged, 32, 16, scratch, scratch + 16 * 8);
    k.packRows32(staged, 32, 16, scratch, 1, 0, 32, 16, 16, x);
    k.packPlain(staged, 32, 16, scratch, 1, 0, x);
    k.syrk(x, 16, 0, 16, c, 16, 1);
    k.project(x, 16, 16, v, 8, p, 8);
    k.dataTerm(x, 16, 16, v, 8, p, 8, g);
    k.gram(p, 16, 8, 8, h);
    k.transpose(p, 16, 8, 8, g, 16);
    k.rayleighQuotients(g, v, 8, 16, scratch);
    k.play(g, v, u, 8, 16, 0, 0, scratch);
    k.crossDots(v, 8, g, 8, 16, h);
    k.combineRows(h, 4, 8, v, 16, g, scratch);
    // pca's players between products (players.ts): their dots, residuals and move over column blocks.
    k.playerDots(v, g, 8, 16, 0, 16, true, block, 8, h);
    k.ritzResidualSums(h, scratch, 4, 8, v, g, 16, 0, 16, block, 8, scratch + 16 * 8);
    k.directionGram(g, u, 8, 16, 0, 16, 0.1, block, 8, h);
    k.triangularMove(lower, g, u, v, 8, 16, 0, 16, 0.1, block, 8);
    k.combineRows64(h, 4, 8, v, 16, 0, 16, block, 16);
    // The sparse routes' products: 64 rows of 4 entries among 8 columns, 32 players wide (their widest lane group).
    k.sparseTimes(indptr, indices, entries, 0, 64, dense, 32, 32, products, 0);
    k.sparseTimes64(indptr, indices, entries, 0, 64, dense, 16, 16, products);
    k.sparseOuter(indptr, indices, entries, 0, 64, 0, 8, c, 8);
    new Float64Array(memory.buffer, h, 8 * 8).fill(0.125).fill(1, 0, 1);
    k.symmetricEigen(h, 8, scratch, scratch + 8 * 8);
  }
}
