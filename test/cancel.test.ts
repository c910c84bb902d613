// Cancellation: an aborted fit or run rejects with exactly the signal's reason, whichever path it is on (in-memory
// pca, re-readable and one-shot sources, EigenGame.run), wherever the abort lands (mid-fit, during the last step or
// its report, while a stream is being read), on one in-thread device and on two workers.

import { describe, expect, it } from 'vitest';
import { CsvSource, EigenGame, NpySource, pca } from '../src/entries/node';
import { gappedSpectrum } from '../scripts/planted.mjs';
import { backends } from './helpers/backends';
import { turnsDuring } from './helpers/event-loop';
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
 * `stalled` resolves once the stream has been asked for more than it gives: the stall has begun.
 */
function stalledStream(bytes: Uint8Array, cut: number, signal: AbortSignal, ending: 'close' | 'error') {
  let offset = 0;
  let stallBegan: () => void = () => {};
  const stalled = new Promise<void>((resolve) => (stallBegan = resolve));
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset < cut) {
        const end = Math.min(cut, offset + 4096);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
        return;
      }
      stallBegan();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      if (ending === 'close') controller.close();
      else controller.error(new Error('the connection was reset'));
    },
  });
  return { stream, stalled };
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
    const { stream, stalled } = stalledStream(bytes, Math.floor(bytes.length / 2), controller.signal, ending);
    const source = format === 'csv' ? new CsvSource(stream) : new NpySource(stream);
    let rowsRead = 0;
    const fit = pca(source, { k, devices, batchSize, tol: 0, signal: controller.signal, onProgress: (p) => (rowsRead = p.rowsRead ?? 0) });
    // The abort lands once the fit has read what the stream gives and waits for more (not before the stall began).
    await stalled;
    controller.abort(reason);
    await expect(fit).rejects.toBe(reason);
    expect(rowsRead).toBeGreaterThan(0);
    expect(rowsRead).toBeLessThan(n / 2);
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

/** d-column CSV rows (values that vary), `rows` of them, as bytes: the chunk the sources below repeat. */
function csvChunk(rows: number): Uint8Array<ArrayBuffer> {
  const line = (r: number) => Array.from({ length: d }, (_, c) => (((r * 31 + c * 17) % 97) / 97 + c).toFixed(4)).join(',');
  return new TextEncoder().encode(`${Array.from({ length: rows }, (_, r) => line(r)).join('\n')}\n`);
}

describe('a one-shot source fed from memory (each read resolves as a microtask) gives the event loop its turns', () => {
  const chunk = csvChunk(4096);
  /** Chunks after which the "endless" sources end by themselves: some seconds of reading, so a fit that never yields fails instead of hanging. */
  const cap = 400;

  /** Resolves to 'deadline' after `ms`: a fit that yields settles well before; one that does not also holds this timer up. */
  const deadline = (ms: number) => new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), ms));

  /**
   * Starts `fit` with a signal that a timer aborts at 300 ms (noting how many chunks the stream had given by then);
   * resolves to what the fit settled with, or 'deadline' if it had not within 10 s.
   */
  async function abortedAt300ms(
    state: { chunks: number; atAbort: number }, fit: (signal: AbortSignal) => Promise<unknown>,
  ): Promise<{ outcome: unknown; reason: object }> {
    const controller = new AbortController();
    const reason = { aborted: 'at 300 ms' };
    setTimeout(() => {
      state.atAbort = state.chunks;
      controller.abort(reason);
    }, 300);
    const outcome = await Promise.race([fit(controller.signal).then(() => 'resolved', (error: unknown) => error), deadline(10_000)]);
    return { outcome, reason };
  }

  it('an endless async generator, aborted by a timer at 300 ms: the fit rejects with the reason and closes it', async () => {
    const state = { chunks: 0, atAbort: -1, ended: false, closed: false };
    async function* endless() {
      try {
        for (; state.chunks < cap; state.chunks++) yield chunk;
        state.ended = true;
      } finally {
        state.closed = true;
      }
    }
    const { outcome, reason } = await abortedAt300ms(state, (signal) => pca(new CsvSource(endless()), { k, devices: 1, signal }));
    expect(outcome).toBe(reason);
    expect(state.ended).toBe(false);
    expect(state.closed).toBe(true);
    // The abort landed while the stream was being read, and the fit stopped within a batch or two of it.
    expect(state.atAbort).toBeGreaterThanOrEqual(0);
    expect(state.chunks - state.atAbort).toBeLessThanOrEqual(3);
  }, 60_000);

  it('an endless ReadableStream fed from memory, aborted by a timer at 300 ms: rejects with the reason and cancels it', async () => {
    const state = { chunks: 0, atAbort: -1, cancelled: false };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.chunks++ < cap) controller.enqueue(chunk);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    });
    const { outcome, reason } = await abortedAt300ms(state, (signal) => pca(new CsvSource(stream), { k, devices: 1, signal }));
    expect(outcome).toBe(reason);
    expect(state.cancelled).toBe(true);
    expect(state.atAbort).toBeGreaterThanOrEqual(0);
    expect(state.chunks - state.atAbort).toBeLessThanOrEqual(4);
  }, 60_000);

  it('a Blob\'s stream: a timer set at the first progress report fires while the stream is read, and its abort stops the fit', async () => {
    const parts = 60;
    const blob = new Blob(Array.from({ length: parts }, () => chunk));
    const controller = new AbortController();
    const reason = { aborted: 'by a timer' };
    let rowsRead = 0;
    let rowsAtAbort = -1;
    const fit = pca(new CsvSource(blob.stream(), { name: 'blob.csv' }), {
      k, devices: 1, signal: controller.signal,
      onProgress: (p) => {
        if (rowsRead === 0) {
          setTimeout(() => {
            rowsAtAbort = rowsRead;
            controller.abort(reason);
          }, 0);
        }
        rowsRead = p.rowsRead ?? 0;
      },
    });
    await expect(fit).rejects.toBe(reason);
    // Before the stream was read to its end (a fit that never yields runs its timers only once it has read it all).
    expect(rowsAtAbort).toBeGreaterThan(0);
    expect(rowsAtAbort).toBeLessThan(parts * 4096);
  }, 60_000);

  it('an async generator read to its end, in one thread: the event loop turns all along, never kept waiting long', async () => {
    const chunks = 40;
    async function* finite() {
      for (let i = 0; i < chunks; i++) yield chunk;
    }
    const { outcome, turns, longestGap, duration } = await turnsDuring(() => pca(new CsvSource(finite()), { k, devices: 1 }));
    expect(outcome).toHaveProperty('value.nSamples', chunks * 4096);
    // The fit reads about 10 MB of CSV (measured: ~1 s here, 20 turns per second of it, gaps up to ~60 ms): at least a
    // turn per 10 cadences, and no gap over 1 s, 20 times the cadence (margin for a machine 5x slower and loaded).
    expect(turns).toBeGreaterThanOrEqual(Math.floor(duration / 500));
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(longestGap).toBeLessThan(1000);
  }, 60_000);
});
