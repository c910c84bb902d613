// Every kernel against its scalar float64 reference, on both wasm builds, on sizes 1..67 (lengths that are not
// multiples of 4) and with buffers misaligned on purpose. Float32 kernels are held to 2⁻²⁰ relative to the sum
// of the absolute values of the terms; where two kernels promise the same bits, the test asks for the same bits.

import { describe, expect, it } from 'vitest';
import type { BuildName } from '../../src/kernels/exports';
import { expectClose } from '../helpers/expect-close';
import { kernelHarness, type KernelHarness } from '../helpers/kernel-memory';
import { normals } from '../helpers/random';
import * as ref from '../helpers/reference';
import { symmetricEigen as symmetricEigenReference } from '../../src/math/linalg';
import { cholesky as choleskyReference } from '../helpers/pencil-reference';
import { testArithmetic } from '../setup';

const F32_TOLERANCE = 2 ** -20;
const builds: BuildName[] = testArithmetic === 'relaxed-simd' ? ['relaxed', 'relaxed-threads'] : ['simd', 'threads'];
const sizes = Array.from({ length: 67 }, (_, i) => i + 1);
const misalignOf = (size: number) => (size % 4) * 4;

function absolute(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values, Math.abs);
}

/** A compressed matrix's indptr and indices in the kernels' memory (an empty one's indices as one unused word). */
function placeIndices(h: KernelHarness, indptr: Int32Array, indices: Int32Array): [number, number] {
  const at = (values: Int32Array) => h.f32(new Float32Array(values.buffer), 4);
  return [at(indptr), at(indices.length ? indices : new Int32Array(1))];
}

/**
 * A row of the table: a claim about one kernel, checked on a fresh instance of each build for every size (1..67,
 * unless the row names others), and optionally once more for an edge case.
 */
interface KernelCase {
  claim: string;
  sizes?: number[];
  check(h: KernelHarness, size: number): void;
  once?(h: KernelHarness): void;
}

