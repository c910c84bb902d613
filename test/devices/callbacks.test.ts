// A user's callback that throws (onProgress, onWarning) while a fit runs: the fit rejects with exactly what it threw,
// on one in-thread device and on two worker devices, the callback is not called again, the devices go back to the
// realm (none is left busy), the next fit runs, and a Node process that met such a fit exits by itself.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EigenGame, cca, deviceStats, lda, pca, pls, setDevices, type MatrixInput } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';
import { backends } from '../helpers/backends';
import { plantedClasses, plantedViews } from '../helpers/planted-pencils';

const planted: MatrixInput = plantedData({ n: 1500, d: 40, spectrum: gappedSpectrum(40, 6, 0.05), seed: 3 });
const views = plantedViews({ n: 1200, dx: 12, dy: 9, correlations: [0.9, 0.7, 0.5], seed: 5 });
const classes = plantedClasses({ n: 1200, d: 15, classes: 5, separation: 0.5, seed: 7 });

/** The user's error: an object of its own, so that only the very one it threw matches. */
class UserError extends Error {
  constructor(readonly where: string) {
    super(`the user's callback threw (${where})`);
  }
}

/**
 * A callback that throws a UserError on its first call that `when` accepts, counting the calls after that: a fit
 * must not call it again once it has thrown.
 */
function throwing<T>(when: (value: T) => boolean, where: string) {
  const state = { thrown: null as UserError | null, callsAfter: 0 };
  const callback = (value: T) => {
    if (state.thrown) {
      state.callsAfter++;
      return;
    }
    if (!when(value)) return;
    state.thrown = new UserError(where);
    throw state.thrown;
  };
  return { callback, state };
}

/** The fit rejects with the callback's own error, after which no worker of the realm is busy but `held` (a game's). */
async function expectRejectsWithIt(fit: Promise<unknown>, state: { thrown: UserError | null; callsAfter: number }, held = 0) {
  const outcome = await fit.then(() => 'resolved', (error: unknown) => error);
  expect(state.thrown).toBeInstanceOf(UserError);
  expect(outcome).toBe(state.thrown);
  expect(state.callsAfter).toBe(0);
  expect(deviceStats().busy).toBe(held);
}

afterEach(() => {
  vi.restoreAllMocks();
  setDevices({ max: 'auto' });
});

describe.each(backends)('a throwing callback rejects the fit with its error and frees the devices, $name', ({ devices, kind }) => {
  it('pca: onProgress during its rounds; onWarning from its cap; then a fit runs', async () => {
    const progress = throwing<{ step: number }>((p) => p.step >= 10, 'pca onProgress');
    await expectRejectsWithIt(pca(planted, { k: 6, devices, tol: 0, maxSteps: 200, onProgress: progress.callback }), progress.state);
    const warning = throwing<string>(() => true, 'pca onWarning');
    await expectRejectsWithIt(pca(planted, { k: 6, devices, tol: 0, maxSteps: 10, onWarning: warning.callback }), warning.state);
    const model = await pca(planted, { k: 6, devices });
    expect(model.backend).toMatchObject({ kind, devices });
    expect(model.converged).toBe(true);
  });

  it.each([
    { name: 'cca', fit: (options: object) => cca(views.X, views.Y, { k: 3, ...options }) },
    { name: 'pls', fit: (options: object) => pls(views.X, views.Y, { k: 3, ...options }) },
    { name: 'lda', fit: (options: object) => lda(classes.X, classes.labels, { k: 3, ...options }) },
  ])('$name: onProgress during its float32 stage; onWarning from its cap; then a fit runs', async ({ name, fit }) => {
    const progress = throwing<{ stage: string }>((p) => p.stage === 'float32', `${name} onProgress`);
    await expectRejectsWithIt(fit({ devices, tol: 0, maxSteps: 60, onProgress: progress.callback }), progress.state);
    const warning = throwing<string>(() => true, `${name} onWarning`);
    await expectRejectsWithIt(fit({ devices, tol: 0, maxSteps: 10, onWarning: warning.callback }), warning.state);
    const model = (await fit({ devices })) as { backend: object; converged: boolean };
    expect(model.backend).toMatchObject({ kind, devices });
    expect(model.converged).toBe(true);
  });

  it('EigenGame.run: onProgress mid-run stops it after the step it is in, counted; the game and the realm go on', async () => {
    const game = await EigenGame.create({ d: 40, k: 4, devices, seed: 1, reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1 } });
    try {
      expect(game.backend).toMatchObject({ kind, devices });
      const progress = throwing<{ step: number }>((p) => p.step >= 20, 'EigenGame.run onProgress');
      const run = game.run(planted, { steps: 100_000, batchSize: 100, progressEvery: 10, onProgress: progress.callback });
      await expectRejectsWithIt(run, progress.state, kind === 'workers' ? devices : 0);
      // The devices stopped soon after the throw (not after the 100000 steps), and every step taken was counted.
      const stopped = game.stepCount;
      expect(stopped).toBeGreaterThanOrEqual(20);
      expect(stopped).toBeLessThan(100_000);
      await game.run(planted, { steps: 10, batchSize: 100 });
      expect(game.stepCount).toBe(stopped + 10);
    } finally {
      game.dispose();
    }
  });
});

