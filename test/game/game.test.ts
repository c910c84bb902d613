// The low-level game: presets and options, determinism, checkpoints, and convergence of every variant and
// optimizer to known eigenvectors.

import { describe, expect, it } from 'vitest';
import { EigenGame, longestStreak, subspaceDistance, type EigenGameOptions } from '../../src/entries/node';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';

const d = 20;
const k = 4;
const planted = plantedData({ n: 400, d, spectrum: gappedSpectrum(d, k, 0.2), seed: 11, offset: 0 });
const truth = { data: planted.eigenvectors.subarray(0, k * d), rows: k, cols: d };
const batches = Array.from({ length: 8 }, (_, b) => ({ data: planted.data.subarray(b * 50 * d, (b + 1) * 50 * d), rows: 50, cols: d }));

async function run(options: EigenGameOptions, steps: number) {
  const game = await EigenGame.create(options);
  for (let t = 0; t < steps; t++) await game.step(batches[t % batches.length]);
  return game;
}

describe('EigenGame', () => {
  it('defaults to the seed preset; explicit options override it', async () => {
    const plain = await EigenGame.create({ d, k });
    expect(plain.settings).toEqual({
      optimizer: { type: 'sgd', learningRate: 1e-4, momentum: 0.9, nesterov: true }, reduction: 'sum', variant: 'mu', riemannian: false,
    });
    const tuned = await EigenGame.create({ d, k, preset: 'seed', reduction: 'mean', optimizer: { type: 'adam', learningRate: 0.01 } });
    expect(tuned.settings).toEqual({
      optimizer: { type: 'adam', learningRate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0 }, reduction: 'mean', variant: 'mu', riemannian: false,
    });
  });

  it('seeds give reproducible unit rows; different seeds differ', async () => {
    const a = (await EigenGame.create({ d, k, seed: 5 })).components();
    const b = (await EigenGame.create({ d, k, seed: 5 })).components();
    const c = (await EigenGame.create({ d, k, seed: 6 })).components();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (let i = 0; i < k; i++) expect(Math.hypot(...a.subarray(i * d, (i + 1) * d))).toBeCloseTo(1, 6);
  });

  it('components() is a copy', async () => {
    const game = await EigenGame.create({ d, k });
    const copy = game.components();
    copy.fill(0);
    expect(game.components().some((x) => x !== 0)).toBe(true);
  });

  it.each([
    ['sgd with Nesterov momentum', { type: 'sgd', learningRate: 0.3, momentum: 0.9, nesterov: true }],
    ['adam', { type: 'adam', learningRate: 0.01 }],
  ] as const)('save/restore continues bit for bit (%s)', async (_name, optimizer) => {
    const options: EigenGameOptions = { d, k, seed: 2, reduction: 'mean', optimizer };
    const original = await run(options, 5);
    const state = structuredClone(original.save());
    const restored = await EigenGame.restore(state);
    expect(restored.stepCount).toBe(5);
    for (let t = 5; t < 12; t++) {
      const a = await original.step(batches[t % 8]);
      const b = await restored.step(batches[t % 8]);
      expect(b.utilities).toEqual(a.utilities);
    }
    expect(restored.components()).toEqual(original.components());
  });

  // Full-batch steps converge to working precision; Adam needs the Riemannian projection, without it the radial
  // part of Δ (about λ v) dominates Adam's per-coordinate scaling.
  it.each([
    ['μ, sgd + Nesterov', { variant: 'mu', optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true } }],
    ['μ, heavy-ball momentum', { variant: 'mu', optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9 } }],
    ['μ, plain sgd', { variant: 'mu', optimizer: { type: 'sgd', learningRate: 2 } }],
    ['μ, Riemannian, adam', { variant: 'mu', riemannian: true, optimizer: { type: 'adam', learningRate: 0.01 } }],
    ['α, Riemannian, sgd', { variant: 'alpha', riemannian: true, optimizer: { type: 'sgd', learningRate: 1 } }],
    ['α, Riemannian, adam', { variant: 'alpha', riemannian: true, optimizer: { type: 'adam', learningRate: 0.01 } }],
    ['μ, Riemannian, sgd + Nesterov', { variant: 'mu', riemannian: true, optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true } }],
  ] as const)('%s converges to the true eigenvectors, in order', async (_name, options) => {
    const game = await EigenGame.create({ d, k, seed: 3, reduction: 'mean', ...options });
    for (let t = 0; t < 1000; t++) await game.step(planted);
    const found = { data: game.components(), rows: k, cols: d };
    expect(longestStreak(found, truth, 1e-3)).toBe(k);
    expect(subspaceDistance(found, truth)).toBeLessThan(1e-8);
  });

  it('minibatches of 50 rows get within their noise of the truth', async () => {
    const game = await run({ d, k, seed: 3, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.5, momentum: 0.9 } }, 600);
    const found = { data: game.components(), rows: k, cols: d };
    expect(longestStreak(found, truth)).toBe(k);
    expect(subspaceDistance(found, truth)).toBeLessThan(1e-2);
  });

  it('the mean option centres rows on the fly', async () => {
    const offset = Float64Array.from({ length: d }, (_, c) => 3 + c);
    const shifted = batches.map((batch) => ({ ...batch, data: batch.data.map((x, i) => x + offset[i % d]) }));
    const centred = await run({ d, k, seed: 1, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.5 } }, 20);
    const game = await EigenGame.create({ d, k, seed: 1, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.5 }, mean: offset });
    for (let t = 0; t < 20; t++) await game.step(shifted[t % 8]);
    const a = game.components();
    const b = centred.components();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });

  it('step utilities are computed with V before the step', async () => {
    const game = await EigenGame.create({ d, k: 1, init: [Array.from(planted.eigenvectors.subarray(0, d))], reduction: 'mean' });
    const { utilities } = await game.step(planted);
    // For the top eigenvector, u₁ = v C v (mean reduction, uncentred game on centred data, n rows not n − 1).
    expect(utilities[0]).toBeCloseTo((gappedSpectrum(d, k, 0.2)[0] * 399) / 400, 5);
  });
});
