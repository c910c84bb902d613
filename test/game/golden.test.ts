// The seed preset reproduces float64 trajectories of the paper's appendix rule (fixtures/golden, copied from the
// project's shared golden set; format in fixtures/golden/README.md): utilities to 1e-4 relative and V to 1e-4
// absolute at every step.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EigenGame } from '../../src/entries/node';
import { backends } from '../helpers/backends';

interface GoldenFile {
  name: string;
  config: {
    N: number; d: number; k: number; steps: number; learningRate: number; momentum: number; nesterov: boolean;
    reduction: 'sum' | 'mean'; shards: number;
  };
  V0: number[][];
  V0_normalized: number[][];
  batches: number[][][];
  steps: { grads: number[][]; utilities: number[]; V: number[][] }[];
}

const directory = new URL('../fixtures/golden/', import.meta.url);
const files = readdirSync(directory).filter((name) => name.endsWith('.json')).sort();

function expectMatrixClose(actual: Float32Array, expected: number[][], tolerance: number, what: string) {
  const d = expected[0].length;
  expected.forEach((row, i) => row.forEach((value, c) => {
    const got = actual[i * d + c];
    if (!(Math.abs(got - value) <= tolerance)) expect.fail(`${what}: V[${i}][${c}] = ${got}, expected ${value}`);
  }));
}

describe('golden trajectories of the seed rule', () => {
  it('the fixture set is complete', () => {
    expect(files).toEqual(['mean-reduction.json', 'seed-odd-dims.json', 'seed-small.json', 'seed-two-shards.json']);
  });

  const runs = backends.flatMap((backend) => files.map((file) => ({ file, ...backend })));

  it.each(runs)('$file, $name', async ({ file, devices, kind }) => {
    const golden = JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as GoldenFile;
    const { d, k, learningRate, momentum, nesterov, reduction, steps } = golden.config;
    // With two devices every file runs data-parallel: the devices split the batch's chunks of rows (two-shard
    // file: rows 0–31 and 32–49) and the shards' gradients are summed in chunk order, as the seed's psum does.
    const game = await EigenGame.create({
      d, k, init: golden.V0, preset: 'seed', reduction,
      optimizer: { type: 'sgd', learningRate, momentum, nesterov }, devices,
    });
    expect(game.backend).toMatchObject({ kind, devices, kPerDevice: k });
    expectMatrixClose(game.components(), golden.V0_normalized, 1e-6, `${file} V0`);
    for (let t = 0; t < steps; t++) {
      // The two-shard file's minibatch is the union of its shards: summed shard gradients equal one-shard ones.
      const { utilities } = await game.step(golden.batches[t]);
      golden.steps[t].utilities.forEach((expected, i) => {
        const relative = Math.abs(utilities[i] - expected) / Math.abs(expected);
        if (!(relative <= 1e-4)) expect.fail(`${file} step ${t + 1}: utility ${i} = ${utilities[i]}, expected ${expected}`);
      });
      expectMatrixClose(game.components(), golden.steps[t].V, 1e-4, `${file} step ${t + 1}`);
    }
    expect(game.stepCount).toBe(steps);
    game.dispose();
  });
});
