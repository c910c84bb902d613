// cca, pls and lda give the same bits on 1, 2, 3 and 4 devices (run as on a host with 8 hardware threads, so that
// this machine's cores do not cap them), and the same progress reports.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cca, lda, pls } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { expectSameBits } from '../helpers/bits';
import { plantedClasses, plantedViews } from '../helpers/planted-pencils';

beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
afterEach(() => vi.restoreAllMocks());

const views = plantedViews({ n: 1500, dx: 70, dy: 45, correlations: [0.9, 0.8, 0.7], seed: 5 });
const classes = plantedClasses({ n: 1500, d: 90, classes: 7, separation: 0.4, seed: 6 });

/** Fits on 1 to 4 devices; every fit's arrays have the bits of the one-device fit, and the same reports. */
async function sameBitsOnEveryLayout<T>(fit: (devices: number, onProgress: (step: unknown) => void) => Promise<T>, arrays: (model: T) => Record<string, ArrayLike<number>>) {
  const fits: { model: T; reports: unknown[] }[] = [];
  for (const devices of [1, 2, 3, 4]) {
    const reports: unknown[] = [];
    fits.push({ model: await fit(devices, (progress) => reports.push(progress)), reports });
  }
  expect(fits.map(({ model }) => (model as { backend: { devices: number } }).backend.devices)).toEqual([1, 2, 3, 4]);
  expect(fits[0].reports.length, 'progress reports of the one-device fit').toBeGreaterThan(0);
  for (const { model, reports } of fits.slice(1)) {
    for (const [name, values] of Object.entries(arrays(model))) expectSameBits(values, arrays(fits[0].model)[name], name);
    expect(reports).toEqual(fits[0].reports);
  }
}

describe('the same bits on 1, 2, 3 and 4 devices', () => {
  it('cca', async () => {
    await sameBitsOnEveryLayout(
      (devices, onProgress) => cca(views.X, views.Y, { k: 3, devices, onProgress }),
      (model) => ({ xWeights: model.xWeights, yWeights: model.yWeights, correlations: model.correlations }),
    );
  }, 60_000);

  it('pls', async () => {
    await sameBitsOnEveryLayout(
      (devices, onProgress) => pls(views.X, views.Y, { k: 3, devices, onProgress }),
      (model) => ({ xWeights: model.xWeights, yWeights: model.yWeights, singularValues: model.singularValues }),
    );
  }, 60_000);

  it('lda', async () => {
    await sameBitsOnEveryLayout(
      (devices, onProgress) => lda(classes.X, classes.labels, { k: 4, devices, onProgress }),
      (model) => ({ scalings: model.scalings, eigenvalues: model.eigenvalues, explainedVarianceRatio: model.explainedVarianceRatio }),
    );
  }, 60_000);
});
