// The kernels' typed face: the four builds of the same AssemblyScript sources (../../wasm, ../../assembly), what
// each exports, and the memory's page size. Two memories × two kinds of arithmetic: `simd` imports a plain memory
// and runs everywhere WebAssembly SIMD does; `threads` imports a shared memory for hosts that can share it with
// workers; `relaxed` and `relaxed-threads` are the same with relaxed SIMD's fused multiply-add
// (`f32x4.relaxed_madd`) in the hot kernels, chosen only where the host validates relaxed SIMD.

import type { BuildName } from '../hosts/host';

export type { BuildName };

/** The arithmetic of the kernels: plain SIMD (a multiply and an add, two roundings) or relaxed SIMD (fused). */
export type Arithmetic = 'simd' | 'relaxed-simd';

/** Whether a build imports a shared memory (the builds that devices on workers run). */
export function isSharedBuild(build: BuildName): boolean {
  return build === 'threads' || build === 'relaxed-threads';
}

/** The kernel exports, typed. Pointers are byte offsets into the module's memory. */
export interface KernelExports {
  heapBase(): number;
  subtractMean(x: number, rows: number, d: number, mean: number): number;
  firstNonFinite(x: number, count: number): number;
  columnSums(x: number, rows: number, d: number, sums: number): void;
  project(x: number, rows: number, d: number, v: number, players: number, p: number, ldp: number): void;
  backproject(x: number, rows: number, d: number, p: number, ldp: number, players: number, g: number): void;
  dataTerm(x: number, rows: number, d: number, v: number, players: number, p: number, ldp: number, g: number): void;
  gram(p: number, rows: number, ldp: number, k: number, m: number): void;
  addF32(dst: number, src: number, n: number): void;
  addF64(dst: number, src: number, n: number): void;
  divideF32(x: number, n: number, divisor: number): void;
  divideF64(x: number, n: number, divisor: number): void;
  utilities(m: number, k: number, u: number): void;
  direction(
    g: number, m: number, v: number, k: number, d: number, first: number, count: number,
    alpha: boolean, riemannian: boolean, out: number,
  ): void;
  sgd(params: number, delta: number, trace: number, n: number, learningRate: number, momentum: number, nesterov: boolean): void;
  adam(
    params: number, delta: number, firstMoment: number, secondMoment: number, n: number,
    learningRate: number, b1: number, b2: number, eps: number, epsRoot: number, correction1: number, correction2: number,
  ): void;
  normalizeRows(v: number, rows: number, d: number): void;
  syrk(block: number, rows: number, j0: number, j1: number, c: number, ldc: number, weight: number): void;
  rayleighQuotients(g: number, v: number, p: number, d: number, out: number): void;
  play(g: number, v: number, u: number, p: number, d: number, beta: number, floor: number, scratch: number): void;
  playerDots(v: number, g: number, p: number, stride: number, first: number, count: number, all: boolean, block: number, width: number, out: number): void;
  ritzResidualSums(
    w: number, theta: number, m: number, p: number, v: number, g: number, stride: number, first: number, count: number, block: number, width: number, out: number,
  ): void;
  directionGram(g: number, u: number, p: number, stride: number, first: number, count: number, beta: number, block: number, width: number, out: number): void;
  triangularMove(t: number, g: number, u: number, v: number, p: number, stride: number, first: number, count: number, beta: number, block: number, width: number): void;
  crossDots(a: number, m: number, b: number, n: number, d: number, out: number): void;
  combineRows64(w: number, m: number, p: number, src: number, ldSrc: number, first: number, columns: number, out: number, ldOut: number): void;
  combineRows(w: number, m: number, p: number, src: number, d: number, out: number, acc: number): void;
  symmetricEigen(v: number, n: number, values: number, scratch: number): void;
  transpose(src: number, rows: number, cols: number, ldSrc: number, dst: number, ldDst: number): void;
  symmetrize(sums: number, m: number, factor: number, out: number, start: number, end: number): void;
  blockMoments(x: number, rows: number, d: number, mean: number, squares: number): void;
  packRows(
    x: number, rows: number, d: number, mean: number, scale: number, first: number, total: number, blockRows: number,
    padded: number, out: number,
  ): void;
  packPlain(x: number, rows: number, d: number, mean: number, scale: number, first: number, out: number): void;
  blockMoments32(x: number, rows: number, d: number, mean: number, squares: number): void;
  packRows32(
    x: number, rows: number, d: number, mean: number, scale: number, first: number, total: number, blockRows: number,
    padded: number, out: number,
  ): void;
  packColumns(
    x: number, rows: number, d: number, mean: number, scale: number, first: number, blockRows: number, padded: number, out: number,
  ): void;
  packedTimes(
    block: number, rows: number, groups: number, u: number, k: number, ldu: number, out: number, ldo: number, first: number, acc: number,
  ): void;
  gammaDirections(v: number, av: number, bv: number, d: number, first: number, count: number, out: number, acc: number): void;
  blockTimes(m: number, rows: number, cols: number, ldm: number, w: number, count: number, ldw: number, out: number, ldo: number): void;
  cholesky(a: number, n: number, ld: number, j0: number, j1: number, floor: number): number;
  choleskySolve(l: number, n: number, ld: number, x: number, count: number, ldx: number): void;
  stageDeviations(x: number, rows: number, d: number, mean: number, out: number, stride: number): void;
  scatter(columns: number, stride: number, d: number, first: number, end: number, from: number, c: number, ldc: number): void;
  sparseOuter(indptr: number, indices: number, data: number, first: number, count: number, a0: number, a1: number, c: number, ldc: number): void;
  sparseTimes(
    indptr: number, indices: number, data: number, first: number, count: number, b: number, width: number, ld: number, out: number, shift: number,
  ): void;
  sparseTimes64(indptr: number, indices: number, data: number, first: number, count: number, b: number, width: number, ld: number, out: number): void;
}

/** WebAssembly pages are 64 KiB; wasm32 addresses at most 65536 of them (4 GiB). */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

/** Every function the kernels export: a module that lacks one is not ours (or is of another version). */
export const KERNEL_NAMES: (keyof KernelExports)[] = [
  'heapBase', 'subtractMean', 'firstNonFinite', 'columnSums', 'project', 'backproject', 'dataTerm', 'gram', 'addF32', 'addF64', 'divideF32', 'divideF64',
  'utilities', 'direction', 'sgd', 'adam', 'normalizeRows', 'syrk', 'rayleighQuotients', 'play', 'directionGram', 'triangularMove', 'playerDots', 'ritzResidualSums', 'crossDots', 'combineRows', 'combineRows64',
  'transpose', 'symmetrize', 'packedTimes', 'blockMoments', 'packRows', 'packPlain', 'packColumns',
  'gammaDirections', 'blockTimes', 'cholesky', 'choleskySolve', 'symmetricEigen', 'blockMoments32', 'packRows32',
  'stageDeviations', 'scatter', 'sparseOuter', 'sparseTimes', 'sparseTimes64',
];

export const FILE_NAMES: Record<BuildName, string> = {
  simd: 'eigengame.simd.wasm',
  threads: 'eigengame.threads.wasm',
  relaxed: 'eigengame.relaxed.wasm',
  'relaxed-threads': 'eigengame.relaxed-threads.wasm',
};

