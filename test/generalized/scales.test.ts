// The views' scales of cca and pls come from all the rows, not from the first batch: a source whose first batch
// barely varies (spread 1e-15) and whose later rows are of order 1e10 (read 100 rows at a time).

import { describe, expect, it } from 'vitest';
import { NpySource, cca, pls } from '../../src/entries/node';
import { Rng } from '../../src/math/rng';
import { npyBytes } from '../helpers/npy';
import { ccaReference, plsReference } from '../helpers/pencil-reference';

describe('views whose first batch barely varies', () => {
  const n = 2000;
  const dx = 3;
  const dy = 2;
  const rng = Rng.fromSeed(5);
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  for (let r = 0; r < n; r++) {
    const size = r < 100 ? 1e-15 : 1e10;
    for (let c = 0; c < dx; c++) x[r * dx + c] = size * rng.nextNormal();
    for (let c = 0; c < dy; c++) y[r * dy + c] = 0.6 * x[r * dx + c] + 0.8 * size * rng.nextNormal();
  }
  const joint = new Float64Array(n * (dx + dy));
  for (let r = 0; r < n; r++) {
    joint.set(x.subarray(r * dx, (r + 1) * dx), r * (dx + dy));
    joint.set(y.subarray(r * dy, (r + 1) * dy), r * (dx + dy) + dx);
  }
  const source = () => new NpySource(npyBytes(joint, n, dx + dy, 'float64'), { name: 'joint.npy' });
  const columns = { x: [0, 1, 2], y: [3, 4] };
  const relative = (found: number, expected: number) => Math.abs(found - expected) / expected;

  it('cca: the correlations of float64, from a source read 100 rows at a time', async () => {
    const expected = ccaReference(x, y, n, dx, dy, 2);
    const model = await cca(source(), { ...columns, k: 2, batchSize: 100, devices: 1 });
    expect(model.converged).toBe(true);
    for (let i = 0; i < 2; i++) expect(relative(model.correlations[i], expected.values[i]), `correlation ${i}`).toBeLessThanOrEqual(1e-9);
  });

  it('pls: the singular values of float64, from a source read 100 rows at a time', async () => {
    const expected = plsReference(x, y, n, dx, dy, 2);
    const model = await pls(source(), { ...columns, k: 2, batchSize: 100, devices: 1 });
    expect(model.converged).toBe(true);
    for (let i = 0; i < 2; i++) expect(relative(model.singularValues[i], expected.values[i]), `singular value ${i}`).toBeLessThanOrEqual(1e-9);
  });
});
