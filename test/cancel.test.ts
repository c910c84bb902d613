// Cancellation: an aborted fit or run rejects with exactly the signal's reason, whichever path it is on (in-memory
// pca, re-readable and one-shot sources, EigenGame.run), wherever the abort lands (mid-fit, during the last step or
// its report, while a stream is being read), on one in-thread device and on two workers.

import { describe, expect, it } from 'vitest';
import { CsvSource, EigenGame, NpySource, pca } from '../src/entries/node';
import { gappedSpectrum } from '../scripts/planted.mjs';
import { backends } from './helpers/backends';
import { chunkedStream, npyBytes } from './helpers/npy';
import { sampledData } from './helpers/sampled';

const d = 12;
const k = 3;
const batchSize = 64;
/** 20 batches: a one-shot stream is read in 20 batches, each reported, before its rounds. */
const n = 20 * batchSize;
const sample = sampledData(n, d, gappedSpectrum(d, k, 0.1, 0.5), 3);
const npy = npyBytes(sample.data, n, d);
const csv = new TextEncoder().encode(
  Array.from({ length: n }, (_, r) => Array.from(sample.data.subarray(r * d, (r + 1) * d)).join(',')).join('\n'),
);
const gameOptions = { d, k, seed: 1, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1 } } as const;

type Fit = (onProgress: () => void, signal?: AbortSignal) => Promise<unknown>;

/** Runs `fit` once to count its progress reports, then again aborting at report `which` ('last' or a number). */
async function abortedAt(fit: Fit, which: 'last' | number): Promise<{ outcome: unknown; reason: object }> {
  let reports = 0;
  await fit(() => reports++);
  const at = which === 'last' ? reports : which;
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThanOrEqual(reports);
  const controller = new AbortController();
  const reason = { aborted: 'by the test', at };
  let seen = 0;
  const outcome = await fit(() => ++seen === at && controller.abort(reason), controller.signal).then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
  return { outcome, reason };
}

async function expectReason(fit: Fit, which: 'last' | number) {
  const { outcome, reason } = await abortedAt(fit, which);
  expect(outcome).toBe(reason);
}

/**
 * A one-shot .npy or CSV stream that stops delivering after `rows` rows until `signal` aborts; then it ends (a CSV
 * stream that ends is a shorter file; an .npy stream that ends is truncated) or fails with an error of its own.
 */
function stalledStream(bytes: Uint8Array, cut: number, signal: AbortSignal, ending: 'close' | 'error') {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset < cut) {
        const end = Math.min(cut, offset + 4096);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
        return;
      }
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      if (ending === 'close') controller.close();
      else controller.error(new Error('the connection was reset'));
    },
  });
}

describe.each(backends)('an abort rejects with exactly the signal’s reason, $name', ({ devices }) => {
  it('pca in memory: mid-fit, and at its last progress report', async () => {
    const fit: Fit = (onProgress, signal) => pca(sample, { k, devices, tol: 0, maxSteps: 30, onProgress, signal });
    await expectReason(fit, 1);
    await expectReason(fit, 'last');
  });

  it('pca of a re-readable source: mid-fit, and at its last progress report (the last exact pass)', async () => {
    const fit: Fit = (onProgress, signal) => pca(new NpySource(npy), { k, devices, batchSize, onProgress, signal });
    await expectReason(fit, 1);
    await expectReason(fit, 'last');
  });

  it('pca of a one-shot stream: mid-fit, and at the report of its last batch', async () => {
    const fit: Fit = (onProgress, signal) =>
      pca(new NpySource(chunkedStream(npy, [4096])), { k, devices, batchSize, tol: 0, maxSteps: 30, onProgress, signal });
    await expectReason(fit, 1);
    await expectReason(fit, 'last');
  });

  it.each([
    { format: 'csv', ending: 'close' },
    { format: 'npy', ending: 'close' },
    { format: 'npy', ending: 'error' },
  ] as const)('pca of a one-shot $format stream that $ending-s because of the abort, while the fit waits for rows', async ({ format, ending }) => {
    const controller = new AbortController();
    const reason = { aborted: 'while reading' };
    const bytes = format === 'csv' ? csv : npy;
    const stream = stalledStream(bytes, Math.floor(bytes.length / 2), controller.signal, ending);
    const source = format === 'csv' ? new CsvSource(stream) : new NpySource(stream);
    const fit = pca(source, { k, devices, batchSize, tol: 0, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 200);
    await expect(fit).rejects.toBe(reason);
  });

  it('EigenGame.run in memory, over a re-readable source and over a one-shot stream: at the last step’s report', async () => {
    const inputs = {
      memory: () => sample,
      file: () => new NpySource(npy),
      stream: () => new NpySource(chunkedStream(npy, [4096])),
    };
    for (const [name, input] of Object.entries(inputs)) {
      const game = await EigenGame.create({ ...gameOptions, devices });
      const steps = name === 'stream' ? 20 : 30;
      const fit: Fit = (onProgress, signal) => game.run(input(), { steps, batchSize, progressEvery: 10, onProgress, signal });
      const { outcome, reason } = await abortedAt(fit, 'last');
      expect(outcome, name).toBe(reason);
      // The steps of the aborted run were taken and counted: the game is consistent.
      expect(game.stepCount, name).toBe(2 * steps);
      game.dispose();
    }
  });
});
