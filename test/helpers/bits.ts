import { expect } from 'vitest';

/** Fails with the first differing index instead of dumping two arrays. */
export function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${what}: [${i}] = ${actual[i]}, expected ${expected[i]}`);
  }
}
