// The seeded generator's bulk normals (src/math/rng.ts fillNormals), which start pca's players: standard normal
// deviates, the same for the same seed, written exactly where asked.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/rng';

describe('Rng.fillNormals', () => {
  it('draws standard normals: mean 0, variance 1, the share beyond 1.96 of a normal, neighbours uncorrelated', () => {
    const count = 200_001;
    const x = new Float64Array(count);
    Rng.fromSeed(7).fillNormals(x, 0, count);
    let sum = 0;
    let squares = 0;
    let beyond = 0;
    let lagged = 0;
    for (let i = 0; i < count; i++) {
      sum += x[i];
      squares += x[i] * x[i];
      if (Math.abs(x[i]) > 1.96) beyond++;
      if (i > 0) lagged += x[i] * x[i - 1];
    }
    // Five standard errors: 1/√n for the mean and the lag-1 correlation, √(2/n) for the variance, √(p(1−p)/n) for the tail.
    expect(Math.abs(sum / count)).toBeLessThan(5 / Math.sqrt(count));
    expect(Math.abs(squares / count - 1)).toBeLessThan(5 * Math.sqrt(2 / count));
    expect(Math.abs(beyond / count - 0.05)).toBeLessThan(5 * Math.sqrt(0.05 * 0.95 / count));
    expect(Math.abs(lagged / count)).toBeLessThan(5 / Math.sqrt(count));
  });

  it('fills [first, first + count) and nothing else, the same values for the same seed', () => {
    for (const count of [1, 2, 7, 8]) {
      const a = new Float32Array(count + 6).fill(99);
      const b = new Float32Array(count + 6).fill(99);
      Rng.fromSeed(3).fillNormals(a, 3, count);
      Rng.fromSeed(3).fillNormals(b, 3, count);
      expect(Array.from(a.subarray(0, 3))).toEqual([99, 99, 99]);
      expect(Array.from(a.subarray(3 + count))).toEqual([99, 99, 99]);
      expect(a.subarray(3, 3 + count).every((value) => value !== 99 && Number.isFinite(value))).toBe(true);
      expect(a).toEqual(b);
    }
  });
});
