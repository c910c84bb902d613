// cca against a float64 reference on planted views (known canonical correlations), from d = dx + dy = 5 to 1000,
// in-thread and on worker devices, and the CCAModel API.

import { describe, expect, it } from 'vitest';
import { CCAModel, cca } from '../../src/entries/node';
import { backends } from '../helpers/backends';
import { ccaReference, rowCosine, spanDistance } from '../helpers/pencil-reference';
import { independentViews } from '../helpers/flat';
import { plantedViews } from '../helpers/planted-pencils';

const cases = [
  { n: 1000, dx: 3, dy: 2, k: 2, correlations: [0.9, 0.6] },
  { n: 2000, dx: 30, dy: 20, k: 3, correlations: [0.9, 0.7, 0.5] },
  { n: 3000, dx: 120, dy: 80, k: 4, correlations: [0.95, 0.85, 0.75, 0.65] },
  { n: 3000, dx: 500, dy: 500, k: 3, correlations: [0.97, 0.94, 0.91] },
];

/** Each case's data and float64 answer, made once for both backends (the reference takes seconds at d = 1000). */
const prepared = new Map<(typeof cases)[number], { planted: ReturnType<typeof plantedViews>; reference: ReturnType<typeof ccaReference> }>();
function prepare(c: (typeof cases)[number]) {
  if (!prepared.has(c)) {
    const planted = plantedViews({ n: c.n, dx: c.dx, dy: c.dy, correlations: c.correlations, seed: c.dx + c.dy });
    prepared.set(c, { planted, reference: ccaReference(planted.x, planted.y, c.n, c.dx, c.dy, c.k) });
  }
  return prepared.get(c)!;
}

describe.each(backends)('cca on planted views, $name', ({ devices, kind }) => {
  it.each(cases)('n=$n dx=$dx dy=$dy k=$k: correlations, directions and spans those of float64 (bounds 10× the measured)', async (c) => {
    const { n, dx, dy, k, correlations } = c;
    const { planted, reference } = prepare(c);
    const model = await cca(planted.X, planted.Y, { k, devices });
    expect(model.backend).toMatchObject({ kind, devices });
    expect(model.converged).toBe(true);
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.correlations[i] - reference.values[i]) / reference.values[i], `correlation ${i}`).toBeLessThanOrEqual(5e-7); // measured 5.2e-8 at worst
      expect(1 - rowCosine(model.xWeights, reference.x, i, dx), `x direction ${i}`).toBeLessThan(4e-7); // 4.1e-8
      expect(1 - rowCosine(model.yWeights, reference.y, i, dy), `y direction ${i}`).toBeLessThan(4e-7); // 4.1e-8
      // The planted structure is what was found: sample correlations near the population's.
      expect(Math.abs(model.correlations[i] - correlations[i])).toBeLessThan(0.05);
    }
    // The fits stop at tol = 1e-7 on the bound of the subspace distance to go: what is measured sits below it.
    expect(spanDistance(model.xWeights, reference.x, k, dx), 'span of x').toBeLessThan(2.5e-7); // 2.3e-8
    expect(spanDistance(model.yWeights, reference.y, k, dy), 'span of y').toBeLessThan(2.5e-7); // 2.3e-8
    // Unit-variance variates whose correlations are the canonical correlations.
    const { x, y } = model.transform(planted.X, planted.Y);
    for (let i = 0; i < k; i++) {
      const [vx, vy, cxy] = moments(x.data, y.data, k, i, n);
      expect(vx).toBeCloseTo(1, 6);
      expect(vy).toBeCloseTo(1, 6);
      expect(cxy).toBeCloseTo(model.correlations[i], 6);
    }
  }, 60_000);
});

/** Variances and covariance (denominator n − 1) of column i of two n × k score matrices. */
function moments(a: Float64Array, b: Float64Array, k: number, i: number, n: number): [number, number, number] {
  let ma = 0;
  let mb = 0;
  for (let r = 0; r < n; r++) {
    ma += a[r * k + i] / n;
    mb += b[r * k + i] / n;
  }
  let va = 0;
  let vb = 0;
  let ab = 0;
  for (let r = 0; r < n; r++) {
    va += (a[r * k + i] - ma) ** 2;
    vb += (b[r * k + i] - mb) ** 2;
    ab += (a[r * k + i] - ma) * (b[r * k + i] - mb);
  }
  return [va / (n - 1), vb / (n - 1), ab / (n - 1)];
}

describe('cca beyond float32', () => {
  it('views with κ(Cxx) ≈ 1e6 and tol = 1e-9: float32 stalls, the float64 rounds finish', async () => {
    const planted = plantedViews({ n: 3000, dx: 40, dy: 30, correlations: [0.9, 0.8, 0.7], seed: 3, spread: 1000 });
    const stages: Record<string, number> = {};
    const model = await cca(planted.X, planted.Y, { k: 3, tol: 1e-9, onProgress: ({ stage }) => void (stages[stage] = (stages[stage] ?? 0) + 1) });
    expect(model.converged).toBe(true);
    // Every float64 round reports: more than the one report of a bare check.
    expect(stages.float64).toBeGreaterThan(2);
    const reference = ccaReference(planted.x, planted.y, 3000, 40, 30, 3);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(model.correlations[i] / reference.values[i] - 1)).toBeLessThan(1e-6);
      expect(rowCosine(model.xWeights, reference.x, i, 40)).toBeGreaterThan(0.9999);
    }
  });
});

describe('cca on crowded correlations', () => {
  // Two independent Gaussian views: their top canonical correlations are sampling noise, crowded within a few
  // tenths of a percent. Judged by residuals, every pair converges; the values are float64's eigh(A, B).
  it('independent views, n = 1000, 200 + 200 columns, k = 8 (ρ8 and ρ9 4e-4 apart): converged, correlations of float64', { timeout: 120_000 }, async () => {
    const [n, dx, dy, k] = [1000, 200, 200, 8];
    const { x, y } = independentViews(n, dx, dy, 10);
    const warnings: string[] = [];
    const model = await cca({ data: x, rows: n, cols: dx }, { data: y, rows: n, cols: dy }, { k, onWarning: (w) => warnings.push(w) });
    expect(model.converged).toBe(true);
    expect(warnings).toEqual([]);
    const reference = ccaReference(x, y, n, dx, dy, k);
    expect(reference.values[0] / reference.values[k - 1] - 1).toBeLessThan(0.1);
    for (let i = 0; i < k; i++) expect(Math.abs(model.correlations[i] - reference.values[i])).toBeLessThan(1e-7);
  });
});

describe('CCAModel', () => {
  it('round-trips through JSON with the same transform', async () => {
    const planted = plantedViews({ n: 300, dx: 6, dy: 4, correlations: [0.8, 0.5], seed: 3 });
    const model = await cca(planted.X, planted.Y, { k: 2 });
    const again = CCAModel.fromJSON(JSON.stringify(model));
    expect(again.toJSON()).toEqual(model.toJSON());
    expect(again.transform(planted.X, planted.Y)).toEqual(model.transform(planted.X, planted.Y));
    expect(again.backend).toBeNull();
  });
});
