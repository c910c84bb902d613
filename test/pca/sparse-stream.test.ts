// pca and Moments.of of a Matrix Market file streamed in one pass (openSparse): the in-memory sparse covariance fit
// of the same matrix to the bit (the sums summed in the same row order), at batch sizes down to one entry (a batch a
// row); both held to float64 references (a Jacobi eigensolver on a dense copy; numpy's answers for the scipy fixture);
// the same bits on 1, 2 and 3 devices; the refusals; an abort mid-pass, the file released. The same matrix as a scipy
// .npz (csr; csc read transposed; stored and deflated, int32 and int64 indices) streamed: the same bits again.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Moments, openSparse, pca, readSparse, type PCAModel } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { expectSameBits } from '../helpers/bits';
import { covariance } from '../helpers/pencil-reference';
import { seededSparse } from '../helpers/random';
import { jacobiEigen, uncentredEigen } from '../helpers/reference';
import { npzOfRows, sparseFixture, watchFiles } from '../helpers/sparse-files';

/** A seeded n × d matrix: column c kept in ~18 % of rows with spread 1/(1 + c/4), every fifth row (the first and last among them) and column 7 empty. */
function sparseData(n: number, d: number, seed: number): Float64Array {
  return seededSparse(n, d, seed, (r, c, next, dense) => (
    r % 5 === 0 || r === n - 1 || c === 7 || next() > 0.18 ? null : Math.fround((0.5 + next()) * 3 / (1 + c / 4) + (c < 4 ? dense[r * d + 4] : 0))
  )).dense;
}

/**
 * The matrix as a Matrix Market file, rows in order, each row's entries in reverse column order, every third entry
 * split into two halves (duplicates, summed on reading: halves of a float32 value are exact).
 */
function mtxText(dense: Float64Array, n: number, d: number): Uint8Array {
  const lines: string[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = d - 1; c >= 0; c--) {
      const value = dense[r * d + c];
      if (value === 0) continue;
      if (lines.length % 3 === 0) lines.push(`${r + 1} ${c + 1} ${value / 2}`, `${r + 1} ${c + 1} ${value / 2}`);
      else lines.push(`${r + 1} ${c + 1} ${value}`);
    }
  }
  return new TextEncoder().encode(['%%MatrixMarket matrix coordinate real general', `${n} ${d} ${lines.length}`, ...lines, ''].join('\n'));
}

const [n, d, k] = [300, 40, 5];
const dense = sparseData(n, d, 5);
const file = mtxText(dense, n, d);
const truth = { centred: jacobiEigen(covariance(dense, n, d), d), uncentred: uncentredEigen(dense, n, d) };

function expectTruth(model: PCAModel, reference: { values: Float64Array; vectors: Float64Array }): void {
  for (let i = 0; i < k; i++) {
    expect(Math.abs(model.explainedVariance[i] - reference.values[i]), `variance ${i}`).toBeLessThan(1e-6 * reference.values[0]);
    let dot = 0;
    for (let c = 0; c < d; c++) dot += model.components[i * d + c] * reference.vectors[i * d + c];
    expect(1 - Math.abs(dot), `component ${i}`).toBeLessThan(1e-5);
  }
}

function expectSameModel(streamed: PCAModel, inMemory: PCAModel, what: string): void {
  expect(streamed.solver).toBe('sparse-covariance');
  expect(streamed.nSamples).toBe(inMemory.nSamples);
  expectSameBits(streamed.components, inMemory.components, `${what}: components`);
  expectSameBits(streamed.explainedVariance, inMemory.explainedVariance, `${what}: variances`);
  expectSameBits(streamed.mean, inMemory.mean, `${what}: mean`);
  // The squared deviations are merged batch by batch (Chan's update): the in-memory ones within float64 rounding.
  streamed.explainedVarianceRatio.forEach((ratio, i) => expect(Math.abs(ratio / inMemory.explainedVarianceRatio[i] - 1), `${what}: ratio ${i}`).toBeLessThan(1e-13));
}