describe('a throwing onWarning while devices are reserved', () => {
  it('gives back a lease that got fewer workers than it asked for (a throw there once kept them leased for ever)', async () => {
    // Four hardware threads, so that a fit can ask for 4 devices and get the 2 that a live game leaves it.
    vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(4);
    setDevices({ max: 4 });
    const game = await EigenGame.create({ d: 40, k: 2, devices: 2 });
    try {
      expect(deviceStats().busy).toBe(2);
      const warning = throwing<string>((message) => /held by live EigenGame/.test(message), 'onWarning');
      const outcome = await pca(planted, { k: 6, devices: 4, onWarning: warning.callback }).catch((error: unknown) => error);
      expect(outcome).toBe(warning.state.thrown);
      expect(deviceStats().busy).toBe(2);
    } finally {
      game.dispose();
    }
    expect(deviceStats().busy).toBe(0);
    expect((await pca(planted, { k: 6, devices: 2 })).backend).toMatchObject({ kind: 'workers', devices: 2 });
  });
});

describe('a Node process whose fits met a throwing callback', () => {
  it('exits by itself, each fit rejected with the error its callback threw', async () => {
    const entry = new URL('../../dist/node.js', import.meta.url).href;
    const script = `
      import { EigenGame, cca, pca } from ${JSON.stringify(entry)};
      const rows = Array.from({ length: 600 }, (_, r) => Array.from({ length: 12 }, (_, c) => Math.sin(r * 7 + c * c) + (r % (c + 2))));
      const boom = (what) => () => { throw new Error(what); };
      const said = (error) => console.log(error.message);
      await pca(rows, { k: 3, devices: 2, tol: 0, maxSteps: 100, onProgress: boom('pca') }).catch(said);
      await cca(rows.map((row) => row.slice(0, 6)), rows.map((row) => row.slice(6)), { k: 2, devices: 2, tol: 0, maxSteps: 100, onProgress: boom('cca') }).catch(said);
      const game = await EigenGame.create({ d: 12, k: 2, devices: 2 });
      await game.run(rows, { steps: 100000, batchSize: 50, progressEvery: 5, onProgress: boom('run') }).catch(said);
      console.log('done');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // Generous: the fits take well under a second; a process that hangs (busy workers, a pending fit) is killed.
    const timer = setTimeout(() => child.kill(), 60_000);
    const code = await new Promise((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? signal)));
    clearTimeout(timer);
    expect(output.trim().split('\n')).toEqual(['pca', 'cca', 'run', 'done']);
    expect(code).toBe(0);
  }, 90_000);
});
