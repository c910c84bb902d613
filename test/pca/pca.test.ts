// pca against planted spectra whose eigenvectors are known exactly (scripts/planted.mjs), and the PCAModel API.

import { describe, expect, it } from 'vitest';
import { PCAModel, pca, subspaceDistance, longestStreak } from '../../src/entries/node';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';
import { backends } from '../helpers/backends';
import { leastAbsCos, uncentredEigen } from '../helpers/reference';

const cases = [
  { n: 200, d: 16, k: 1, gap: 0.01 },
  { n: 400, d: 16, k: 4, gap: 0.01 },
  { n: 600, d: 64, k: 8, gap: 0.05 },
  { n: 700, d: 128, k: 16, gap: 0.01 },
  { n: 900, d: 256, k: 32, gap: 0.01 },
  { n: 1100, d: 1024, k: 1, gap: 0.01 },
  { n: 1100, d: 1024, k: 32, gap: 0.01 },
];

function truth(eigenvectors: Float64Array, k: number, d: number) {
  return { data: eigenvectors.subarray(0, k * d), rows: k, cols: d };
}

describe.each(backends)('pca on planted spectra, $name', ({ devices, kind }) => {
  it.each(cases)('n=$n d=$d k=$k, eigengap $gap: every vector |cos| ≥ 0.999, subspace distance ≤ 1e-6', async ({ n, d, k, gap }) => {
    const spectrum = gappedSpectrum(d, k, gap);
    const planted = plantedData({ n, d, spectrum, seed: d + k });
    const model = await pca(planted, { k, devices });
    expect(model.backend).toMatchObject({ kind, devices });
    const found = { data: model.components, rows: k, cols: d };
    for (let i = 0; i < k; i++) {
      let cosine = 0;
      for (let c = 0; c < d; c++) cosine += model.components[i * d + c] * planted.eigenvectors[i * d + c];
      if (!(Math.abs(cosine) >= 0.999)) expect.fail(`component ${i}: |cos| = ${Math.abs(cosine)}`);
      expect(model.explainedVariance[i]).toBeCloseTo(spectrum[i], 4);
    }
    expect(subspaceDistance(found, truth(planted.eigenvectors, k, d))).toBeLessThanOrEqual(1e-6);
    expect(longestStreak(found, truth(planted.eigenvectors, k, d))).toBe(k);
    const total = spectrum.reduce((a, b) => a + b, 0);
    for (let i = 0; i < k; i++) expect(model.explainedVarianceRatio[i]).toBeCloseTo(spectrum[i] / total, 6);
    for (let c = 0; c < d; c++) expect(model.mean[c]).toBeCloseTo(planted.mean[c], 5);
    expect(model.nSamples).toBe(n);
  }, 60_000);
});