describe('pca of a streamed Matrix Market file', () => {
  it('the in-memory sparse covariance fit to the bit, at every batch size; both the float64 reference', async () => {
    // Sanity of the fixture: the separated leading variances the comparison with the reference needs.
    for (const reference of [truth.centred, truth.uncentred]) for (let i = 0; i < k; i++) expect(1 - reference.values[i + 1] / reference.values[i]).toBeGreaterThan(0.02);
    for (const center of [true, false]) {
      const inMemory = await pca(await readSparse(file), { k, center, solver: 'covariance', devices: 1 });
      expectTruth(inMemory, center ? truth.centred : truth.uncentred);
      for (const batchEntries of [1, 13, 500, 1 << 20]) {
        const streamed = await pca(await openSparse(file, { batchEntries }), { k, center, devices: 1 });
        expectSameModel(streamed, inMemory, `center ${center}, batches of ${batchEntries} entries`);
        expectTruth(streamed, center ? truth.centred : truth.uncentred);
      }
    }
  });

  it('a batch of more rows than a job of the pass takes (2048): the in-memory fit to the bit', async () => {
    const [rows, cols] = [5000, 12];
    const tall = seededSparse(rows, cols, 9, (_, c, next) => (next() > 0.1 ? null : Math.fround((0.5 + next()) / (1 + c / 3)))).dense;
    const text = mtxText(tall, rows, cols);
    const inMemory = await pca(await readSparse(text), { k: 3, solver: 'covariance', devices: 1 });
    expectSameModel(await pca(await openSparse(text), { k: 3, devices: 1 }), inMemory, 'one batch of 5000 rows');
  });

  it('the same bits on 1, 2 and 3 devices', async () => {
    vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8);
    onTestFinished(() => void vi.restoreAllMocks());
    const models: PCAModel[] = [];
    for (const devices of [1, 2, 3]) {
      const model = await pca(await openSparse(file, { batchEntries: 200 }), { k, devices });
      expect(model.backend).toMatchObject({ devices });
      models.push(model);
    }
    for (const model of models.slice(1)) {
      expectSameBits(model.components, models[0].components, `components on ${model.backend!.devices} devices`);
      expectSameBits(model.explainedVariance, models[0].explainedVariance, `variances on ${model.backend!.devices} devices`);
    }
  });

  it('Moments.of a streamed file: the in-memory sparse moments, mean and scatter to the bit; progress by rows read', async () => {
    const inMemory = await Moments.of(await readSparse(file), { devices: 1 });
    const rowsRead: number[] = [];
    const streamed = await Moments.of(await openSparse(file, { batchEntries: 100 }), { devices: 1, onProgress: (progress) => void rowsRead.push(progress.rowsRead!) });
    expect(streamed.n).toBe(n);
    expectSameBits(streamed.mean, inMemory.mean, 'mean');
    expectSameBits(streamed.scatter, inMemory.scatter, 'scatter');
    expect(rowsRead.at(-1)).toBe(n);
    expect(rowsRead.length).toBeGreaterThan(5);
    for (let i = 1; i < rowsRead.length; i++) expect(rowsRead[i]).toBeGreaterThan(rowsRead[i - 1]);
  });

  it('pca tells onProgress of the pass, rows read, before its rounds', async () => {
    const rowsRead: number[] = [];
    await pca(await openSparse(file, { batchEntries: 100 }), {
      k, devices: 1, onProgress: (progress) => void (progress.utilities.length === 0 && rowsRead.push(progress.rowsRead!)),
    });
    expect(rowsRead.length).toBeGreaterThan(5);
    expect(rowsRead.at(-1)).toBe(n);
    for (let i = 1; i < rowsRead.length; i++) expect(rowsRead[i]).toBeGreaterThan(rowsRead[i - 1]);
  });
});

