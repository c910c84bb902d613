// pca and EigenGame.run over streamed sources: the same answer as the in-memory fit and as the truth, the same bits
// from a .npy file, a CSV file and a Blob, and for any number of devices; memory bounded by the batch.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvSource, EigenGame, NpySource, pca, subspaceDistance, type MatrixSource, type PCAModel } from '../../src/entries/node';
import { gappedSpectrum } from '../../scripts/planted.mjs';
import { chunkedStream, npyBytes } from '../helpers/npy';
import { orthonormalRows } from '../helpers/pencil-reference';
import { combineRows, crossDots, jacobiEigen } from '../helpers/reference';
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

/**
 * The top `k` eigenpairs of the covariance of n rows × d columns with n ≪ d, in float64: those of the centred Gram
 * matrix G = Xc Xcᵀ / (n − 1) (n × n) by orthogonal iteration on k + 2 vectors (the spectra here fall by 100× after
 * the k-th), a Rayleigh–Ritz step, and each eigenvector u mapped back as Xcᵀ u / ‖Xcᵀ u‖.
 */
function wideEigen(x: ArrayLike<number>, n: number, d: number, k: number): { values: Float64Array; vectors: Float64Array } {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mean[c] += x[r * d + c] / n;
  const centred = Float64Array.from({ length: n * d }, (_, i) => x[i] - mean[i % d]);
  const gram = crossDots(centred, n, centred, n, d).map((value) => value / (n - 1));
  const p = k + 2;
  let q: Float64Array = Float64Array.from({ length: p * n }, (_, i) => Math.sin(i * 1.7 + 0.3));
  for (let iteration = 0; iteration < 100; iteration++) q = orthonormalRows(crossDots(q, p, gram, n, n), p, n);
  const ritz = jacobiEigen(crossDots(q, p, crossDots(q, p, gram, n, n), p, n), p);
  const u = combineRows(ritz.vectors, p, p, q, n);
  const vectors = new Float64Array(k * d);
  for (let i = 0; i < k; i++) {
    const row = vectors.subarray(i * d, (i + 1) * d);
    for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) row[c] += u[i * n + r] * centred[r * d + c];
    const norm = Math.hypot(...row);
    for (let c = 0; c < d; c++) row[c] /= norm;
  }
  return { values: ritz.values.slice(0, k), vectors };
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

  it('a value that is not finite fails the pass with the reader\'s error, naming the file\'s row and column (a file, a slice, a stream; float32 and float64)', async () => {
    // The covariance pass finds such a value in its blocks' moments (the .npy reader leaves its check to it).
    const rows = 700;
    const part = Float64Array.from(sample.data.subarray(0, rows * d));
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [index, value] of [[5 * d + 3, NaN], [300 * d + 47, Infinity], [rows * d - d, -Infinity]] as const) {
        const values = part.slice();
        values[index] = value;
        const bytes = npyBytes(values, rows, d, dtype);
        const path = join(directory, `bad-${dtype}.npy`);
        writeFileSync(path, bytes);
        const where = `row ${Math.floor(index / d)}, column ${index % d} is ${value} (every value must be a finite number)`;
        const options = { k, batchSize: 256, devices: 1 } as const;
        await expect(pca(new NpySource(path), options)).rejects.toThrow(`bad-${dtype}.npy: ${where}`);
        await expect(pca(new NpySource(path, { rows: [2, rows] }), options)).rejects.toThrow(`bad-${dtype}.npy: ${where}`);
        await expect(pca(new NpySource(chunkedStream(bytes, [4096, 100]), { name: 'piped' }), options)).rejects.toThrow(`piped: ${where}`);
      }
    }
    // A finite value whose square overflows float64: the statistics' error, not a value's.
    const huge = part.slice();
    huge[10 * d + 1] = 1e200;
    const path = join(directory, 'huge.npy');
    writeFileSync(path, npyBytes(huge, rows, d, 'float64'));
    await expect(pca(new NpySource(path), { k, batchSize: 256, devices: 1 })).rejects.toThrow(/huge\.npy's values are too large for float64 arithmetic/);
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

  it('a one-shot stream too wide for the covariance: the game on its minibatches, which says it did not converge; its plane is the float64 one', { timeout: 300_000 }, async () => {
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
    const reference = wideEigen(data, few, wide, 2);
    const plane = { data: reference.vectors, rows: 2, cols: wide };
    // Three steps find the top two eigenvectors' plane but not the vectors within it: their eigenvalues are 4 %
    // apart. How close three steps come depends on how far the players' random start leans from the plane: seeds 0–9
    // measured subspace distances from 7e-6 to 3.8e-2 (median 4e-5), where a random plane's is about 1. Five seeds:
    // each below 0.1, their median below 2e-2. The first player's variance is its Rayleigh quotient on the last
    // batches, within the plane's [λ₂, λ₁] but for the batches' noise: measured within 5.4 % of λ₁ over the ten, bound 10 %.
    const distances = [subspaceDistance({ data: model.components, rows: 2, cols: wide }, plane)];
    for (const seed of [1, 2, 3, 4]) {
      const other = await pca(new NpySource(npyBytes(data, few, wide)), { k: 2, batchSize: 100, devices: 1, seed });
      distances.push(subspaceDistance({ data: other.components, rows: 2, cols: wide }, plane));
    }
    distances.forEach((distance, seed) => expect(distance, `seed ${seed}`).toBeLessThan(0.1));
    expect([...distances].sort((a, b) => a - b)[2], distances.join(', ')).toBeLessThan(2e-2);
    expect(Math.abs(model.explainedVariance[0] / reference.values[0] - 1)).toBeLessThan(0.1);
    expect(model.explainedVariance[0] + model.explainedVariance[1]).toBeLessThanOrEqual(reference.values[0] + reference.values[1]);
  });
});

