// The host conformance suite: the same cases run in every host the package supports (Node ESM and CJS from the
// packed tarball, Chromium pages isolated or not, apps built with Vite and rollup, Cloudflare workerd, Vercel's edge
// runtime). Plain JavaScript with no imports but the planted-data generator, so any host and bundler can load it.
// Each host returns what `runCases` returns; Node's tests compare it bit for bit with Node's own run, which is
// checked against the truth (planted eigenvectors, golden trajectories).

import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';

/** A planted spectrum small enough to ship to a page or an edge worker, large enough to use every kernel. */
export const PLANTED = { n: 3000, d: 48, k: 4, seed: 11 };

export function plantedCase() {
  const { n, d, k, seed } = PLANTED;
  return plantedData({ n, d, spectrum: gappedSpectrum(d, k, 0.1, 0.5), seed });
}

/** The bytes of a typed array as hex: equal strings mean equal bits. */
export function bits(array) {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Runs the cases with `lib` (the package as this host imports it) on `devices` devices.
 * golden: a golden trajectory file (test/fixtures/golden), when the host can be handed one.
 */
export async function runCases(lib, { devices, golden } = {}) {
  const warnings = [];
  const onWarning = (message) => warnings.push(message);
  const planted = plantedCase();
  // Workers started before the fit where the host has threads for them; where it has none, why not.
  const started = devices === 1 ? null : await lib.startDevices(devices === 'auto' || devices === undefined ? 'auto' : devices).then(
    (warm) => ({ warm }),
    (error) => ({ refused: String(error instanceof Error ? error.message : error) }),
  );
  const model = await lib.pca(planted, { k: PLANTED.k, seed: 5, devices, onWarning });
  const result = {
    capabilities: lib.capabilities(),
    startDevices: started,
    warnings,
    pca: {
      backend: model.backend,
      components: Array.from(model.components),
      componentBits: bits(model.components),
      varianceBits: bits(model.explainedVariance),
    },
  };
  if (golden) {
    const { d, k, learningRate, momentum, nesterov, reduction, steps } = golden.config;
    const game = await lib.EigenGame.create({
      d, k, init: golden.V0, preset: 'seed', reduction, optimizer: { type: 'sgd', learningRate, momentum, nesterov },
      devices, onWarning,
    });
    const trajectory = [];
    for (let t = 0; t < steps; t++) {
      const { utilities } = await game.step(golden.batches[t]);
      trajectory.push({ utilities: Array.from(utilities), V: Array.from(game.components()), bits: bits(game.components()) });
    }
    result.golden = { backend: game.backend, trajectory };
    game.dispose();
  }
  return result;
}