const cases: KernelCase[] = [
  {
    claim: 'subtractMean: X − 1·meanᵀ in place, each element one float32 subtraction; returns Σ of their squares',
    check: (h, d) => {
      const rows = (d % 7) + 1;
      const x = normals(d, rows * d);
      const mean = normals(d + 1000, d, 0.5);
      const at = h.f32(x, misalignOf(d));
      const squares = h.kernels.subtractMean(at, rows, d, h.f32(mean, misalignOf(d + 1)));
      const x32 = Float32Array.from(x);
      const mean32 = Float32Array.from(mean);
      const centred = x32.map((value, i) => Math.fround(value - mean32[i % d]));
      expect(h.readF32(at, rows * d)).toEqual(centred);
      const expected = centred.reduce((sum, value) => sum + value * value, 0);
      expect(Math.abs(squares - expected)).toBeLessThanOrEqual(1e-14 * expected);
    },
  },

  {
    claim: 'firstNonFinite: the index of the first NaN or ±Infinity, wherever it sits in a SIMD block or the tail',
    check: (h, count) => {
      const values = normals(count, count);
      const at = h.f32(values, misalignOf(count));
      expect(h.kernels.firstNonFinite(at, count)).toBe(-1);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (const index of new Set([0, count >> 1, count - 1])) {
          const copy = h.f32(values.map((value, i) => (i === index || i === count - 1 ? bad : value)), misalignOf(count + 1));
          expect(h.kernels.firstNonFinite(copy, count), `count ${count}, ${bad} at ${index}`).toBe(index);
        }
      }
    },
  },

  {
    claim: 'columnSums: float64 sums, each column in row order (the reference\'s bits), not finite where a value is not',
    check: (h, d) => {
      const rows = (d % 7) + 2;
      const x = Float32Array.from(normals(d, rows * d, 3));
      const at = h.f32(x, misalignOf(d));
      const start = Float64Array.from({ length: d }, (_, c) => c / 7);
      const sums = h.f64(start, 8);
      h.kernels.columnSums(at, rows, d, sums);
      const expected = Float64Array.from(start);
      for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) expected[c] += x[r * d + c];
      expect(h.readF64(sums, d)).toEqual(expected);
      const bad = h.f32(x.map((value, i) => (i === rows * d - 1 ? NaN : value)), misalignOf(d));
      const badSums = h.f64(new Float64Array(d));
      h.kernels.columnSums(bad, rows, d, badSums);
      expect(Array.from(h.readF64(badSums, d)).map(Number.isFinite)).toEqual(Array.from({ length: d }, (_, c) => c !== d - 1));
    },
  },

  {
    claim: 'project: P = (X − mean) Vᵀ on rows centred by subtractMean',
    check: (h, d) => {
      const rows = (d % 9) + 1;
      const players = (d % 5) + 1;
      const ldp = players + (d % 3);
      const x = normals(d, rows * d);
      const mean = normals(d + 1000, d, 0.5);
      const v = normals(d + 2000, players * d);
      const p = h.zerosF32(rows * ldp, misalignOf(d + 1));
      const xAt = h.f32(x, misalignOf(d));
      h.kernels.subtractMean(xAt, rows, d, h.f32(mean, 4));
      h.kernels.project(xAt, rows, d, h.f32(v, 8), players, p, ldp);
      const got = h.readF32(p, rows * ldp);
      const packed = Float64Array.from({ length: rows * players }, (_, i) => got[Math.floor(i / players) * ldp + (i % players)]);
      const expected = ref.project(x, rows, d, mean, v, players);
      const scale = ref.project(absolute(x.map((value, i) => value - mean[i % d])), rows, d, new Float64Array(d), absolute(v), players);
      expectClose(packed, expected, F32_TOLERANCE, scale, `project d=${d}`);
    },
  },

  {
    claim: 'backproject: G = Pᵀ (X − mean) on rows centred by subtractMean, overwriting G',
    check: (h, d) => {
      const rows = (d % 11) + 1;
      const players = (d % 4) + 1;
      const ldp = players + 1;
      const x = normals(d, rows * d);
      const mean = normals(d + 1, d, 0.3);
      const p = normals(d + 2, rows * ldp);
      const g = h.f32(normals(d + 3, players * d), misalignOf(d + 2));
      const xAt = h.f32(x, misalignOf(d));
      h.kernels.subtractMean(xAt, rows, d, h.f32(mean));
      h.kernels.backproject(xAt, rows, d, h.f32(p, 12), ldp, players, g);
      const expected = ref.backproject(x, rows, d, mean, p, ldp, players);
      const centredAbs = absolute(x.map((value, i) => value - mean[i % d]));
      const scale = ref.backproject(centredAbs, rows, d, new Float64Array(d), absolute(p), ldp, players);
      expectClose(h.readF32(g, players * d), expected, F32_TOLERANCE, scale, `backproject d=${d}`);
    },
  },

  {
    claim: 'dataTerm equals project then backproject, bit for bit, whatever the row blocking or player slicing',
    check: (h, d) => {
      const rows = (d % 13) + 1;
      const players = (d % 6) + 1;
      const ldp = players + (d % 3);
      const x = h.f32(normals(d, rows * d), misalignOf(d));
      h.kernels.subtractMean(x, rows, d, h.f32(normals(d + 1, d, 0.2)));
      const v = h.f32(normals(d + 2, players * d));
      const pFused = h.zerosF32(rows * ldp);
      const gFused = h.zerosF32(players * d);
      h.kernels.dataTerm(x, rows, d, v, players, pFused, ldp, gFused);
      const pSplit = h.zerosF32(rows * ldp);
      const gSplit = h.zerosF32(players * d);
      h.kernels.project(x, rows, d, v, players, pSplit, ldp);
      h.kernels.backproject(x, rows, d, pSplit, ldp, players, gSplit);
      expect(h.readF32(pFused, rows * ldp)).toEqual(h.readF32(pSplit, rows * ldp));
      expect(h.readF32(gFused, players * d)).toEqual(h.readF32(gSplit, players * d));
      // One row at a time (the remainder path) gives the bits of the 4-row blocks.
      const pRows = h.zerosF32(rows * ldp);
      for (let r = 0; r < rows; r++) {
        h.kernels.project(x + r * d * 4, 1, d, v, players, pRows + r * ldp * 4, ldp);
      }
      expect(h.readF32(pRows, rows * ldp)).toEqual(h.readF32(pSplit, rows * ldp));
      // Players in two slices (two devices of a model-parallel split) write the same P columns and G rows.
      const first = players >> 1;
      const pSliced = h.zerosF32(rows * ldp);
      const gSliced = h.zerosF32(players * d);
      h.kernels.dataTerm(x, rows, d, v, first, pSliced, ldp, gSliced);
      h.kernels.dataTerm(
        x, rows, d, v + first * d * 4, players - first, pSliced + first * 4, ldp, gSliced + first * d * 4,
      );
      expect(h.readF32(pSliced, rows * ldp)).toEqual(h.readF32(pFused, rows * ldp));
      expect(h.readF32(gSliced, players * d)).toEqual(h.readF32(gFused, players * d));
    },
  },

  {
    claim: 'gram: M = Pᵀ P in float64, symmetric, each entry one running sum in row order (the reference\'s bits)',
    check: (h, k) => {
      const rows = (k % 11) + 1;
      const ldp = k + (k % 3);
      const p = normals(k, rows * ldp);
      const m = h.zerosF64(k * k, 8);
      h.kernels.gram(h.f32(p, misalignOf(k)), rows, ldp, k, m);
      const got = h.readF64(m, k * k);
      // Products of float32 values are exact in float64, so summing in the same order gives the same bits.
      expect(got).toEqual(ref.gram(Float32Array.from(p), rows, ldp, k));
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expect(got[i * k + j]).toBe(got[j * k + i]);
    },
  },

  {
    claim: 'utilities: the seed form, with zero-variance players contributing nothing',
    check: (h, k) => {
      const p = normals(k, (k + 3) * k);
      const m = ref.gram(p, k + 3, k, k);
      const u = h.zerosF64(k);
      h.kernels.utilities(h.f64(m), k, u);
      expectClose(h.readF64(u, k), ref.utilities(m, k), 1e-12, new Float64Array(k).fill(m.reduce((a, b) => Math.max(a, Math.abs(b)), 0)), `utilities k=${k}`);
    },
    once: (h) => {
      const u = h.zerosF64(2);
      h.kernels.utilities(h.f64([0, 0, 0, 4]), 2, u);
      expect(Array.from(h.readF64(u, 2))).toEqual([0, 4]);
    },
  },

  ...([['mu', false], ['alpha', true]] as const).flatMap(([variant, alpha]) => [false, true].map((riemannian): KernelCase => ({
    claim: `direction: ${variant}${riemannian ? ' with Riemannian projection' : ''}, also in place`,
    check: (h, d) => {
      const k = (d % 6) + 1;
      const first = d % k;
      const count = k - first;
      const g = normals(d, k * d, 3);
      const v = ref.normalizeRows(normals(d + 1, k * d), k, d);
      const m = ref.gram(normals(d + 2, (k + 2) * k), k + 2, k, k);
      const expected = ref.direction(g, m, v, k, d, first, count, alpha, riemannian);
      const gAt = h.f32(g, misalignOf(d));
      const mAt = h.f64(m);
      const vAt = h.f32(v, 4);
      const out = h.zerosF32(count * d, misalignOf(d + 1));
      h.kernels.direction(gAt, mAt, vAt, k, d, first, count, alpha, riemannian, out);
      const scale = new Float64Array(count * d).fill(
        g.reduce((a, b) => Math.max(a, Math.abs(b)), 0) * (1 + k * m.reduce((a, b) => Math.max(a, Math.abs(b)), 0)),
      );
      expectClose(h.readF32(out, count * d), expected, F32_TOLERANCE, scale, `direction d=${d}`);
      h.kernels.direction(gAt, mAt, vAt, k, d, first, count, alpha, riemannian, gAt + first * d * 4);
      expect(h.readF32(gAt + first * d * 4, count * d)).toEqual(h.readF32(out, count * d));
    },
  }))),

  ...([[0, false], [0.9, false], [0.9, true]] as const).map(([momentum, nesterov]): KernelCase => ({
    claim: `sgd matches optax (momentum ${momentum}, nesterov ${nesterov})`,
    check: (h, n) => {
      const params = normals(n, n);
      const delta = normals(n + 1, n, 10);
      const optaxTrace = normals(n + 2, n);
      const trace = momentum > 0 ? h.f32(optaxTrace.map((t) => -t), misalignOf(n + 1)) : 0;
      const paramsAt = h.f32(params, misalignOf(n));
      h.kernels.sgd(paramsAt, h.f32(delta, 8), trace, n, 1e-2, momentum, nesterov);
      const expected = ref.optaxSgd(params, delta, momentum > 0 ? optaxTrace : null, Math.fround(1e-2), Math.fround(momentum), nesterov);
      const scale = Float64Array.from(params, (p, i) => Math.abs(p) + 0.02 * (Math.abs(delta[i]) + Math.abs(optaxTrace[i])));
      expectClose(h.readF32(paramsAt, n), expected.params, F32_TOLERANCE, scale, `sgd params n=${n}`);
      if (momentum > 0) {
        const traceScale = Float64Array.from(delta, (g, i) => Math.abs(g) + Math.abs(optaxTrace[i]));
        expectClose(h.readF32(trace, n).map((t) => -t), expected.trace, F32_TOLERANCE, traceScale, `sgd trace n=${n}`);
      }
    },
  })),

  {
    claim: 'adam matches optax, bias corrections included',
    check: (h, n) => {
      const params = normals(n, n);
      const delta = normals(n + 1, n, 5);
      const mu = normals(n + 2, n);
      const nu = normals(n + 3, n).map(Math.abs);
      const t = (n % 5) + 1;
      const [lr, b1, b2, eps, epsRoot] = [1e-3, 0.9, 0.999, 1e-8, 1e-9];
      const paramsAt = h.f32(params, misalignOf(n));
      const muAt = h.f32(mu.map((m) => -m), 4);
      const nuAt = h.f32(nu, 8);
      h.kernels.adam(paramsAt, h.f32(delta), muAt, nuAt, n, lr, b1, b2, eps, epsRoot, 1 - b1 ** t, 1 - b2 ** t);
      const f = Math.fround;
      const expected = ref.optaxAdam(params, delta, mu, nu, t, f(lr), f(b1), f(b2), f(eps), f(epsRoot));
      expectClose(h.readF32(paramsAt, n), expected.params, 2 ** -16, Float64Array.from(params, (p) => Math.abs(p) + lr * 10), `adam params n=${n}`);
      expectClose(h.readF32(muAt, n).map((m) => -m), expected.mu, F32_TOLERANCE, Float64Array.from(mu, (m, i) => Math.abs(m) + Math.abs(delta[i])), `adam mu n=${n}`);
      expectClose(h.readF32(nuAt, n), expected.nu, F32_TOLERANCE, Float64Array.from(nu, (v, i) => v + delta[i] ** 2), `adam nu n=${n}`);
    },
  },

  {
    claim: 'normalizeRows: unit rows, zero rows left alone',
    check: (h, d) => {
      const rows = (d % 4) + 2;
      const v = normals(d, rows * d, 7);
      v.fill(0, 0, d);
      const at = h.f32(v, misalignOf(d));
      h.kernels.normalizeRows(at, rows, d);
      expectClose(h.readF32(at, rows * d), ref.normalizeRows(v, rows, d), F32_TOLERANCE, undefined, `normalizeRows d=${d}`);
    },
  },

  {
    claim: 'addF32 / addF64 / divideF32 / divideF64',
    check: (h, n) => {
      const a = normals(n, n);
      const b = normals(n + 1, n);
      const at = h.f32(a, misalignOf(n));
      h.kernels.addF32(at, h.f32(b, 4), n);
      expect(Array.from(h.readF32(at, n))).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i])));
      h.kernels.divideF32(at, n, 3);
      expect(Array.from(h.readF32(at, n))).toEqual(Array.from(a, (x, i) => Math.fround(Math.fround(x + b[i]) / 3)));
      const a64 = Float64Array.from(a, (x) => x / 7);
      const at64 = h.f64(a64, 8);
      h.kernels.addF64(at64, h.f64(b), n);
      h.kernels.divideF64(at64, n, 3);
      expect(Array.from(h.readF64(at64, n))).toEqual(Array.from(a64, (x, i) => (x + b[i]) / 3));
    },
  },

  {
    claim: 'blockMoments32: float32 rows widened as read, the reference\'s float64 means and squares to the bit (blockMoments\'s bits for the widened rows)',
    check: (h, d) => {
      const rows = (d % 9) + 1;
      // Far from zero (the deviations are what the squares sum): float32 values about 1000 apart from their mean.
      const x = Float32Array.from(normals(d, rows * d, 3), (value, i) => value + 1000 + (i % d));
      const mean = h.zerosF64(d, 8);
      const squares = h.zerosF64(d, 8);
      h.kernels.blockMoments32(h.f32(x, misalignOf(d)), rows, d, mean, squares);
      const expected = ref.blockMoments(x, rows, d);
      expect(h.readF64(mean, d)).toEqual(expected.mean);
      expect(h.readF64(squares, d)).toEqual(expected.squares);
      const mean64 = h.zerosF64(d, 8);
      const squares64 = h.zerosF64(d, 8);
      h.kernels.blockMoments(h.f64(x, 8), rows, d, mean64, squares64);
      expect(h.readF64(mean64, d)).toEqual(expected.mean);
      expect(h.readF64(squares64, d)).toEqual(expected.squares);
    },
  },

  {
    claim: 'packRows32: float32 rows, (x − mean) · scale in float64 rounded once, into packed row blocks: the reference\'s bits (packRows\'s for the widened rows)',
    check: (h, d) => {
      const rows = (d % 9) + 1;
      const first = d % 3;
      const total = first + rows + (d % 2);
      const blockRows = 4;
      const padded = Math.ceil(d / 8) * 8;
      const x = Float32Array.from(normals(d, rows * d, 3), (value, i) => value + 1000 + (i % d));
      const mean = Float64Array.from({ length: d }, (_, c) => 1000 + c + 0.1 * Math.sin(c));
      const scale = 2 ** -3;
      const size = Math.ceil(total / blockRows) * blockRows * padded;
      const out = h.zerosF32(size, 16);
      h.kernels.packRows32(h.f32(x, misalignOf(d)), rows, d, h.f64(mean, 8), scale, first, total, blockRows, padded, out);
      const expected = ref.packRows(x, rows, d, mean, scale, first, total, blockRows, padded);
      expect(h.readF32(out, size)).toEqual(expected);
      const out64 = h.zerosF32(size, 16);
      h.kernels.packRows(h.f64(x, 8), rows, d, h.f64(mean, 8), scale, first, total, blockRows, padded, out64);
      expect(h.readF32(out64, size)).toEqual(expected);
    },
  },

  {
    claim: 'syrk: C += w XᵀX over a packed block, float32 within the block and float64 across blocks, whatever the panels',
    check: (h, d) => {
      const dPad = Math.ceil(d / 8) * 8;
      const rows = (d % 9) + 1;
      const x = normals(d, rows * d);
      // A block scaled by a power of two s = 2⁻³ and weighted by 1/s² = 64: C gets the unscaled sums.
      const weight = 64;
      const start = Float64Array.from({ length: dPad * dPad }, (_, i) => (i % 7) / 3);
      const block = h.f32(ref.packBlock(x.map((value) => value / 8), rows, d, dPad), 16);
      const whole = h.f64(start, 8);
      h.kernels.syrk(block, rows, 0, dPad, whole, dPad, weight);
      const got = h.readF64(whole, dPad * dPad);
      const expected = ref.crossProducts(x, rows, d);
      const scale = ref.crossProducts(absolute(x), rows, d);
      for (let j = 0; j < d; j++) {
        for (let i = 0; i <= j; i++) {
          const error = Math.abs(got[i * dPad + j] - start[i * dPad + j] - expected[i * d + j]);
          expect(error, `C[${i}, ${j}] (d ${d})`).toBeLessThanOrEqual(F32_TOLERANCE * scale[i * d + j] + 1e-15);
        }
      }
      // Devices own different panels of columns: split, the same bits.
      const split = h.f64(start, 8);
      const middle = Math.floor(dPad / 16) * 8;
      h.kernels.syrk(block, rows, middle, dPad, split, dPad, weight);
      h.kernels.syrk(block, rows, 0, middle, split, dPad, weight);
      expect(h.readF64(split, dPad * dPad)).toEqual(got);
    },
  },

  {
    claim: 'scatter: C += Σ (x − m)(x − m)ᵀ in float64, the reference\'s bits (even and odd rows apart), for any band of C\'s rows and off-diagonal block',
    check: (h, d) => {
      // Rows odd and even, a column count that leaves every tail of the 2 × 4 tiles and 64-column panels; values far
      // from zero (an offset of 1e6) with columns of different sizes, so that the order of the sums shows in the bits.
      const rows = (d % 9) + 1 + (d % 2) * 64;
      const ld = d + 3;
      const raw = normals(d, rows * d);
      const x = Float64Array.from(raw, (value, i) => value * 10 ** ((i % d) % 4) + 1e6 + (i % d));
      const mean = Float64Array.from({ length: d }, (_, c) => 1e6 + c + 0.25);
      const stride = rows + (rows % 2);
      const columns = h.zerosF64(stride * d, 8);
      h.kernels.stageDeviations(h.f64(x, 8), rows, d, h.f64(mean), columns, stride);
      const deviations = Float64Array.from({ length: stride * d }, (_, i) => {
        const [j, r] = [Math.floor(i / stride), i % stride];
        return r < rows ? x[r * d + j] - mean[j] : 0;
      });
      expect(h.readF64(columns, stride * d)).toEqual(deviations);
      const start = Float64Array.from({ length: d * ld }, (_, i) => (i % 5) / 7);
      const expected = Float64Array.from(start);
      ref.scatter64(x, rows, d, mean, expected, ld, 0, d);
      const whole = h.f64(start, 8);
      h.kernels.scatter(columns, stride, d, 0, d, 0, whole, ld);
      expect(h.readF64(whole, d * ld)).toEqual(expected);
      // Devices own bands of C's rows, starting anywhere (odd rows included): the same bits in every split.
      const cuts = [...new Set([0, Math.floor(d / 3) | 1, Math.floor((2 * d) / 3), d])].sort((a, b) => a - b).filter((cut) => cut <= d);
      const split = h.f64(start, 8);
      for (let s = cuts.length - 1; s > 0; s--) h.kernels.scatter(columns, stride, d, cuts[s - 1], cuts[s], 0, split, ld);
      expect(h.readF64(split, d * ld)).toEqual(expected);
      // An off-diagonal block (pls's Cxy: rows before `from`, columns from it), in two bands: nothing else is touched.
      const from = Math.floor(d / 2) | 1;
      const block = Float64Array.from(start);
      ref.scatter64(x, rows, d, mean, block, ld, 0, Math.min(from, d), from);
      const cross = h.f64(start, 8);
      const cut = Math.floor(from / 3);
      h.kernels.scatter(columns, stride, d, cut, Math.min(from, d), from, cross, ld);
      h.kernels.scatter(columns, stride, d, 0, cut, from, cross, ld);
      expect(h.readF64(cross, d * ld)).toEqual(block);
    },
  },

  {
    claim: 'sparseOuter: C += Σ x xᵀ over sparse rows (upper triangle), float64 in row order, the same bits for any band split',
    check: (h, d) => {
      const rows = (d % 11) + 3;
      const { indptr, indices, data } = ref.randomCompressed(d, rows, d, 0.3);
      const ldc = d + 3; // a row stride that is not d, as the padded operator's
      const start = Float64Array.from({ length: d * ldc }, (_, i) => (i % 5) / 4);
      const [ip, ix] = placeIndices(h, indptr, indices);
      const dt = h.f64(data.length ? data : [0], 8);
      const whole = h.f64(start, 8);
      // Two calls over consecutive rows (the pass's jobs) sum as one.
      const first = rows >> 1;
      h.kernels.sparseOuter(ip, ix, dt, 0, first, 0, d, whole, ldc);
      h.kernels.sparseOuter(ip, ix, dt, first, rows - first, 0, d, whole, ldc);
      const got = h.readF64(whole, d * ldc);
      // Products of float64 values added in row order: the reference's operations exactly (nothing below the diagonal).
      expect(got).toEqual(ref.sparseOuter(indptr, indices, data, rows, start, ldc));
      const split = h.f64(start, 8);
      const middle = d >> 1;
      h.kernels.sparseOuter(ip, ix, dt, 0, rows, middle, d, split, ldc);
      h.kernels.sparseOuter(ip, ix, dt, 0, rows, 0, middle, split, ldc);
      expect(h.readF64(split, d * ldc)).toEqual(got);
    },
  },

  {
    claim: 'sparseTimes: out = X B − shift from sparse rows, float32 (passes of up to 8 groups of 4, then single lanes), the same bits for any row split and any split of the lanes',
    check: (h, width) => {
      const rows = (width % 9) + 2;
      const cols = (width % 13) + 5;
      const ld = width + (width % 3); // a row stride that is not the width
      const { indptr, indices, data } = ref.randomCompressed(width + 7, rows, cols, 0.4);
      const data32 = Float32Array.from(data);
      const b = normals(width, cols * ld);
      const shift = normals(width + 1, width, 0.5);
      const [ip, ix] = placeIndices(h, indptr, indices);
      const dt = h.f32(data32.length ? data32 : [0], misalignOf(width));
      const bAt = h.f32(b, misalignOf(width + 1));
      for (const shifted of [false, true]) {
        const out = h.zerosF32(rows * ld, 4);
        h.kernels.sparseTimes(ip, ix, dt, 0, rows, bAt, width, ld, out, shifted ? h.f32(shift, 8) : 0);
        const got = h.readF32(out, rows * ld);
        const expected = ref.sparseTimes(indptr, indices, data32, rows, b, width, ld, shifted ? shift : null);
        const scale = ref.sparseTimes(indptr, indices, absolute(data32), rows, absolute(b), width, ld, shifted ? absolute(shift).map((x) => -x) : null);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < width; j++) {
            const error = Math.abs(got[r * ld + j] - expected[r * width + j]);
            if (!(error <= F32_TOLERANCE * scale[r * width + j] + 1e-30)) {
              expect(error, `out[${r}, ${j}] (width ${width}, shift ${shifted})`).toBeLessThanOrEqual(F32_TOLERANCE * scale[r * width + j]);
            }
          }
        }
        // Rows split between devices: each row computed whole by one, the same bits.
        const split = h.zerosF32(rows * ld, 4);
        const shiftAt = shifted ? h.f32(shift, 8) : 0;
        h.kernels.sparseTimes(ip, ix, dt, 1, rows - 1, bAt, width, ld, split, shiftAt);
        h.kernels.sparseTimes(ip, ix, dt, 0, 1, bAt, width, ld, split, shiftAt);
        expect(h.readF32(split, rows * ld)).toEqual(got);
        // Lanes split into panels (the devices' layout, src/devices/memory.ts lanePanels) or passes: the same bits.
        const lanes = h.zerosF32(rows * ld, 4);
        const cut = Math.min(width, 4 * ((width % 5) + 1));
        for (const [from, to] of [[cut, width], [0, cut]]) {
          if (to > from) h.kernels.sparseTimes(ip, ix, dt, 0, rows, bAt + 4 * from, to - from, ld, lanes + 4 * from, shiftAt ? shiftAt + 4 * from : 0);
        }
        expect(h.readF32(lanes, rows * ld)).toEqual(got);
      }
    },
  },

  {
    claim: 'sparseTimes64: out = X B from sparse columns, float32 values widened, float64 sums (passes of up to 8 f64x2 groups, then a single lane): the plain loop\'s bits',
    check: (h, width) => {
      const majors = (width % 9) + 3;
      const minors = (width % 13) + 5;
      const ld = width + (width % 3); // a row stride that is not the width
      const { indptr, indices, data } = ref.randomCompressed(width + 11, majors, minors, 0.4);
      const data32 = Float32Array.from(data);
      const b = Float64Array.from(normals(width + 2, minors * ld), (value, i) => value * (1 + i / 7));
      const [ip, ix] = placeIndices(h, indptr, indices);
      const dt = h.f32(data32.length ? data32 : [0], misalignOf(width));
      const bAt = h.f64(b, 8);
      const first = 1;
      const count = majors - 1;
      const out = h.zerosF64(count * width, 8);
      h.kernels.sparseTimes64(ip, ix, dt, first, count, bAt, width, ld, out);
      const expected = ref.sparseTimes64(indptr, indices, data32, first, count, b, width, ld);
      expect(h.readF64(out, count * width)).toEqual(expected);
    },
  },

  {
    claim: 'rayleighQuotients: ⟨v_i, g_i⟩ in float64',
    check: (h, d) => {
      const p = (d % 5) + 1;
      const v = normals(d, p * d);
      const g = normals(d + 1, p * d, 3);
      const out = h.zerosF64(p);
      h.kernels.rayleighQuotients(h.f32(g, misalignOf(d)), h.f32(v, misalignOf(d + 1)), p, d, out);
      const expected = Float64Array.from({ length: p }, (_, i) => ref.crossDots(v.subarray(i * d, (i + 1) * d), 1, g.subarray(i * d, (i + 1) * d), 1, d)[0]);
      const scale = Float64Array.from({ length: p }, (_, i) => ref.crossDots(absolute(v.subarray(i * d, (i + 1) * d)), 1, absolute(g.subarray(i * d, (i + 1) * d)), 1, d)[0]);
      expectClose(h.readF64(out, p), expected, 1e-14, scale, `rayleighQuotients d=${d}`);
    },
  },

  {
    claim: 'play: the players in order, heavy-ball momentum, Gram–Schmidt (again where a pass took most of a row): orthonormal positions, carried momentum',
    check: (h, d) => {
      const p = Math.min(d, (d % 6) + 1);
      const beta = 0.05 * (d % 3);
      const g = normals(d, p * d, 2);
      const v = ref.normalizeRows(normals(d + 1, p * d), p, d);
      const u = normals(d + 2, p * d, 0.1);
      const [gAt, vAt, uAt] = [h.f32(g, misalignOf(d)), h.f32(v, 4), h.f32(u, 8)];
      h.kernels.play(gAt, vAt, uAt, p, d, beta, 1e-30, h.zerosF32(d));
      const expected = ref.play(Float32Array.from(g), Float32Array.from(v), Float32Array.from(u), p, d, Math.fround(beta));
      const got = h.readF32(vAt, p * d);
      expectClose(got, expected.v, 2 ** -14, undefined, `play positions d=${d}`);
      expectClose(h.readF32(uAt, p * d), expected.u, 2 ** -14, Float64Array.from(expected.u, (x) => 1 + Math.abs(x)), `play momentum d=${d}`);
      const overlaps = ref.crossDots(got, p, got, p, d);
      overlaps.forEach((value, at) => expect(Math.abs(value - (at % (p + 1) === 0 ? 1 : 0)), `⟨v_i, v_j⟩ d=${d}`).toBeLessThan(1e-6));
    },
    once: (h) => {
      // A player with no direction left (the operator's rank is below p) keeps its position, orthogonal to its
      // parents, and loses its momentum.
      const d = 5;
      const g = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      const v = [1, 0, 0, 0, 0, 0.6, 0.8, 0, 0, 0];
      const u = [0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0, 0];
      const [vAt, uAt] = [h.f32(v), h.f32(u)];
      h.kernels.play(h.f32(g), vAt, uAt, 2, d, 0, 1e-6, h.zerosF32(d));
      expect(Array.from(h.readF32(vAt, 2 * d))).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
      expect(Array.from(h.readF32(uAt + d * 4, d))).toEqual([0, 0, 0, 0, 0]);
      // A direction almost along its parent: the first pass leaves 1e-3 of it, so a second pass must take the
      // rounding of the first away, or the positions are off orthogonal by about 1e-4.
      const wide = 67;
      const parent = ref.normalizeRows(normals(3, wide), 1, wide);
      const side = normals(4, wide);
      const along = ref.crossDots(parent, 1, side, 1, wide)[0];
      for (let c = 0; c < wide; c++) side[c] -= along * parent[c];
      const images = new Float32Array(2 * wide);
      for (let c = 0; c < wide; c++) {
        images[c] = parent[c];
        images[wide + c] = parent[c] * 1000 + side[c];
      }
      const players = h.f32(ref.normalizeRows(normals(5, 2 * wide), 2, wide));
      h.kernels.play(h.f32(images), players, h.zerosF32(2 * wide), 2, wide, 0, 1e-30, h.zerosF32(wide));
      const found = h.readF32(players, 2 * wide);
      expect(Math.abs(ref.crossDots(found.subarray(0, wide), 1, found.subarray(wide), 1, wide)[0])).toBeLessThan(1e-6);
      const sideNorm = Math.sqrt(ref.crossDots(side, 1, side, 1, wide)[0]);
      expect(ref.crossDots(found.subarray(wide), 1, side, 1, wide)[0] / sideNorm).toBeGreaterThan(1 - 1e-6);
    },
  },

  {
    claim: 'combineRows64: W · src over a range of columns into float64 rows, to the bit of the plain loop (j in order)',
    check: (h, d) => {
      const m = (d % 5) + 1;
      const p = (d % 7) + 2;
      const ldSrc = d + 3;
      const first = d % 3;
      const w = normals(d, m * p);
      const src = Float32Array.from(normals(d + 1, p * ldSrc));
      const out = h.f64(new Float64Array(m * (d + 1)).fill(5));
      h.kernels.combineRows64(h.f64(w), m, p, h.f32(src, misalignOf(d)), ldSrc, first, d, out, d + 1);
      const got = h.readF64(out, m * (d + 1));
      for (let i = 0; i < m; i++) {
        for (let c = 0; c < d; c++) {
          let sum = 0;
          for (let j = 0; j < p; j++) sum += w[i * p + j] * src[j * ldSrc + first + c];
          expect(got[i * (d + 1) + c], `out[${i}][${c}] d=${d}`).toBe(sum);
        }
        expect(got[i * (d + 1) + d], 'the row stride\'s padding is left alone').toBe(5);
      }
    },
  },

  {
    claim: 'directionGram: the lower triangle of (G − βU)(G − βU)ᵀ over a range of columns, in blocks, to the bit of its reference',
    check: (h, d) => {
      const p = (d % 9) + 1;
      const stride = d + 3;
      const first = d % 3;
      const width = 4 * ((d % 5) + 1);
      const beta = 0.03 * (d % 4);
      const g = normals(d, p * stride);
      const u = normals(d + 1, p * stride, 0.3);
      const out = h.f64(new Float64Array(p * p).fill(7));
      h.kernels.directionGram(h.f32(g, misalignOf(d)), h.f32(u, 4), p, stride, first, d, beta, h.zerosF64(p * width), width, out);
      const expected = ref.directionGram(Float32Array.from(g), Float32Array.from(u), p, stride, first, d, beta, width);
      const got = h.readF64(out, p * p);
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) expect(got[i * p + j], `S[${i}][${j}] d=${d}`).toBe(j <= i ? expected[i * p + j] : 7);
      }
    },
  },

  {
    claim: 'triangularMove: V ← T(G − βU) and U ← TV over a range of columns (T lower triangular), to the bit of its reference; other columns untouched',
    check: (h, d) => {
      const p = (d % 9) + 1;
      const stride = d + 5;
      const first = d % 4;
      const width = 4 * ((d % 3) + 1) + (d % 2 ? 0 : 4);
      const beta = 0.02 * (d % 5);
      const g = normals(d, p * stride);
      const u = normals(d + 1, p * stride, 0.3);
      const v = normals(d + 2, p * stride);
      // Garbage above the diagonal: the kernel must not read it.
      const t = Float64Array.from(normals(d + 3, p * p), (value, at) => (at % p <= Math.floor(at / p) ? value : 1e30));
      const [gAt, uAt, vAt] = [h.f32(g, misalignOf(d)), h.f32(u, 4), h.f32(v, 8)];
      h.kernels.triangularMove(h.f64(t), gAt, uAt, vAt, p, stride, first, d, beta, h.zerosF64(2 * p * width), width);
      const expected = ref.triangularMove(t, Float32Array.from(g), Float32Array.from(u), Float32Array.from(v), p, stride, first, d, beta);
      expect(h.readF32(vAt, p * stride)).toEqual(expected.v);
      expect(h.readF32(uAt, p * stride)).toEqual(expected.u);
    },
  },

  {
    claim: 'symmetricEigen: the TypeScript reference\'s eigenpairs (tred2 + tql2), and A v = λ v to float64',
    check: (h, d) => {
      const n = (d % 41) + 1;
      const raw = normals(d, n * n);
      const a = Float64Array.from({ length: n * n }, (_, i) => raw[i] + raw[(i % n) * n + Math.floor(i / n)]);
      const v = h.f64(a, misalignOf(d) * 2);
      const values = h.zerosF64(n);
      h.kernels.symmetricEigen(v, n, values, h.zerosF64(n, 8));
      const got = h.readF64(values, n);
      const vectors = h.readF64(v, n * n);
      const expected = symmetricEigenReference(a, n);
      const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => got[y] - got[x]);
      const largest = Math.max(...Array.from(expected.values, Math.abs));
      for (const [row, column] of order.entries()) {
        expect(Math.abs(got[column] - expected.values[row])).toBeLessThanOrEqual(1e-13 * largest);
        let cosine = 0;
        let residual = 0;
        for (let i = 0; i < n; i++) {
          cosine += vectors[i * n + column] * expected.vectors[row * n + i];
          let image = 0;
          for (let j = 0; j < n; j++) image += a[i * n + j] * vectors[j * n + column];
          residual = Math.max(residual, Math.abs(image - got[column] * vectors[i * n + column]));
        }
        expect(Math.abs(cosine)).toBeGreaterThan(1 - 1e-10);
        expect(residual).toBeLessThanOrEqual(1e-12 * largest);
      }
    },
  },

  {
    claim: 'crossDots: ⟨a_i, b_j⟩ for every pair, float64',
    check: (h, d) => {
      const [m, n] = [(d % 4) + 1, (d % 3) + 2];
      const a = normals(d, m * d);
      const b = normals(d + 1, n * d, 5);
      const out = h.zerosF64(m * n);
      h.kernels.crossDots(h.f32(a, misalignOf(d)), m, h.f32(b, 4), n, d, out);
      expectClose(h.readF64(out, m * n), ref.crossDots(a, m, b, n, d), 1e-14, ref.crossDots(absolute(a), m, absolute(b), n, d), `crossDots d=${d}`);
    },
  },

  {
    claim: 'combineRows: W · src summed in float64, rounded once',
    check: (h, d) => {
      const [m, p] = [(d % 4) + 1, (d % 5) + 1];
      const w = Float64Array.from(normals(d, m * p), (x) => x / 3);
      const src = normals(d + 1, p * d);
      const out = h.zerosF32(m * d, misalignOf(d));
      h.kernels.combineRows(h.f64(w), m, p, h.f32(src, 4), d, out, h.zerosF64(d));
      const expected = ref.combineRows(w, m, p, src, d);
      expect(Array.from(h.readF32(out, m * d))).toEqual(Array.from(expected, Math.fround));
    },
  },

  {
    claim: 'ritzResidualSums: ‖Σ W_ij g_j − θ_i Σ W_ij v_j‖² over a range of columns, in blocks, to the bit of its reference and near float64\'s',
    check: (h, d) => {
      const [m, p] = [(d % 6) + 1, (d % 5) + 2];
      const stride = d + 2;
      const first = d % 3;
      const width = 2 * ((d % 4) + 1) + (d % 2 ? 4 : 0);
      const w = Float64Array.from(normals(d, m * p), (x) => x / 2);
      const theta = Float64Array.from(normals(d + 1, m), Math.abs);
      const v = Float32Array.from(normals(d + 2, p * stride));
      const g = Float32Array.from(normals(d + 3, p * stride, 2));
      const out = h.zerosF64(m);
      h.kernels.ritzResidualSums(h.f64(w), h.f64(theta), m, p, h.f32(v, misalignOf(d)), h.f32(g, 4), stride, first, d, h.zerosF64(2 * p * width), width, out);
      const got = h.readF64(out, m);
      expect(got).toEqual(ref.ritzResidualSums(w, theta, m, p, v, g, stride, first, d, width));
      const plain = Float64Array.from({ length: m }, (_, i) => {
        let s = 0;
        for (let c = first; c < first + d; c++) {
          let image = 0;
          let vector = 0;
          for (let j = 0; j < p; j++) {
            image += w[i * p + j] * g[j * stride + c];
            vector += w[i * p + j] * v[j * stride + c];
          }
          s += (image - theta[i] * vector) ** 2;
        }
        return s;
      });
      expectClose(got, plain, 1e-12, plain.map((x) => x + 1), `ritzResidualSums d=${d}`);
    },
  },

  {
    claim: 'playerDots: ⟨v_i, g_j⟩ for every pair, or only ⟨v_i, g_i⟩, over a range of columns, in blocks, to the bit of its reference',
    check: (h, d) => {
      const p = (d % 9) + 1;
      const stride = d + 1;
      const first = d % 2;
      const width = 4 * ((d % 3) + 1) + (d % 2 ? 2 : 0);
      const v = Float32Array.from(normals(d, p * stride));
      const g = Float32Array.from(normals(d + 1, p * stride, 3));
      const [vAt, gAt] = [h.f32(v, misalignOf(d)), h.f32(g, 8)];
      const all = h.zerosF64(p * p);
      h.kernels.playerDots(vAt, gAt, p, stride, first, d, true, h.zerosF64(2 * p * width), width, all);
      const expected = ref.playerDots(v, g, p, stride, first, d, width);
      expect(h.readF64(all, p * p)).toEqual(expected);
      const diagonal = h.f64(new Float64Array(p + 1).fill(9));
      h.kernels.playerDots(vAt, gAt, p, stride, first, d, false, h.zerosF64(2 * p * width), width, diagonal);
      expect(h.readF64(diagonal, p + 1)).toEqual(Float64Array.from({ length: p + 1 }, (_, i) => (i < p ? expected[i * p + i] : 9)));
    },
  },

  {
    claim: 'transpose: an exact transposed copy, with row strides, in 4 × 4 blocks and edges; nothing written between rows',
    check: (h, d) => {
      // 1 to 9 rows: none, one or two blocks of four rows and an edge of 0 to 3.
      const rows = (d % 9) + 1;
      const src = normals(d, rows * (d + 1));
      const dst = h.f32(new Float32Array(d * (rows + 2)).fill(7));
      h.kernels.transpose(h.f32(src, misalignOf(d)), rows, d, d + 1, dst, rows + 2);
      const got = h.readF32(dst, d * (rows + 2));
      for (let c = 0; c < d; c++) {
        for (let r = 0; r < rows + 2; r++) expect(got[c * (rows + 2) + r]).toBe(r < rows ? src[r * (d + 1) + c] : 7);
      }
    },
  },

  {
    claim: 'symmetrize: a band of rows of a symmetric matrix from its float64 upper triangle, scaled, in float32',
    check: (h, d) => {
      // Values beyond float32's range until scaled; NaN below the diagonal, which must never be read.
      const sums = Float64Array.from(normals(d, d * d), (value, i) => (Math.floor(i / d) <= i % d ? value * 1e30 : NaN));
      // A band from row ⌊d/3⌋ to ⌊2d/3⌋ + 1 (or the one row): the rows outside it are left as they were.
      const [start, end] = d < 3 ? [0, d] : [Math.floor(d / 3), Math.floor((2 * d) / 3) + 1];
      const out = h.f32(new Float32Array(d * d).fill(7), 4);
      h.kernels.symmetrize(h.f64(sums, 8), d, 2 ** -100, out, start, end);
      const got = h.readF32(out, d * d);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          const upper = Math.min(i, j) * d + Math.max(i, j);
          const expected = i >= start && i < end ? Math.fround(sums[upper] * 2 ** -100) : 7;
          if (got[i * d + j] !== expected) expect.fail(`[${i}, ${j}] (d ${d}, rows ${start}–${end}): ${got[i * d + j]}, expected ${expected}`);
        }
      }
    },
  },

  {
    claim: 'packedTimes: Σ_r Y[q, r] u_i[r] for a packed block of features (the Gram route\'s components)',
    check: (h, n) => {
      const nPad = Math.ceil(n / 4) * 4;
      const features = (n % 9) + 1;
      const k = (n % 3) + 1;
      const y = normals(n, features * n);
      const u = new Float32Array(k * nPad);
      normals(n + 1, k * n).forEach((value, i) => (u[Math.floor(i / n) * nPad + (i % n)] = value));
      const ldo = features + 3;
      const out = h.zerosF32(k * ldo);
      h.kernels.packedTimes(h.f32(ref.packBlock(y, features, n, nPad), 16), features, nPad / 4, h.f32(u, 16), k, nPad, out, ldo, 2, h.zerosF32(4 * k * features));
      const got = h.readF32(out, k * ldo);
      for (let i = 0; i < k; i++) {
        for (let q = 0; q < features; q++) {
          let expected = 0;
          let scale = 0;
          for (let r = 0; r < n; r++) {
            expected += y[q * n + r] * u[i * nPad + r];
            scale += Math.abs(y[q * n + r] * u[i * nPad + r]);
          }
          expect(Math.abs(got[i * ldo + 2 + q] - expected), `out[${i}, ${q}] n=${n}`).toBeLessThanOrEqual(F32_TOLERANCE * scale + 1e-30);
        }
      }
    },
  },
  {
    claim: 'gammaDirections: γ-EigenGame\'s reward minus penalties (eg_gradients.py), float64 sums rounded once, any slice of players',
    check: (h, d) => {
      const p = (d % 5) + 1;
      const v = normals(d, p * d);
      const av = normals(d + 1, p * d, 2);
      const bv = normals(d + 2, p * d);
      const expected = ref.gammaDirection(v, av, bv, p, d);
      const [vAt, avAt, bvAt] = [h.f32(v, misalignOf(d)), h.f32(av, 4), h.f32(bv, 8)];
      const out = h.zerosF32(p * d, misalignOf(d + 1));
      h.kernels.gammaDirections(vAt, avAt, bvAt, d, 0, p, out, h.zerosF64(d));
      // Each term is a product of three or four float32 values summed in float64: the result is float64's answer
      // rounded once, but for the division by a parent's ⟨v, Bv⟩ (here of either sign and any size).
      const scale = Float64Array.from(expected, (value) => Math.abs(value) + 1e-6 * d * p);
      expectClose(h.readF32(out, p * d), expected, 2 ** -20, scale, `gammaDirections d=${d}`);
      // Players split between devices: the same bits for a slice.
      const first = p >> 1;
      const slice = h.zerosF32((p - first) * d);
      h.kernels.gammaDirections(vAt, avAt, bvAt, d, first, p - first, slice, h.zerosF64(d));
      expect(h.readF32(slice, (p - first) * d)).toEqual(h.readF32(out + first * d * 4, (p - first) * d));
    },
    once: (h) => {
      // At B-orthonormal Ritz vectors (here B = I, A = diag(3, 2, 1), V = I) the penalties vanish and each direction
      // is the residual A vᵢ − θᵢ B vᵢ: zero.
      const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
      const out = h.zerosF32(9);
      h.kernels.gammaDirections(h.f32(v), h.f32([3, 0, 0, 0, 2, 0, 0, 0, 1]), h.f32(v), 3, 0, 3, out, h.zerosF64(3));
      expect(Array.from(h.readF32(out, 9))).toEqual(new Array(9).fill(0));
    },
  },

  {
    claim: 'blockTimes: a block of a strided matrix times rows of vectors, written as rows, the bits of any split of its rows',
    check: (h, n) => {
      const [rows, cols, count] = [n, (n % 7) + 1, (n % 4) + 1];
      const ld = cols + (n % 3) + 2;
      const m = normals(n, rows * ld);
      const w = normals(n + 1, count * (cols + 1));
      const out = h.zerosF32(count * (rows + 1), misalignOf(n));
      const [mAt, wAt] = [h.f32(m, misalignOf(n + 1)), h.f32(w, 4)];
      h.kernels.blockTimes(mAt + 4, rows, cols, ld, wAt, count, cols + 1, out, rows + 1);
      const got = h.readF32(out, count * (rows + 1));
      for (let j = 0; j < count; j++) {
        for (let r = 0; r < rows; r++) {
          let expected = 0;
          let scale = 0;
          for (let c = 0; c < cols; c++) {
            expected += m[r * ld + 1 + c] * w[j * (cols + 1) + c];
            scale += Math.abs(m[r * ld + 1 + c] * w[j * (cols + 1) + c]);
          }
          expect(Math.abs(got[j * (rows + 1) + r] - expected), `out[${j}, ${r}] n=${n}`).toBeLessThanOrEqual(F32_TOLERANCE * scale + 1e-30);
        }
      }
      // Devices own rows in groups of four: each element has the bits it has when all rows are computed at once.
      const split = h.zerosF32(count * (rows + 1));
      const middle = Math.floor(rows / 8) * 4;
      h.kernels.blockTimes(mAt + 4, middle, cols, ld, wAt, count, cols + 1, split, rows + 1);
      h.kernels.blockTimes(mAt + 4 + middle * ld * 4, rows - middle, cols, ld, wAt, count, cols + 1, split + middle * 4, rows + 1);
      expect(h.readF32(split, count * (rows + 1))).toEqual(got);
    },
  },

  {
    claim: 'cholesky: B = L Lᵀ in float64, panel by panel with the same bits, and the first column whose pivot vanishes',
    check: (h, n) => {
      const ld = n + (n % 3);
      const g = normals(n, n * (n + 3));
      // A positive definite B: Gᵀ G / rows + I, stored with row stride ld, its upper triangle left as garbage.
      const b = new Float64Array(n * ld).fill(7);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let sum = i === j ? 1 : 0;
          for (let r = 0; r < n + 3; r++) sum += (g[r * n + i] * g[r * n + j]) / (n + 3);
          b[i * ld + j] = sum;
        }
      }
      const dense = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) dense[i * n + j] = dense[j * n + i] = b[i * ld + j];
      const expected = choleskyReference(dense, n);
      const at = h.f64(b, 8);
      expect(h.kernels.cholesky(at, n, ld, 0, n, 1e-10)).toBe(-1);
      const got = h.readF64(at, n * ld);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < ld; j++) {
          if (j <= i) expect(Math.abs(got[i * ld + j] - expected[i * n + j]), `L[${i}, ${j}] n=${n}`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(expected[i * n + j])));
          else expect(got[i * ld + j]).toBe(7);
        }
      }
      const panels = h.f64(b, 8);
      for (let first = 0; first < n; first += 5) expect(h.kernels.cholesky(panels, n, ld, first, Math.min(n, first + 5), 1e-10)).toBe(-1);
      expect(h.readF64(panels, n * ld)).toEqual(got);
    },
    once: (h) => {
      // Column 2 is column 0 plus column 1: its pivot vanishes; a zero diagonal (a constant column) fails at once.
      const b = [2, 1, 3, 1, 2, 3, 3, 3, 6];
      expect(h.kernels.cholesky(h.f64(b), 3, 3, 0, 3, 1e-10)).toBe(2);
      expect(h.kernels.cholesky(h.f64([1, 0, 0, 0]), 2, 2, 0, 2, 1e-10)).toBe(1);
    },
  },

  {
    claim: 'choleskySolve: (L Lᵀ)⁻¹ x for rows of vectors, from L below the diagonal and Lᵀ above it',
    check: (h, n) => {
      const count = (n % 3) + 1;
      const ldx = n + 1;
      // A well-conditioned factor: unit-ish diagonal, small entries below it.
      const l = Float64Array.from(normals(n, n * n), (value, i) => (Math.floor(i / n) === i % n ? 2 + Math.abs(value) : 0.2 * value));
      const stored = new Float32Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          stored[i * n + j] = l[i * n + j];
          stored[j * n + i] = l[i * n + j];
        }
      }
      const x = normals(n + 1, count * ldx);
      const at = h.f32(x, misalignOf(n));
      h.kernels.choleskySolve(h.f32(stored, 4), n, n, at, count, ldx);
      const got = h.readF32(at, count * ldx);
      // The check: L Lᵀ times the solution gives x back, to float32 precision of the terms.
      for (let v = 0; v < count; v++) {
        const y = Float64Array.from({ length: n }, (_, i) => got[v * ldx + i]);
        const lt = Float64Array.from({ length: n }, (_, i) => {
          let sum = 0;
          for (let j = i; j < n; j++) sum += Math.fround(stored[j * n + i]) * y[j];
          return sum;
        });
        for (let i = 0; i < n; i++) {
          let sum = 0;
          let scale = 0;
          for (let j = 0; j <= i; j++) {
            sum += Math.fround(stored[i * n + j]) * lt[j];
            scale += Math.abs(stored[i * n + j] * lt[j]);
          }
          expect(Math.abs(sum - x[v * ldx + i]), `row ${v}, ${i} (n ${n})`).toBeLessThanOrEqual(2 ** -18 * (scale + Math.abs(x[v * ldx + i])) * n);
        }
        expect(got[v * ldx + n]).toBe(x[v * ldx + n]);
      }
    },
  },
];

describe.each(builds)('kernels (%s build)', (build) => {
  it.each(cases.map((row) => [row.claim, row] as const))('%s', async (_claim, { sizes: list = sizes, check, once }) => {
    for (const size of list) check(await kernelHarness(build), size);
    if (once) once(await kernelHarness(build));
  });
});