describe('pca on small and degenerate problems', () => {
  it('matches the classic 10 × 2 textbook example (scikit-learn gives the same numbers)', async () => {
    const X = [[2.5, 2.4], [0.5, 0.7], [2.2, 2.9], [1.9, 2.2], [3.1, 3.0], [2.3, 2.7], [2, 1.6], [1, 1.1], [1.5, 1.6], [1.1, 0.9]];
    const model = await pca(X, { k: 2 });
    expect(model.explainedVariance[0]).toBeCloseTo(1.28402771, 6);
    expect(model.explainedVariance[1]).toBeCloseTo(0.0490834, 6);
    const expected = [0.6778734, 0.7351787, 0.7351787, -0.6778734];
    expected.forEach((value, i) => expect(model.components[i]).toBeCloseTo(value, 6));
    expect(model.explainedVarianceRatio[0] + model.explainedVarianceRatio[1]).toBeCloseTo(1, 6);
  });

  it('k = d gives the whole eigendecomposition', async () => {
    const d = 10;
    const spectrum = Float64Array.from({ length: d }, (_, i) => 2 ** -i);
    const planted = plantedData({ n: 100, d, spectrum, seed: 8 });
    const model = await pca(planted, { k: d });
    spectrum.forEach((value, i) => expect(model.explainedVariance[i]).toBeCloseTo(value, 5));
    expect(longestStreak({ data: model.components, rows: d, cols: d }, truth(planted.eigenvectors, d, d), 1e-3)).toBe(d);
  });

  it('rank-deficient data with k above the rank: zero variances for the extra components, and it stops', async () => {
    const d = 10;
    const spectrum = Float64Array.from({ length: d }, (_, i) => (i < 3 ? 3 - i : 0));
    const planted = plantedData({ n: 200, d, spectrum, seed: 4 });
    let steps = 0;
    const model = await pca(planted, { k: 5, onProgress: (p) => (steps = p.step) });
    expect(Array.from(model.explainedVariance.subarray(0, 3)).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([3, 2, 1]);
    expect(model.explainedVariance[3]).toBeLessThan(1e-6);
    expect(model.explainedVariance[4]).toBeLessThan(1e-6);
    expect(subspaceDistance({ data: model.components.subarray(0, 30), rows: 3, cols: d }, truth(planted.eigenvectors, 3, d))).toBeLessThan(1e-6);
    expect(steps).toBeLessThan(1000);
  });

  it('a steep spectrum (each eigenvalue a tenth of the one before) converges for every component', async () => {
    const d = 20;
    const k = 6;
    const spectrum = Float64Array.from({ length: d }, (_, i) => 10 ** -i);
    const planted = plantedData({ n: 500, d, spectrum, seed: 2 });
    const model = await pca(planted, { k });
    expect(longestStreak({ data: model.components, rows: k, cols: d }, truth(planted.eigenvectors, k, d), Math.acos(0.999))).toBe(k);
    expect(subspaceDistance({ data: model.components, rows: k, cols: d }, truth(planted.eigenvectors, k, d))).toBeLessThan(1e-6);
  });
});

describe('PCAModel', () => {
  const d = 24;
  const k = 5;
  const planted = plantedData({ n: 300, d, spectrum: gappedSpectrum(d, k, 0.1), seed: 7 });

  it('sorts components by variance with canonical signs (largest loading positive), unit and orthogonal', async () => {
    const model = await pca(planted, { k });
    for (let i = 0; i < k; i++) {
      const row = model.components.subarray(i * d, (i + 1) * d);
      const largest = row.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      expect(largest).toBeGreaterThan(0);
      if (i > 0) expect(model.explainedVariance[i]).toBeLessThanOrEqual(model.explainedVariance[i - 1]);
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += row[c] * model.components[j * d + c];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
  });

  it('transform and inverseTransform round-trip data inside the component subspace', async () => {
    const model = await pca(planted, { k });
    const scores = model.transform(planted);
    expect([scores.rows, scores.cols]).toEqual([300, k]);
    // Scores have the component variances.
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let r = 0; r < 300; r++) s += scores.data[r * k + j] ** 2;
      expect(s / 299).toBeCloseTo(model.explainedVariance[j], 4);
    }
    const back = model.inverseTransform(scores);
    const again = model.transform(back);
    for (let i = 0; i < scores.data.length; i++) expect(again.data[i]).toBeCloseTo(scores.data[i], 4);
    // Arrays of rows work as well as dense matrices.
    const rows = [Array.from(planted.data.subarray(0, d)), Array.from(planted.data.subarray(d, 2 * d))];
    expect(Array.from(model.transform(rows).data)).toEqual(Array.from(scores.data.subarray(0, 2 * k)));
  });

  it('toJSON / fromJSON round-trips every field, also through a JSON string', async () => {
    const model = await pca(planted, { k });
    const copy = PCAModel.fromJSON(JSON.stringify(model));
    expect(copy.components).toEqual(model.components);
    expect(copy.explainedVariance).toEqual(model.explainedVariance);
    expect(copy.explainedVarianceRatio).toEqual(model.explainedVarianceRatio);
    expect(copy.mean).toEqual(model.mean);
    expect([copy.k, copy.d, copy.nSamples]).toEqual([k, d, 300]);
    expect(copy.converged).toBe(true);
  });

  it('says whether it converged: a fit stopped by maxSteps before tol has converged: false, in JSON too, and warns once', async () => {
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const model = await pca(planted, { k, onWarning });
    expect(model.converged).toBe(true);
    expect(warnings).toEqual([]);
    const capped = await pca(planted, { k, maxSteps: 5, onWarning });
    expect(capped.converged).toBe(false);
    expect(warnings).toHaveLength(1);
    // The last round allowed checks instead of moving: the warning names the pairs it found unconverged, and what helps.
    expect(warnings[0]).toMatch(
      /^pca stopped after maxSteps = 5 rounds before every component's residual was within tol = 1e-6 of the largest variance: components? [\d, ]+( and \d+ more)? \(residuals? (\d(\.\d)?e-\d+(, )?)+ of the largest\) (is|are) not converged; raise maxSteps, or tol/,
    );
    const json = capped.toJSON();
    expect(json).toMatchObject({ version: 2, converged: false });
    expect(PCAModel.fromJSON(JSON.stringify(json)).converged).toBe(false);
    // A version 1 file, written before the field existed, loads as converged.
    const { converged: _, ...version1 } = { ...json, version: 1 as const };
    expect(PCAModel.fromJSON(version1).converged).toBe(true);
  });

  it('is deterministic: the same seed and data give the same bits; another seed still converges', async () => {
    const a = await pca(planted, { k, seed: 3 });
    const b = await pca(planted, { k, seed: 3 });
    expect(a.components).toEqual(b.components);
    expect(a.explainedVariance).toEqual(b.explainedVariance);
    const c = await pca(planted, { k, seed: 4 });
    const found = { data: c.components, rows: k, cols: d };
    expect(subspaceDistance(found, { data: a.components, rows: k, cols: d })).toBeLessThan(1e-6);
  });

  it('accepts Float32Array data, arrays of rows and Float32Array rows alike', async () => {
    const f32 = { data: Float32Array.from(planted.data), rows: 300, cols: d };
    const rowsOf = Array.from({ length: 300 }, (_, r) => f32.data.slice(r * d, (r + 1) * d));
    const a = await pca(f32, { k });
    const b = await pca(rowsOf, { k });
    const c = await pca(rowsOf.map((row) => Array.from(row)), { k });
    expect(b.components).toEqual(a.components);
    expect(c.components).toEqual(a.components);
  });

  it('center: false finds the eigenpairs of XᵀX/(n−1) in float64 and reports a zero mean', async () => {
    const model = await pca(planted, { k, center: false });
    expect(Array.from(model.mean).every((m) => m === 0)).toBe(true);
    const reference = uncentredEigen(planted.data, 300, d);
    const found = { data: model.components, rows: k, cols: d };
    // Measured on this data (simd and relaxed-simd): 1 − |cos| 2.3e-8, subspace distance 1.3e-10, variances and
    // their ratios 9.2e-8 relative (float32 products); the bounds are about 10× those.
    expect(1 - leastAbsCos(model.components, reference.vectors, k, d)).toBeLessThan(2.5e-7);
    expect(subspaceDistance(found, { data: reference.vectors.subarray(0, k * d), rows: k, cols: d })).toBeLessThan(1.5e-9);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.values[i] - 1)).toBeLessThan(1e-6));
    model.explainedVarianceRatio.forEach((value, i) => expect(Math.abs(value / (reference.values[i] / reference.total) - 1)).toBeLessThan(1e-6));
  });

  it('reports progress and stops early on a loose tol', async () => {
    const seen: number[] = [];
    await pca(planted, { k, tol: 1e-3, onProgress: (p) => seen.push(p.step) });
    const strict: number[] = [];
    await pca(planted, { k, tol: 1e-12, onProgress: (p) => strict.push(p.step) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!).toBeLessThan(strict.at(-1)!);
    const capped: number[] = [];
    await pca(planted, { k, maxSteps: 25, tol: 0, onProgress: (p) => capped.push(p.step) });
    expect(capped).toEqual([5, 10, 15, 20, 25]);
  });

  it('aborts with the signal’s AbortError, before starting or mid-fit', async () => {
    const before = new AbortController();
    before.abort();
    await expect(pca(planted, { k, signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const during = new AbortController();
    const fit = pca(planted, {
      k, tol: 0, maxSteps: 1_000_000, signal: during.signal,
      onProgress: (p) => { if (p.step === 30) during.abort(); },
    });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('an abort from a timer reaches a running fit: the fit yields to the event loop while it computes', async () => {
    const big = plantedData({ n: 4000, d: 200, spectrum: gappedSpectrum(200, 8, 0.01), seed: 1 });
    const controller = new AbortController();
    let reports = 0;
    let reportsAtAbort = -1;
    // One in-thread device: the path where the calling thread computes, so only its turns let the timer run (on
    // worker devices, reports already posted when the abort lands may still arrive after it).
    const fit = pca(big, {
      k: 8, tol: 0, maxSteps: 1_000_000, signal: controller.signal, devices: 1,
      onProgress: () => {
        // The timer is set once the rounds have begun: it fires only if the fit gives the event loop a turn.
        if (++reports === 2) {
          setTimeout(() => {
            reportsAtAbort = reports;
            controller.abort();
          }, 0);
        }
      },
    });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
    // The abort landed mid-fit and stopped it within a report interval (5 rounds): at most one more report.
    expect(reportsAtAbort).toBeGreaterThanOrEqual(2);
    expect(reports - reportsAtAbort).toBeLessThanOrEqual(1);
  });
});
