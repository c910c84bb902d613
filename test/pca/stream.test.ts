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

  it('reports epochs, rows read and step sizes, and a new seed changes the block order', async () => {
    const reports: { epoch?: number; rowsRead?: number; rateScale?: number }[] = [];
    const model = await pca(new NpySource(npyFile), { k, batchSize: 512, devices: 1, seed: 1, onProgress: (p) => reports.push(p) });
    // A first pass, 2 minibatch epochs, then exact passes (rate 0) until the subspace has settled.
    const last = reports.at(-1)!;
    expect(last.rowsRead).toBe(n * (1 + last.epoch!));
    expect(last.epoch).toBeGreaterThan(2);
    expect(last.rateScale).toBe(0);
    expect(reports.map((r) => r.epoch)).toContain(2);
    expect(model.components).not.toEqual(streamed.components);
    for (const cos of cosines(model, inMemory.components)) expect(cos).toBeGreaterThan(0.999999);
  });

  it('a one-shot stream: one pass with a running mean, close to the answer when the stream is long', async () => {
    const rows = 100000;
    const long = sampledData(rows, d, gappedSpectrum(d, k, 0.1, 0.5), 8);
    const reference = await pca(long, { k, devices: 1 });
    const model = await pca(new NpySource(chunkedStream(npyBytes(long.data, rows, d), [65536, 1000])), { k, batchSize: 256, devices: 1 });
    expect(model.nSamples).toBe(rows);
    for (const cos of cosines(model, reference.components)) expect(cos).toBeGreaterThan(0.99);
    model.explainedVariance.forEach((value, i) => expect(Math.abs(value / reference.explainedVariance[i] - 1)).toBeLessThan(0.05));
    Array.from(model.mean).forEach((value, c) => expect(value).toBeCloseTo(reference.mean[c], 4));
  });

  it('rejects what it cannot fit, and stops on abort', async () => {
    await expect(pca(new NpySource(npyFile), { k: 60 })).rejects.toThrow(/k = 60 is larger than d = 48/);
    await expect(pca(new NpySource(npyFile), { k, batchSize: 3 })).rejects.toThrow(/batchSize = 3 is smaller than k = 4/);
    await expect(pca(new NpySource(npyFile), { k, epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
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

  it('a re-readable source converges in its exact passes; with tol = 0 the 30 passes stop it, and it says so once', async () => {
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const exact = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1, onWarning });
    expect(exact.converged).toBe(true);
    expect(warnings).toEqual([]);
    const capped = await pca(new NpySource(bytes), { k, batchSize: 256, devices: 1, tol: 0, onWarning });
    expect(capped.converged).toBe(false);
    expect(capped.toJSON().converged).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^pca stopped after 30 exact passes before reaching tol = 0 \(estimated subspace distance to go: [^)]+\): the components may be inaccurate; raise tol$/,
    );
  });

  it('a one-shot stream says whether the game’s estimate reached tol before the stream ended or maxSteps', async () => {
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const ended = await pca(new NpySource(chunkedStream(bytes, [4096])), { k, batchSize: 256, devices: 1, onWarning });
    expect(ended.converged).toBe(false);
    const capped = await pca(new NpySource(chunkedStream(bytes, [4096])), { k, batchSize: 256, devices: 1, maxSteps: 3, onWarning });
    expect(capped.converged).toBe(false);
    expect(warnings).toEqual([
      'pca stopped after the stream ended (8 steps) before reaching tol = 1e-7 (no estimate yet of the subspace distance to go): '
        + 'the components may be inaccurate; fit from a file instead: it can be read again, for exact passes',
      'pca stopped after maxSteps = 3 steps before reaching tol = 1e-7 (no estimate yet of the subspace distance to go): '
        + 'the components may be inaccurate; raise maxSteps or tol',
    ]);
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
