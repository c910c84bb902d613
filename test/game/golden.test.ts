// The seed preset reproduces float64 trajectories of the paper's appendix rule (fixtures/golden, copied from the
// project's shared golden set; format in fixtures/golden/README.md) at every step, by step() and by run().
// Measured over the four files, both backends and both arithmetics: utilities within 6.3e-6 relative (the
// mean-reduction file; the others 1.4e-6), V within 1.3e-7 absolute (about two float32 ulps at 1). The bounds
// below are about 8× those.
const UTILITY_TOLERANCE = 5e-5;
const V_TOLERANCE = 1e-6;

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EigenGame } from '../../src/entries/node';
import { backends } from '../helpers/backends';
import { expectSameBits } from '../helpers/bits';

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
        if (!(relative <= UTILITY_TOLERANCE)) expect.fail(`${file} step ${t + 1}: utility ${i} = ${utilities[i]}, expected ${expected}`);
      });
      expectMatrixClose(game.components(), golden.steps[t].V, V_TOLERANCE, `${file} step ${t + 1}`);
    }
    expect(game.stepCount).toBe(steps);
    game.dispose();
  });

  it.each(runs)('EigenGame.run over the golden batches: the trajectory, and the bits of step() on each, $file, $name', async ({ file, devices }) => {
    const golden = JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as GoldenFile;
    const { N, d, k, learningRate, momentum, nesterov, reduction, steps } = golden.config;
    const create = () => EigenGame.create({
      d, k, init: golden.V0, preset: 'seed', reduction, optimizer: { type: 'sgd', learningRate, momentum, nesterov }, devices,
    });
    // run() takes batchSize rows after the previous step's: the golden batches one after another are its data.
    const data = { data: Float64Array.from(golden.batches.flat(2)), rows: steps * N, cols: d };
    const running = await create();
    const reported: Float64Array[] = [];
    await running.run(data, { steps, batchSize: N, progressEvery: 1, onProgress: ({ utilities }) => reported.push(utilities.slice()) });
    expect(reported).toHaveLength(steps);
    reported.forEach((utilities, t) => golden.steps[t].utilities.forEach((expected, i) => {
      const relative = Math.abs(utilities[i] - expected) / Math.abs(expected);
      if (!(relative <= UTILITY_TOLERANCE)) expect.fail(`${file} run step ${t + 1}: utility ${i} = ${utilities[i]}, expected ${expected}`);
    }));
    expectMatrixClose(running.components(), golden.steps[steps - 1].V, V_TOLERANCE, `${file} after run`);
    const stepping = await create();
    for (const batch of golden.batches) await stepping.step(batch);
    expectSameBits(running.components(), stepping.components(), `${file}: V of run() against step()`);
    expect(running.stepCount).toBe(steps);
    running.dispose();
    stepping.dispose();
  });
});
