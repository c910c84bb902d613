import { expect } from 'vitest';

/**
 * Element-wise |actual − expected| ≤ tolerance · (scale[i] ?? 1) + tiny, with the first offending index in the
 * message. `scale` is typically the sum of absolute values of the terms that made the element.
 */
export function expectClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, scale?: ArrayLike<number>, what = 'value',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = tolerance * (scale ? scale[i] : 1) + 1e-30;
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= bound)) {
      expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (error ${error} > ${bound})`);
    }
  }
}
