// lda against a float64 reference (scikit-learn's 'eigen' definitions) on planted classes, from d = 5 to 1000,
// in-thread and on worker devices, and the LDAModel API.

import { describe, expect, it } from 'vitest';
import { LDAModel, lda } from '../../src/entries/node';
import { backends } from '../helpers/backends';
import { turnsDuring } from '../helpers/event-loop';
import { ldaReference, rowCosine, spanDistance } from '../helpers/pencil-reference';
import { plantedClasses } from '../helpers/planted-pencils';

const cases = [
  { n: 600, d: 5, classes: 3, k: 2, separation: 1 },
  { n: 3000, d: 60, classes: 6, k: 5, separation: 0.5 },
  { n: 4000, d: 200, classes: 12, k: 4, separation: 0.3 },
  { n: 3000, d: 1000, classes: 10, k: 9, separation: 0.3 },
];

const prepared = new Map<(typeof cases)[number], { planted: ReturnType<typeof plantedClasses>; reference: ReturnType<typeof ldaReference> }>();
function prepare(c: (typeof cases)[number]) {
  if (!prepared.has(c)) {
    const planted = plantedClasses({ n: c.n, d: c.d, classes: c.classes, separation: c.separation, seed: c.d });
    prepared.set(c, { planted, reference: ldaReference(planted.x, planted.labels, c.n, c.d, c.k) });
  }
  return prepared.get(c)!;
}

describe.each(backends)('lda on planted classes, $name', ({ devices, kind }) => {
  it.each(cases)('n=$n d=$d classes=$classes k=$k: eigenvalues, directions and their span those of float64 (bounds 10× the measured)', async (c) => {
    const { d, k } = c;
    const { planted, reference } = prepare(c);
    const model = await lda(planted.X, planted.labels, { k, devices });
    expect(model.backend).toMatchObject({ kind, devices });
    expect(model.converged).toBe(true);
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.eigenvalues[i] - reference.values[i]) / reference.values[i], `eigenvalue ${i}`).toBeLessThanOrEqual(5e-7); // measured 5.3e-8 at worst
      expect(1 - rowCosine(model.scalings, reference.vectors, i, d), `direction ${i}`).toBeLessThan(2.5e-8); // 2.3e-9
      expect(Math.abs(model.explainedVarianceRatio[i] - reference.values[i] / reference.total)).toBeLessThanOrEqual(1e-4 * reference.values[i] / reference.total);
    }
    // The fits stop at tol = 1e-7 on the bound of the subspace distance to go: what is measured sits below it.
    expect(spanDistance(model.scalings, reference.vectors, k, d), 'span').toBeLessThan(1.5e-8); // 1.3e-9
    expect(model.classes).toEqual(Array.from({ length: c.classes }, (_, i) => i));
    // predict is the nearest class mean in the discriminant space: the reference's directions give the same classes
    // (but for rows on a boundary between two, within rounding), and far better than chance.
    const predicted = model.predict(planted.X);
    const expected = nearestMean(planted.x, planted.labels, reference.vectors, c.n, d, k, c.classes);
    const agree = predicted.filter((label, r) => label === expected[r]).length;
    expect(agree / c.n).toBeGreaterThanOrEqual(0.995);
    const right = predicted.filter((label, r) => label === planted.labels[r]).length;
    expect(right / c.n).toBeGreaterThan(2 / c.classes);
  }, 60_000);
});

/** Each row's class by the nearest class mean after projecting onto `directions` (k × d). */
function nearestMean(x: Float64Array, labels: number[], directions: Float64Array, n: number, d: number, k: number, classes: number): number[] {
  const project = (r: number) => Float64Array.from({ length: k }, (_, i) => {
    let sum = 0;
    for (let c = 0; c < d; c++) sum += x[r * d + c] * directions[i * d + c];
    return sum;
  });
  const scores = Array.from({ length: n }, (_, r) => project(r));
  const centroids = Array.from({ length: classes }, () => new Float64Array(k));
  const counts = new Float64Array(classes);
  scores.forEach((score, r) => {
    counts[labels[r]]++;
    score.forEach((value, i) => (centroids[labels[r]][i] += value));
  });
  centroids.forEach((centroid, c) => centroid.forEach((_, i) => (centroid[i] /= counts[c])));
  return scores.map((score) => {
    let best = 0;
    let bestDistance = Infinity;
    centroids.forEach((centroid, c) => {
      const distance = centroid.reduce((sum, value, i) => sum + (score[i] - value) ** 2, 0);
      if (distance < bestDistance) [best, bestDistance] = [c, distance];
    });
    return best;
  });
}

describe('LDAModel', () => {
  it('round-trips through JSON with the same transform and predictions; string labels sort', async () => {
    const planted = plantedClasses({ n: 300, d: 4, classes: 3, separation: 2, seed: 9 });
    const names = ['virginica', 'setosa', 'versicolor'];
    const labels = planted.labels.map((label) => names[label]);
    const model = await lda(planted.X, labels, { k: 2 });
    expect(model.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const again = LDAModel.fromJSON(JSON.stringify(model));
    expect(again.toJSON()).toEqual(model.toJSON());
    expect(again.transform(planted.X)).toEqual(model.transform(planted.X));
    expect(again.predict(planted.X)).toEqual(model.predict(planted.X));
  });
});

describe('lda with many classes', () => {
  it('gives the event loop its turns while it sums the trace of Sw⁻¹ Sb over thousands of classes (after its last round)', async () => {
    const classes = 6000;
    const planted = plantedClasses({ n: 2 * classes, d: 300, classes, separation: 0.5, seed: 4 });
    let lastRound = 0;
    const probe = await turnsDuring(() => lda(planted.X, planted.labels, {
      k: 3, devices: 2, regularization: 1e-2, onProgress: (p) => (lastRound = p.stage === 'float64' ? performance.now() : lastRound),
    }));
    const end = performance.now();
    expect(probe.outcome).toHaveProperty('value.converged', true);
    expect(lastRound).toBeGreaterThan(0);
    // After the last float64 round: the trace, a triangular solve per class (6000 × 300² / 2 flops; measured here
    // 0.3–1 s), then the model. At least a turn per 10 cadences there (a trace that never yields has none).
    const after = probe.times.filter((time) => time > lastRound).length;
    const tail = Math.max(0, end - lastRound);
    expect(after).toBeGreaterThanOrEqual(Math.floor(tail / 500));
    // The whole fit: no gap above 40 cadences (2 s; measured here up to ~0.5 s, on a machine shared by many jobs).
    expect(probe.longestGap).toBeLessThan(2000);
  }, 120_000);
});
