// pca and EigenGame.run over streamed sources: the same answer as the in-memory fit and as the truth, the same bits
// from a .npy file, a CSV file and a Blob, and for any number of devices; memory bounded by the batch.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvSource, EigenGame, NpySource, pca, type PCAModel } from '../../src/entries/node';
import { gappedSpectrum } from '../../scripts/planted.mjs';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { sampledData } from '../helpers/sampled';

const directory = mkdtempSync(join(tmpdir(), 'eigengame-stream-'));
const n = 20000;
const d = 48;
const k = 4;
const sample = sampledData(n, d, gappedSpectrum(d, k, 0.1, 0.5), 7);
const npy = npyBytes(sample.data, n, d);
const npyFile = join(directory, 'sample.npy');
writeFileSync(npyFile, npy);

function cosines(model: PCAModel, reference: ArrayLike<number>): number[] {
  return Array.from({ length: k }, (_, i) => {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += model.components[i * d + c] * reference[i * d + c];
    return Math.abs(dot);
  });
}

describe('pca of a streamed source', { timeout: 60_000 }, () => {
  let inMemory: PCAModel;
  let streamed: PCAModel;

  it('a .npy file gives the in-memory answer (|cos| ≥ 0.999999, variances to 1e-6) and the population eigenvectors', async () => {
    inMemory = await pca(sample, { k, devices: 1 });
    streamed = await pca(new NpySource(npyFile), { k, batchSize: 512, devices: 1 });
    for (const cos of cosines(streamed, inMemory.components)) expect(cos).toBeGreaterThan(0.999999);
    for (const cos of cosines(streamed, sample.eigenvectors)) expect(cos).toBeGreaterThan(0.99);
    streamed.explainedVariance.forEach((value, i) => expect(Math.abs(value / inMemory.explainedVariance[i] - 1)).toBeLessThan(1e-6));
    expect(streamed.nSamples).toBe(n);
    Array.from(streamed.mean).forEach((value, c) => expect(value).toBeCloseTo(inMemory.mean[c], 6));
  });

  it('a CSV file, a Blob and bytes give the same bits as the .npy file', async () => {
    const rows = 3000;
    const part = sample.data.subarray(0, rows * d);
    const text = Array.from({ length: rows }, (_, r) => Array.from(part.subarray(r * d, (r + 1) * d)).join(',')).join('\n');
    const csvFile = join(directory, 'part.csv');
    writeFileSync(csvFile, text);
    const bytes = npyBytes(part, rows, d);
    const reference = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1 });
    for (const source of [new CsvSource(csvFile), new NpySource(new Blob([bytes as Uint8Array<ArrayBuffer>])), new CsvSource(new TextEncoder().encode(text))]) {
      const model = await pca(source, { k, batchSize: 256, devices: 1 });
      expect(model.components).toEqual(reference.components);
      expect(model.explainedVariance).toEqual(reference.explainedVariance);
    }
  });

  it('gives the same bits on 2 worker devices', async () => {
    const model = await pca(new NpySource(npyFile), { k, batchSize: 512, devices: 2 });
    expect(model.backend).toMatchObject({ kind: 'workers', devices: 2 });
    expect(model.components).toEqual(streamed.components);
  });

  it('reads the file once (the covariance route), reporting the rows read; another seed starts elsewhere, ends the same', async () => {
    const reports: { step: number; rowsRead?: number; epoch?: number }[] = [];
    const model = await pca(new NpySource(npyFile), { k, batchSize: 512, devices: 1, seed: 1, onProgress: (p) => reports.push(p) });
    expect(model.solver).toBe('covariance');
    expect(model.passes).toBe(1);
    const pass = reports.filter((report) => report.rowsRead !== undefined);
    expect(pass.map((report) => report.rowsRead)).toEqual(Array.from({ length: Math.ceil(n / 512) }, (_, b) => Math.min(n, (b + 1) * 512)));
    expect(pass.every((report) => report.epoch === 1)).toBe(true);
    expect(model.components).not.toEqual(streamed.components);
    for (const cos of cosines(model, inMemory.components)) expect(cos).toBeGreaterThan(0.999999);
  });

  it('a one-shot stream gives the in-memory answer: one pass, every row read, each block centred at its own mean', async () => {
    const rows = 100000;
    const long = sampledData(rows, d, gappedSpectrum(d, k, 0.1, 0.5), 8);
    const reference = await pca(long, { k, devices: 1 });
    const model = await pca(new NpySource(chunkedStream(npyBytes(long.data, rows, d), [65536, 1000])), { k, batchSize: 256, devices: 1 });
    expect(model.nSamples).toBe(rows);
    expect(model.converged).toBe(true);
    for (const cos of cosines(model, reference.components)) expect(cos).toBeGreaterThan(0.999999);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.explainedVariance[i] - 1)).toBeLessThan(1e-6));
    Array.from(model.mean).forEach((value, c) => expect(Math.abs(value - reference.mean[c])).toBeLessThan(1e-12 * Math.abs(reference.mean[c]) + 1e-12));
  });

  it('rejects what it cannot fit, and stops on abort', async () => {
    await expect(pca(new NpySource(npyFile), { k: 60 })).rejects.toThrow(/k = 60 is larger than d = 48/);
    await expect(pca(new NpySource(npyFile), { k, solver: 'gram' })).rejects.toThrow(/solver 'gram' needs every row in memory/);
    await expect(pca(new NpySource(chunkedStream(npy, [4096])), { k, solver: 'data' })).rejects.toThrow(/solver 'data' reads .* once per round, and it is a stream/);
    const controller = new AbortController();
    const fit = pca(new NpySource(npyFile), {
      k, batchSize: 512, devices: 1, signal: controller.signal, onProgress: ({ step }) => step >= 20 && controller.abort(),
    });
    await expect(fit).rejects.toThrow(/abort/i);
  });
});

