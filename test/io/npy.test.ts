// The .npy reader on files numpy itself wrote (test/fixtures/npy, by scripts/npy-fixtures.py): every value to the
// bit, both dtypes, format versions 1 and 2, a padded header; Fortran order and big-endian files refused by name.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NpySource } from '../../src/entries/node';
import { expectSameBits } from '../helpers/bits';
import { readAll } from '../helpers/npy';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/npy/${name}`, import.meta.url));
const values = JSON.parse(readFileSync(fixture('values.json'), 'utf8')) as Record<string, number[]>;

describe('.npy files written by numpy', () => {
  it.each([
    ['c-float32', 5, 3, 'float32'],
    ['c-float64', 4, 6, 'float64'],
    ['version2-float32', 3, 2, 'float32'],
    ['wide-float64', 2, 40, 'float64'],
  ] as const)('%s.npy: its shape and dtype, and every value to the bit (as a path and as bytes)', async (name, rows, cols, dtype) => {
    const expected = values[name];
    for (const source of [new NpySource(fixture(`${name}.npy`)), new NpySource(new Uint8Array(readFileSync(fixture(`${name}.npy`))))]) {
      expect(await source.info()).toMatchObject({ format: 'npy', rows, cols, dtype });
      expectSameBits(await readAll(source, 2), expected, name);
    }
  });

  it('a Fortran-order file and a big-endian one are refused, each saying what to do', async () => {
    await expect(new NpySource(fixture('fortran-float64.npy'), { name: 'f.npy' }).info()).rejects.toThrow(
      "f.npy is in Fortran order: save a C-order array (np.ascontiguousarray(X))",
    );
    await expect(new NpySource(fixture('big-endian-float32.npy'), { name: 'b.npy' }).info()).rejects.toThrow(
      "b.npy: dtype '>f4' is not supported (big-endian: save it with X.astype('<f4')); eigengame reads float32 ('<f4') and float64 ('<f8')",
    );
  });
});