describe('EigenGame.run over a source', () => {
  const rows = 4096;
  const batchSize = 512;
  const blocks = rows / batchSize;
  const data = { data: sample.data.subarray(0, rows * d), rows, cols: d };
  const bytes = npyBytes(data.data, rows, d);
  const rule = { reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } } as const;
  /** Block b of the rows in memory, as step() takes it. */
  const block = (b: number) => ({ data: data.data.subarray(b * batchSize * d, (b + 1) * batchSize * d), rows: batchSize, cols: d });

  /**
   * The .npy bytes as a source that names the block of every batch it hands out, found from the batch's values
   * (its first row compared with each block's), not from what the reader says about it.
   */
  function watched(visited: number[]): MatrixSource {
    const inner = new NpySource(bytes);
    return {
      name: inner.name,
      info: () => inner.info(),
      close: () => inner.close(),
      async *batches(size, order) {
        for await (const batch of inner.batches(size, order)) {
          const b = Array.from({ length: blocks }, (_, i) => i).filter((i) => block(i).data.subarray(0, d).every((value, c) => value === batch.data[c]));
          expect(b, 'a batch that is one of the blocks').toHaveLength(1);
          visited.push(b[0]);
          yield batch;
        }
      },
    };
  }

  it('takes the same steps as over the same rows in memory, one block per step', async () => {
    const source = new NpySource(bytes);
    const inMemory = await EigenGame.create({ d, k, seed: 3, ...rule });
    const streamed = await EigenGame.create({ d, k, seed: 3, ...rule });
    await inMemory.run(data, { steps: 8, batchSize });
    const progress: number[] = [];
    await streamed.run(source, { steps: 8, batchSize, progressEvery: 4, onProgress: ({ step }) => progress.push(step) });
    expect(streamed.components()).toEqual(inMemory.components());
    expect(progress).toEqual([4, 8]);
    const other = await EigenGame.create({ d: 3, k: 1 });
    await expect(other.run(source, { steps: 1 })).rejects.toThrow(/has 48 columns, but this game has d = 3/);
    for (const game of [inMemory, streamed, other]) game.dispose();
  });

  it('reads a run’s first epoch in file order, then each epoch in a new order drawn from the seed, which save() keeps', async () => {
    const visited: number[] = [];
    const game = await EigenGame.create({ d, k, seed: 3, ...rule });
    await game.run(watched(visited), { steps: 3 * blocks, batchSize });
    const epochs = [0, 1, 2].map((e) => visited.slice(e * blocks, (e + 1) * blocks));
    const fileOrder = Array.from({ length: blocks }, (_, b) => b);
    expect(visited).toHaveLength(3 * blocks);
    expect(epochs[0]).toEqual(fileOrder);
    for (const epoch of epochs.slice(1)) {
      expect([...epoch].sort((a, b) => a - b), 'every block once per epoch').toEqual(fileOrder);
      expect(epoch).not.toEqual(fileOrder);
    }
    expect(epochs[2]).not.toEqual(epochs[1]);
    // The run stepped on those blocks in that order: step() on each in turn gives the same bits.
    const stepping = await EigenGame.create({ d, k, seed: 3, ...rule });
    for (const b of visited) await stepping.step(block(b));
    expect(stepping.components()).toEqual(game.components());

    // A game saved after its first run and restored continues with the orders the uninterrupted game draws next.
    const uninterrupted: number[] = [];
    const resumed: number[] = [];
    const whole = await EigenGame.create({ d, k, seed: 3, ...rule });
    await whole.run(watched([]), { steps: 2 * blocks, batchSize });
    const saved = whole.save();
    await whole.run(watched(uninterrupted), { steps: 2 * blocks, batchSize });
    const restored = await EigenGame.restore(structuredClone(saved));
    await restored.run(watched(resumed), { steps: 2 * blocks, batchSize });
    expect(resumed).toEqual(uninterrupted);
    expect(restored.components()).toEqual(whole.components());
    // Another seed draws other orders.
    const elsewhere: number[] = [];
    const reseeded = await EigenGame.create({ d, k, seed: 4, ...rule });
    await reseeded.run(watched(elsewhere), { steps: 3 * blocks, batchSize });
    expect(elsewhere.slice(0, blocks)).toEqual(fileOrder);
    expect(elsewhere.slice(blocks)).not.toEqual(visited.slice(blocks));
    for (const g of [game, stepping, whole, restored, reseeded]) g.dispose();
  });
});