describe('pca of a streamed .npz file', () => {
  it('the in-memory sparse covariance fit of the same matrix to the bit, at every batch size, csr and csc transposed, stored and deflated', async () => {
    for (const center of [true, false]) {
      const inMemory = await pca(await readSparse(file), { k, center, solver: 'covariance', devices: 1 });
      for (const options of [{ deflate: true }, { deflate: false, int64: true }, { deflate: true, csc: true }]) {
        const npz = npzOfRows(dense, n, d, options);
        for (const batchEntries of [1, 13, 500, 1 << 20]) {
          const streamed = await pca(await openSparse(npz, { batchEntries, transpose: options.csc }), { k, center, devices: 1 });
          expectSameModel(streamed, inMemory, `center ${center}, ${JSON.stringify(options)}, batches of ${batchEntries} entries`);
        }
      }
    }
  });

  it.each([
    ['cells-sorted.mtx.gz', true], ['cells.npz', false], ['genes-by-cells-csc.npz', true],
  ])('%s (scipy\'s, transpose %s): numpy\'s float64 PCA and truncated SVD of its cells × genes', async (name, transpose) => {
    const answers = JSON.parse(readFileSync(sparseFixture('answers.json'), 'utf8')) as {
      k: number; cols: number; mean: number[]; pca: { explainedVariance: number[]; components: number[][] }; svd: { singularValues: number[]; components: number[][] };
    };
    const fit = async (center: boolean) => pca(await openSparse(sparseFixture(name), { transpose, batchEntries: 50 }), { k: answers.k, center, devices: 1 });
    const cosines = (model: PCAModel, rows: number[][]) => rows.map((row, i) => Math.abs(row.reduce((sum, value, c) => sum + value * model.components[i * answers.cols + c], 0)));
    const centred = await fit(true);
    centred.explainedVariance.forEach((value, i) => expect(Math.abs(value / answers.pca.explainedVariance[i] - 1)).toBeLessThan(1e-6));
    cosines(centred, answers.pca.components).forEach((cosine) => expect(1 - cosine).toBeLessThan(1e-6));
    centred.mean.forEach((value, c) => expect(value).toBeCloseTo(answers.mean[c], 12));
    const svd = await fit(false);
    svd.singularValues!.forEach((value, i) => expect(Math.abs(value / answers.svd.singularValues[i] - 1)).toBeLessThan(1e-6));
    cosines(svd, answers.svd.components).forEach((cosine) => expect(1 - cosine).toBeLessThan(1e-6));
  });

  it('an abort mid-pass and a refused fit: the signal\'s reason or the refusal, the file closed, no read after', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'eigengame-npz-fit-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const path = join(directory, 'm.npz');
    writeFileSync(path, npzOfRows(dense, n, d, { deflate: true }));
    const watches = watchFiles(currentHost(), vi.spyOn);
    onTestFinished(() => void vi.restoreAllMocks());
    const controller = new AbortController();
    let reports = 0;
    await expect(Moments.of(await openSparse(path, { batchEntries: 20 }), {
      devices: 1, signal: controller.signal,
      onProgress: () => void (++reports === 3 && controller.abort(new Error('given up'))),
    })).rejects.toThrow('given up');
    expect(reports).toBe(3);
    await expect(pca(await openSparse(path), { k, solver: 'data' })).rejects.toThrow('solver "data": a streamed sparse file is fitted by the sparse covariance route only');
    await expect(pca(await openSparse(path, { batchEntries: 20 }), {
      k, devices: 1, onProgress: () => { throw new Error('a listener failed'); },
    })).rejects.toThrow('a listener failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(watches.map((watch) => [watch.closes, watch.readsAfterClose])).toEqual([[1, 0], [1, 0], [1, 0]]);
  });
});

describe('what a streamed fit refuses, the file closed', () => {
  /** A file whose closing is seen: a stream of its bytes, in small chunks. */
  function watched(bytes: Uint8Array) {
    const state = { released: false, chunks: 0 };
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        state.chunks++;
        c.enqueue(bytes.slice(at, (at += 256)));
      },
      cancel: () => void (state.released = true),
    });
    return { stream, state };
  }

  it('columns too many for the d × d operator: the budget and the remedy', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => `1 ${i + 1} 1\n`).join('');
    const { stream, state } = watched(new TextEncoder().encode(`%%MatrixMarket matrix coordinate real general\n3 10000 1000\n${entries}`));
    await expect(pca(await openSparse(stream, { name: 'wide.mtx' }), { k: 2 })).rejects.toThrow(
      'wide.mtx has 10000 columns: a streamed fit sums their 10000 × 10000 covariance, 1200000000 bytes, more than the budget of 1073741824; ' +
      'read the file whole with readSparse (the CLI: without --stream) for the sparse data route',
    );
    expect(state.released).toBe(true);
  });

  it('the sparse data route, and bad options: the file is closed all the same', async () => {
    for (const [options, message] of [
      [{ k, solver: 'data' }, 'solver "data": a streamed sparse file is fitted by the sparse covariance route only'],
      [{ k, solver: 'gram' }, 'solver "gram": a streamed sparse file is fitted by the sparse covariance route only'],
      [{ k: 0 }, 'k must be'],
      [{ k: d + 1 }, `k = ${d + 1} is larger than d = ${d}`],
    ] as const) {
      const { stream, state } = watched(file);
      await expect(pca(await openSparse(stream), options as never)).rejects.toThrow(message);
      expect(state.released).toBe(true);
    }
  });

  it('Moments.partialFit of a file of other columns: refused, the file closed', async () => {
    const { stream, state } = watched(file);
    await expect(new Moments(d + 1).partialFit(await openSparse(stream))).rejects.toThrow(`X has ${d} columns, but these moments are of d = ${d + 1}`);
    expect(state.released).toBe(true);
  });

  it('an abort mid-pass: the signal\'s reason, the rest of the file never read, the stream released', async () => {
    const { stream, state } = watched(file);
    const controller = new AbortController();
    const source = await openSparse(stream, { batchEntries: 20 });
    let reports = 0;
    await expect(Moments.of(source, {
      devices: 1, signal: controller.signal,
      onProgress: () => void (++reports === 3 && controller.abort(new Error('given up'))),
    })).rejects.toThrow('given up');
    expect(reports).toBe(3);
    expect(state.released).toBe(true);
    expect(state.chunks).toBeLessThan(Math.ceil(file.length / 256) / 2);
  });
});
