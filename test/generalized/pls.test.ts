// pls (PLS-SVD) against a float64 SVD of the cross-covariance on planted views (known singular values), from
// d = dx + dy = 5 to 1000, in-thread and on worker devices, and the PLSModel API.

import { describe, expect, it } from 'vitest';
import { PLSModel, pls } from '../../src/entries/node';
import { backends } from '../helpers/backends';
import { plsReference, rowCosine, spanDistance } from '../helpers/pencil-reference';
import { plantedViews } from '../helpers/planted-pencils';

const cases = [
  { n: 1000, dx: 3, dy: 2, k: 2, correlations: [0.9, 0.5] },
  { n: 2000, dx: 30, dy: 20, k: 3, correlations: [0.9, 0.7, 0.5] },
  { n: 3000, dx: 120, dy: 80, k: 5, correlations: [0.95, 0.85, 0.75, 0.65, 0.55] },
  { n: 3000, dx: 500, dy: 500, k: 3, correlations: [0.95, 0.9, 0.85] },
];

const prepared = new Map<(typeof cases)[number], { planted: ReturnType<typeof plantedViews>; reference: ReturnType<typeof plsReference> }>();
function prepare(c: (typeof cases)[number]) {
  if (!prepared.has(c)) {
    const planted = plantedViews({ n: c.n, dx: c.dx, dy: c.dy, correlations: c.correlations, seed: 7 * (c.dx + c.dy), spread: 3 });
    prepared.set(c, { planted, reference: plsReference(planted.x, planted.y, c.n, c.dx, c.dy, c.k) });
  }
  return prepared.get(c)!;
}

describe.each(backends)('pls on planted views, $name', ({ devices, kind }) => {
  it.each(cases)('n=$n dx=$dx dy=$dy k=$k: singular values, directions and spans those of float64 (bounds 10× the measured)', async (c) => {
    const { dx, dy, k } = c;
    const { planted, reference } = prepare(c);
    const model = await pls(planted.X, planted.Y, { k, devices });
    expect(model.backend).toMatchObject({ kind, devices });
    expect(model.converged).toBe(true);
    for (let i = 0; i < k; i++) {
      expect(Math.abs(model.singularValues[i] - reference.values[i]) / reference.values[i], `singular value ${i}`).toBeLessThanOrEqual(7e-7); // measured 7.2e-8 at worst
      expect(1 - rowCosine(model.xWeights, reference.x, i, dx), `x direction ${i}`).toBeLessThan(5e-7); // 4.9e-8
      expect(1 - rowCosine(model.yWeights, reference.y, i, dy), `y direction ${i}`).toBeLessThan(5e-7); // 4.9e-8
      // The planted structure: sample singular values near the population's (ρᵢ sxᵢ syᵢ).
      expect(Math.abs(model.singularValues[i] / planted.singularValues[i] - 1)).toBeLessThan(0.15);
    }
    // The fits stop at tol = 1e-7 on the bound of the subspace distance to go: what is measured sits below it.
    expect(spanDistance(model.xWeights, reference.x, k, dx), 'span of x').toBeLessThan(2e-7); // 1.8e-8
    expect(spanDistance(model.yWeights, reference.y, k, dy), 'span of y').toBeLessThan(2e-7); // 1.8e-8
    // The scores' covariances are the singular values.
    const { x, y } = model.transform(planted.X, planted.Y);
    for (let i = 0; i < k; i++) {
      let sum = 0;
      for (let r = 0; r < c.n; r++) sum += x.data[r * k + i] * y.data[r * k + i];
      expect(sum / (c.n - 1) / model.singularValues[i]).toBeCloseTo(1, 6);
    }
  }, 60_000);
});

describe('PLSModel', () => {
  it('round-trips through JSON with the same transform; weight rows are unit vectors', async () => {
    const planted = plantedViews({ n: 300, dx: 6, dy: 4, correlations: [0.8, 0.5], seed: 3 });
    const model = await pls(planted.X, planted.Y, { k: 2 });
    for (let i = 0; i < 2; i++) expect(Math.hypot(...model.xWeights.subarray(i * 6, (i + 1) * 6))).toBeCloseTo(1, 12);
    const again = PLSModel.fromJSON(JSON.stringify(model));
    expect(again.toJSON()).toEqual(model.toJSON());
    expect(again.transform(planted.X, planted.Y)).toEqual(model.transform(planted.X, planted.Y));
  });
});