describe('convergence of streamed fits', { timeout: 60_000 }, () => {
  const rows = 2000;
  const bytes = npyBytes(sample.data.subarray(0, rows * d), rows, d);

  it('converges on the covariance; a cap on the rounds stops it short of tol, and it says so once', async () => {
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const exact = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1, onWarning });
    expect(exact.converged).toBe(true);
    expect(warnings).toEqual([]);
    const capped = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1, tol: 0, maxSteps: 40, onWarning });
    expect(capped.converged).toBe(false);
    expect(capped.toJSON().converged).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^pca stopped after maxSteps = 40 rounds before every component's residual was within tol = 0 of the largest variance: components? [\d, ]+( and \d+ more)? \(residuals? .* of the largest\) (is|are) not converged; raise maxSteps, or tol/,
    );
  });

  it('the data route (solver: data): rounds of passes over the file, the in-memory answer', async () => {
    const model = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1, solver: 'data' });
    const reference = await pca({ data: sample.data.subarray(0, rows * d), rows, cols: d }, { k, devices: 1 });
    expect(model.solver).toBe('data');
    expect(model.passes).toBe(model.rounds! + 1);
    expect(model.converged).toBe(true);
    for (const cos of cosines(model, reference.components)) expect(cos).toBeGreaterThan(0.999999);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.explainedVariance[i] - 1)).toBeLessThan(1e-6));
  });

  it('a one-shot stream too wide for the covariance: the game on its minibatches, which says it did not converge', async () => {
    const wide = 9600;
    const few = 300;
    const data = new Float32Array(few * wide).map((_, i) => Math.sin(i * 0.7) + ((i % wide) < 3 ? 5 * Math.cos(i) : 0));
    const warnings: string[] = [];
    const model = await pca(new NpySource(chunkedStream(npyBytes(data, few, wide), [1 << 20])), {
      k: 2, batchSize: 100, devices: 1, onWarning: (message) => warnings.push(message),
    });
    expect(model.solver).toBe('stream');
    expect([model.passes, model.rounds]).toEqual([1, 3]);
    expect(model.nSamples).toBe(few);
    expect(model.converged).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/^pca stopped after the stream ended \(3 steps\) before reaching tol = 1e-6 .*fit from a file instead/)]);
  });
});

describe('EigenGame.run over a source', () => {
  it('takes the same steps as over the same rows in memory, one block per step', async () => {
    const rows = 4096;
    const data = { data: sample.data.subarray(0, rows * d), rows, cols: d };
    const source = new NpySource(npyBytes(data.data, rows, d));
    const inMemory = await EigenGame.create({ d, k, seed: 3, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } });
    const streamed = await EigenGame.create({ d, k, seed: 3, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } });
    await inMemory.run(data, { steps: 8, batchSize: 512 });
    const progress: number[] = [];
    await streamed.run(source, { steps: 8, batchSize: 512, progressEvery: 4, onProgress: ({ step }) => progress.push(step) });
    expect(streamed.components()).toEqual(inMemory.components());
    expect(progress).toEqual([4, 8]);
    // Further epochs read the blocks in an order drawn from the game's seed, and save() keeps that generator.
    await streamed.run(source, { steps: 16, batchSize: 512 });
    expect(streamed.stepCount).toBe(24);
    const other = await EigenGame.create({ d: 3, k: 1 });
    await expect(other.run(source, { steps: 1 })).rejects.toThrow(/has 48 columns, but this game has d = 3/);
    for (const game of [inMemory, streamed, other]) game.dispose();
  });
});
