// The papers' metrics and the small float64 linear algebra behind them and behind Rayleigh–Ritz.

import { describe, expect, it } from 'vitest';
import { longestStreak, subspaceDistance } from '../../src/entries/node';
import { orthonormalizeRows, symmetricEigen } from '../../src/math/linalg';
import { normals } from '../helpers/random';

const e = (i: number, d = 4) => Array.from({ length: d }, (_, c) => (c === i ? 1 : 0));

describe('longestStreak', () => {
  it('counts leading vectors within the angle, ignoring sign, stopping at the first miss', () => {
    const truth = [e(0), e(1), e(2)];
    expect(longestStreak([e(0), e(1), e(2)], truth)).toBe(3);
    expect(longestStreak([e(0).map((x) => -x), e(1), e(2)], truth)).toBe(3);
    expect(longestStreak([e(0), e(2), e(1)], truth)).toBe(1);
    expect(longestStreak([e(3), e(1), e(2)], truth)).toBe(0);
  });

  it('uses π/8 by default and honours a custom angle', () => {
    const tilt = (angle: number) => [[Math.cos(angle), Math.sin(angle), 0, 0]];
    expect(longestStreak(tilt(Math.PI / 8 - 1e-6), [e(0)])).toBe(1);
    expect(longestStreak(tilt(Math.PI / 8 + 1e-6), [e(0)])).toBe(0);
    expect(longestStreak(tilt(0.1), [e(0)], 0.05)).toBe(0);
  });

  it('does not need unit rows and accepts dense matrices', () => {
    expect(longestStreak({ data: Float32Array.of(3, 0, 0, 0), rows: 1, cols: 4 }, [e(0)])).toBe(1);
  });
});

describe('subspaceDistance', () => {
  it('is 0 for the same span (any basis), 1 for orthogonal spans, 1/2 for half overlap', () => {
    const s = Math.SQRT1_2;
    expect(subspaceDistance([[s, s, 0, 0], [s, -s, 0, 0]], [e(0), e(1)])).toBeCloseTo(0, 15);
    expect(subspaceDistance([e(2), e(3)], [e(0), e(1)])).toBe(1);
    expect(subspaceDistance([e(0), e(2)], [e(0), e(1)])).toBeCloseTo(0.5, 15);
  });

  it('matches 1 − mean cos² of the principal angles for one vector', () => {
    const angle = 0.3;
    expect(subspaceDistance([[Math.cos(angle), Math.sin(angle), 0, 0]], [e(0)])).toBeCloseTo(Math.sin(angle) ** 2, 14);
  });
});

describe('float64 linear algebra', () => {
  it('symmetricEigen recovers a planted decomposition, eigenvalues descending', () => {
    const n = 7;
    const q = Float64Array.from(normals(9, n * n));
    expect(orthonormalizeRows(q, n, n)).toBe(true);
    const values = [5, 4, 4 - 1e-9, 2, 1, 0, -3];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let p = 0; p < n; p++) a[i * n + j] += q[p * n + i] * values[p] * q[p * n + j];
    const { values: found, vectors } = symmetricEigen(a, n);
    found.forEach((value, i) => expect(value).toBeCloseTo(values[i], 12));
    // A v = λ v for every returned vector, including the nearly degenerate pair.
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[p * n + j];
        expect(av).toBeCloseTo(found[p] * vectors[p * n + i], 12);
      }
    }
  });

  it('orthonormalizeRows reports dependent rows', () => {
    expect(orthonormalizeRows(Float64Array.of(1, 2, 2, 4), 2, 2)).toBe(false);
    const m = Float64Array.of(3, 0, 1, 1);
    expect(orthonormalizeRows(m, 2, 2)).toBe(true);
    expect(Array.from(m)).toEqual([1, 0, 0, 1]);
  });
});
