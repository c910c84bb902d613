// The float64 algebra pca's Rayleigh–Ritz steps rest on: the tridiagonal eigensolver against cyclic Jacobi (slow,
// simple, trusted) on random, degenerate and graded matrices, and its own residuals and orthogonality.

import { describe, expect, it } from 'vitest';
import { plainNumbers, symmetricEigen } from '../../src/math/linalg';
import { normals } from '../helpers/random';
import { jacobiEigen } from '../helpers/reference';

function symmetric(n: number, seed: number, grade = 1): Float64Array {
  const values = normals(seed, n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = values[i * n + j] * grade ** -(i + j);
      a[i * n + j] = value;
      a[j * n + i] = value;
    }
  }
  return a;
}

describe('symmetricEigen (Householder + implicit QL)', () => {
  const cases: [string, Float64Array, number][] = [
    ...[1, 2, 3, 7, 16, 33, 96].map((n): [string, Float64Array, number] => [`random ${n} × ${n}`, symmetric(n, n), n]),
    ['graded 24 × 24 (entries falling by 2 per index)', symmetric(24, 5, 2), 24],
    ['repeated eigenvalues (the identity with one 3)', Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? (i === 0 ? 3 : 1) : 0)), 6],
    ['zero matrix', new Float64Array(25), 5],
  ];
  it.each(cases)('%s: the eigenvalues of Jacobi, orthonormal vectors, residuals at rounding', (_name, a, n) => {
    const { values, vectors } = symmetricEigen(a, n);
    const reference = jacobiEigen(a, n);
    const size = Math.max(1e-300, ...Array.from(a, Math.abs));
    for (let i = 0; i < n; i++) {
      expect(Math.abs(values[i] - reference.values[i])).toBeLessThan(1e-12 * size * n);
      if (i > 0) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      for (let r = 0; r < n; r++) {
        let image = 0;
        for (let c = 0; c < n; c++) image += a[r * n + c] * vectors[i * n + c];
        expect(Math.abs(image - values[i] * vectors[i * n + r])).toBeLessThan(1e-12 * size * n);
      }
      for (let j = 0; j < n; j++) {
        let overlap = 0;
        for (let c = 0; c < n; c++) overlap += vectors[i * n + c] * vectors[j * n + c];
        expect(Math.abs(overlap - (i === j ? 1 : 0))).toBeLessThan(1e-12 * n);
      }
    }
  });
});

describe('plainNumbers', () => {
  it("gives a typed array's values as a plain array, every value's bits kept, which JSON writes as a list", () => {
    const values = Float32Array.of(1.5, -0, 2 ** -149, 3.4028234663852886e38, -7.25);
    const plain = plainNumbers(values);
    expect(Array.isArray(plain)).toBe(true);
    expect(plain).toHaveLength(values.length);
    plain.forEach((value, i) => expect(Object.is(value, values[i]), `value ${i}`).toBe(true));
    expect(JSON.parse(JSON.stringify(plainNumbers(Float64Array.of(0.1, 1e-300))))).toEqual([0.1, 1e-300]);
    expect(plainNumbers(new Float64Array(0))).toEqual([]);
  });
});
