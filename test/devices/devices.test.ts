// Parallel devices on real worker_threads (the workers run dist/device-node.js, built by `npm test`): bitwise
// determinism over device counts and player slicings, faults, aborts and the pool's lifecycle.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { injectFault, type FaultPlan } from '../../src/devices/device';
import { EigenGame, pca, type EigenGameOptions, type MatrixInput } from '../../src/entries/node';
import { currentHost } from '../../src/hosts/host';
import { nodeHost } from '../../src/hosts/node';
import { DevicePool } from '../../src/devices/pool';
import { DEFAULT_IDLE_TIMEOUT, deviceWorkers, setDevices } from '../../src/devices/workers';
import { compiledModule, createMemory } from '../../src/kernels/load';
import { kernelBuild } from '../../src/kernels/capabilities';
import { planMemory } from '../../src/devices/memory';
import { expectSameBits } from '../helpers/bits';
import { normals } from '../helpers/random';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';

const d = 37;
const k = 6;
const n = 700;
const X: MatrixInput = { data: normals(11, n * d), rows: n, cols: d };

/**
 * Every (devices, kPerDevice) pair with 1–4 devices where kPerDevice divides k and the slices divide devices, and
 * 6 devices of one player each (kPerDevice = 1 needs k = 6 slices; more workers than cores still works).
 */
const layouts = [1, 2, 3, 4, 6].flatMap((devices) =>
  [1, 2, 3, 6].filter((kPerDevice) => devices % (k / kPerDevice) === 0 && (devices < 6 || kPerDevice === 1))
    .map((kPerDevice) => ({ devices, kPerDevice })));

async function runGame(options: Partial<EigenGameOptions>, steps: number, batchSize: number) {
  const game = await EigenGame.create({ d, k, seed: 4, ...options });
  try {
    const { utilities } = await game.run(X, { steps, batchSize });
    return { vectors: game.components(), utilities, backend: game.backend, stepCount: game.stepCount };
  } finally {
    game.dispose();
  }
}

/** The built package's Node entry, which child processes import. */
const distEntry = new URL('../../dist/node.js', import.meta.url).href;

/** Runs an ES module script in a child Node with `flags`; kills it after `timeout` ms. Resolves to its output lines. */
async function runNode(flags: string[], script: string, timeout: number) {
  const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill(), timeout);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { lines: output.trim().split('\n'), code };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Devices are capped at the host's hardware threads; the suites that need more workers than this machine's cores
 * (to check bits and faults on 3, 4 and 6 devices) run as on a host with 8.
 */
function asOnEightThreads() {
  beforeEach(() => void vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(8));
  afterEach(() => vi.restoreAllMocks());
}

describe('bitwise determinism across devices', () => {
  asOnEightThreads();

  it('the layouts cover 1–4 devices and every kPerDevice that divides k', () => {
    expect(layouts.map(({ devices, kPerDevice }) => `${devices}×${kPerDevice}`)).toEqual([
      '1×6', '2×3', '2×6', '3×2', '3×6', '4×3', '4×6', '6×1',
    ]);
  });

  const seedRule = { reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.3, momentum: 0.9, nesterov: true } } as const;

  it.each(layouts)('V after 50 steps: $devices devices, kPerDevice $kPerDevice = in-thread', async (layout) => {
    const reference = await runGame({ ...seedRule, devices: 1 }, 50, 233);
    const result = await runGame({ ...seedRule, ...layout }, 50, 233);
    expect(result.backend).toMatchObject({ kind: layout.devices === 1 ? 'in-thread' : 'workers', ...layout });
    expect(result.stepCount).toBe(50);
    expectSameBits(result.vectors, reference.vectors, 'V');
    expectSameBits(result.utilities, reference.utilities, 'utilities');
  });

  it.each([
    { name: 'Adam, α-EigenGame, Riemannian, sum', options: { optimizer: { type: 'adam', learningRate: 0.01 }, variant: 'alpha', riemannian: true } },
    { name: 'plain SGD, μ, the seed preset', options: { preset: 'seed', optimizer: { type: 'sgd', learningRate: 1e-4 } } },
  ] as const)('$name: 4 devices in 2 slices and 3 data shards give the in-thread bits', async ({ options }) => {
    const reference = await runGame({ ...options, devices: 1 }, 20, 321);
    for (const layout of [{ devices: 4, kPerDevice: 3 }, { devices: 3, kPerDevice: 6 }]) {
      const result = await runGame({ ...options, ...layout }, 20, 321);
      expectSameBits(result.vectors, reference.vectors, `V on ${layout.devices} devices`);
    }
  });

  it('game.step on 2 devices follows the in-thread game step by step, as batches grow the shared memory', async () => {
    const games = await Promise.all([1, 2].map((devices) => EigenGame.create({ d, k, seed: 9, devices })));
    for (const [t, rows] of [97, 3000, 50, 20000, 64].entries()) {
      const batch = { data: normals(100 + t, rows * d), rows, cols: d };
      const [one, two] = await Promise.all(games.map((game) => game.step(batch)));
      expectSameBits(two.utilities, one.utilities, `utilities at step ${t + 1}`);
      expectSameBits(games[1].components(), games[0].components(), `V at step ${t + 1}`);
    }
    games.forEach((game) => game.dispose());
  });

  it('a game saved in-thread and restored on 3 devices continues with the same bits', async () => {
    const settings = { reduction: 'mean', optimizer: { type: 'adam', learningRate: 0.01 }, riemannian: true } as const;
    const game = await EigenGame.create({ d, k, seed: 5, ...settings });
    await game.run(X, { steps: 7, batchSize: 300 });
    const restored = await EigenGame.restore(game.save(), { devices: 3, kPerDevice: 2 });
    expect(restored.backend).toMatchObject({ kind: 'workers', devices: 3 });
    await Promise.all([game.run(X, { steps: 8, batchSize: 300 }), restored.run(X, { steps: 8, batchSize: 300 })]);
    expect(restored.stepCount).toBe(15);
    expectSameBits(restored.components(), game.components(), 'V after restore');
    expectSameBits(restored.save().optimizerState[1], game.save().optimizerState[1], 'Adam second moment');
    game.dispose();
    restored.dispose();
  });

  it("devices: 'auto' takes the cores when the work warrants it, one in-thread device when it does not", async () => {
    vi.restoreAllMocks(); // this host's real count
    const big = await EigenGame.create({ d: 784, k: 16, devices: 'auto' });
    expect(big.backend.devices).toBe(availableParallelism());
    big.dispose();
    const small = await EigenGame.create({ d: 8, k: 2, devices: 'auto' });
    expect(small.backend).toMatchObject({ kind: 'in-thread', devices: 1 });
    small.dispose();
    const tiny = await pca([[1, 2], [2, 1], [3, 5]], { k: 1 });
    expect(tiny.backend).toMatchObject({ kind: 'in-thread', devices: 1 });
  });

  it('pca gives the same bits on 1, 2 and 3 devices, and every progress report before it resolves', async () => {
    const planted = plantedData({ n: 3000, d: 64, spectrum: gappedSpectrum(64, 5, 0.05), seed: 2 });
    const models = [];
    const reports: number[][] = [];
    for (const devices of [1, 2, 3]) {
      const steps: number[] = [];
      models.push(await pca(planted, { k: 5, devices, onProgress: (progress) => steps.push(progress.step) }));
      // A report that trailed the fit (device 0's reports come on a port of their own) would be missing here.
      reports.push(steps);
    }
    expect(models.map((model) => model.backend?.devices)).toEqual([1, 2, 3]);
    expect(reports[0].length).toBeGreaterThan(0);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    for (const model of models.slice(1)) {
      expectSameBits(model.components, models[0].components, 'components');
      expectSameBits(model.explainedVariance, models[0].explainedVariance, 'explained variance');
    }
  });
});

describe('faults: a failing device rejects the run at the step it failed in, naming the device and the cause', () => {
  asOnEightThreads();

  const cases: { kind: FaultPlan['kind']; message: RegExp }[] = [
    { kind: 'throw', message: /^device 1 threw injected failure of device 1$/ },
    { kind: 'trap', message: /^device 1 threw RuntimeError: memory access out of bounds$/ },
    { kind: 'exit', message: /^device 1 worker exited with code 7$/ },
    { kind: 'terminate', message: /^device 1 worker exited with code 1$/ },
    { kind: 'oom', message: /^device 1 worker ran out of memory$/ },
  ];

  it.each(cases)('$kind', async ({ kind, message }) => {
    const fault: FaultPlan = { device: 1, atStep: 3, kind };
    const game = await EigenGame.create({ d, k, devices: 3, [injectFault]: fault } as EigenGameOptions);
    const reported: number[] = [];
    const error = await game.run(X, { steps: 1000, batchSize: 700, progressEvery: 1, onProgress: ({ step }) => reported.push(step) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('DeviceError');
    expect((error as Error).message).toMatch(message);
    expect((error as { device: number }).device).toBe(1);
    // Reports are consecutive from step 1. A fault raised inside device 1 at step 3 stops every device there (each
    // waits for it in a barrier), however long the worker takes to die: steps 1 and 2 reported at most. A worker
    // terminated from outside (on the report of step 2) stops when its thread is stopped, a few steps later.
    expect(reported).toEqual(Array.from({ length: reported.length }, (_, i) => i + 1));
    if (kind !== 'terminate') expect(reported.length).toBeLessThanOrEqual(2);
    // The pool is gone: later calls say why instead of hanging.
    await expect(game.step(X)).rejects.toThrow(/^the device pool failed earlier: device 1 /);
    game.dispose();
  }, 60_000); // an out-of-memory worker takes seconds to die on a loaded machine

  it('a fault in pca rejects the fit the same way', async () => {
    const options = { k: 4, devices: 2, [injectFault]: { device: 0, atStep: 2, kind: 'trap' } };
    await expect(pca(X, options)).rejects.toThrow(/^device 0 threw RuntimeError: memory access out of bounds$/);
  });
});

describe('abort', () => {
  it('stops the devices after the step in progress; the game stays consistent and usable', async () => {
    const game = await EigenGame.create({ d, k, seed: 4, devices: 2 });
    const controller = new AbortController();
    const reported: number[] = [];
    const run = game.run(X, {
      steps: 1_000_000, batchSize: 700, progressEvery: 1,
      onProgress: ({ step }) => (reported.push(step), step >= 5 && controller.abort()),
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const steps = game.stepCount;
    expect(steps).toBeGreaterThanOrEqual(5);
    // Every step the devices took before they stopped was reported before the run rejected, and no other.
    expect(reported).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    // The state equals a run of exactly that many steps in-thread.
    const reference = await runGame({ devices: 1 }, steps, 700);
    expectSameBits(game.components(), reference.vectors, 'V after the abort');
    await game.step(X);
    game.dispose();
  });

  it('a signal aborted before the run rejects at once', async () => {
    const game = await EigenGame.create({ d, k, devices: 2 });
    await expect(game.run(X, { steps: 5, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(game.stepCount).toBe(0);
    game.dispose();
  });

  it('pca on workers rejects with the AbortError', async () => {
    const controller = new AbortController();
    const fit = pca(X, {
      k: 4, devices: 2, tol: 0, maxSteps: 1_000_000, signal: controller.signal,
      onProgress: ({ step }) => step >= 20 && controller.abort(),
    });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('lifecycle', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    setDevices({ max: 'auto', idleTimeout: DEFAULT_IDLE_TIMEOUT });
  });

  it('dispose twice, step or run after dispose, overlapping runs: clear errors', async () => {
    const game = await EigenGame.create({ d, k, devices: 2 });
    const first = game.run(X, { steps: 3 });
    await expect(game.step(X)).rejects.toThrow(/already running a step/);
    await first;
    game.dispose();
    expect(() => game.dispose()).toThrow(/has been disposed/);
    await expect(game.step(X)).rejects.toThrow(/has been disposed/);
    await expect(game.run(X, { steps: 1 })).rejects.toThrow(/has been disposed/);
  });

  it('a pool starts once and is disposed once; dispose during a run rejects the run', async () => {
    const memory = createMemory('threads', 64);
    const plan = planMemory({ d, k, optimizerSlots: 0, rowCapacity: 0, devices: 2 }, 1024);
    const grant = await deviceWorkers.request({ devices: 2, fit: () => 0, whenBusy: 'wait', longLived: false });
    if (!('lease' in grant)) expect.fail(`no workers: ${grant.refused}`);
    const pool = new DevicePool(grant.lease);
    const module = await compiledModule('threads');
    await pool.start(module, memory, plan);
    await expect(pool.start(module, memory, plan)).rejects.toThrow(/already started/);
    pool.dispose();
    expect(() => pool.dispose()).toThrow(/already been disposed/);

    const game = await EigenGame.create({ d, k, devices: 2 });
    let disposed = false;
    const run = game.run(X, {
      steps: 1_000_000, progressEvery: 1, onProgress: () => disposed || ((disposed = true), game.dispose()),
    });
    await expect(run).rejects.toThrow(/^the device pool was disposed during a run$/);
  });

  it('a Node process that used devices and never called dispose exits by itself', async () => {
    const script = `
      import { EigenGame, pca, setDevices } from ${JSON.stringify(distEntry)};
      // Room for a fit beside the game's workers; warm workers kept for ever.
      setDevices({ max: 4, idleTimeout: Infinity });
      const game = await EigenGame.create({ d: 8, k: 2, devices: 2 });
      await game.step([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]]);
      // Warm workers (here never retired) and the channel of its progress reports do not either.
      const rows = Array.from({ length: 300 }, (_, r) => Array.from({ length: 8 }, (_, c) => Math.sin(r * 7 + c * c)));
      console.log((await pca(rows, { k: 2, devices: 2, onProgress() {} })).backend.kind);
      // A fit that fails on its input while its workers are still starting leaves none behind.
      const bad = Array.from({ length: 100 }, (_, r) => Array.from({ length: 8 }, (_, c) => (r === 70 && c === 3 ? NaN : r * c)));
      await pca(bad, { k: 2, devices: 2 }).catch((error) => console.log(error.message));
      console.log(game.backend.kind);`;
    // A process kept alive by its workers (for ever, with idleTimeout: Infinity) is killed after a minute, a deadline
    // no loaded machine reaches (the script takes about a second), and then fails below with no exit code.
    const { lines, code } = await runNode([], script, 60_000);
    expect(lines).toEqual(['workers', 'X has a value that is not a number at row 70, column 3: NaN', 'workers']);
    expect(code).toBe(0);
  }, 120_000);

  it('memory is reclaimed over many fits: 100 more fits leave the heap and the wasm memories where they were', async () => {
    // Measured in a child with --expose-gc, after full collections: V8's heap plus memory outside it (wasm
    // memories, typed arrays). 100 fits one after another, in-thread and on workers: the growth measured is 0.3 MiB;
    // a fit's in-thread wasm memory is 1.3 MiB (kept alive by a deliberate leak, 100 fits grew it by 130 MiB). The
    // bound, 16 MiB, is 50× the growth measured and an eighth of what keeping each fit's memory costs. (Node does
    // not count a worker fit's shared memory in external: on 2 devices this holds the JS side of the fits only.)
    const script = `
      import { pca } from ${JSON.stringify(distEntry)};
      const rows = Array.from({ length: 2000 }, (_, r) => Array.from({ length: 50 }, (_, c) => Math.sin(r * 7 + c * c) + (c < 3 ? Math.cos(r * c) : 0)));
      const used = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
      for (const devices of [1, 2]) {
        for (let i = 0; i < 5; i++) await pca(rows, { k: 3, devices });
        const before = used();
        for (let i = 0; i < 100; i++) await pca(rows, { k: 3, devices });
        console.log(devices, (used() - before) / 2 ** 20);
      }`;
    const { lines, code } = await runNode(['--expose-gc'], script, 120_000);
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const [devices, growth] = line.split(' ').map(Number);
      expect(growth, `growth on ${devices} device(s), MiB`).toBeLessThan(16);
    }
  }, 180_000);

  it.each(['--expose-gc', '--title=eigengame-test'])(
    'a Node process started with %s (a flag worker_threads refuse) runs pca on workers; a bad workerUrl is named',
    async (flag) => {
      const missing = new URL('../../dist/no-such-worker.js', import.meta.url).href;
      const script = `
        import { init, pca } from ${JSON.stringify(distEntry)};
        const rows = Array.from({ length: 64 }, (_, r) => Array.from({ length: 6 }, (_, c) => Math.sin(r * 7 + c * c)));
        const warnings = [];
        const model = await pca(rows, { k: 2, devices: 2, onWarning: (message) => warnings.push(message) });
        console.log(model.backend.kind, model.backend.devices, warnings.length);
        await init({ workerUrl: ${JSON.stringify(missing)} });
        const error = await pca(rows, { k: 2, devices: 2 }).catch((e) => e);
        console.log(error.name);
        console.log(error.message);`;
      // Killed (and failed below) only if it hangs: a minute, far beyond its usual second or two.
      const { lines, code } = await runNode([flag], script, 60_000);
      expect(lines.slice(0, 2)).toEqual(['workers 2 0', 'DeviceError']);
      expect(lines[2]).toMatch(new RegExp(`^could not start 2 device workers from ${escapeRegExp(missing)}: device \\d worker threw .*no-such-worker\\.js`));
      expect(code).toBe(0);
    },
    120_000,
  );

  it.each([
    { name: 'no SharedArrayBuffer', stub: ['SharedArrayBuffer', undefined], reason: /no SharedArrayBuffer/ },
    { name: 'a page that is not cross-origin isolated', stub: ['crossOriginIsolated', false], reason: /not cross-origin isolated/ },
  ] as const)('without threads ($name) it runs one in-thread device, says so once, and gets the same bits', async ({ stub, reason }) => {
    const reference = await runGame({ devices: 1 }, 10, 100);
    vi.stubGlobal(stub[0], stub[1]);
    const warnings: string[] = [];
    const result = await runGame({ devices: 4, kPerDevice: 3, onWarning: (message) => warnings.push(message) }, 10, 100);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(reason);
    expect(result.backend).toMatchObject({ kind: 'in-thread', devices: 1, build: kernelBuild(false) });
    expect(result.backend.fallback).toBe(warnings[0]);
    expectSameBits(result.vectors, reference.vectors, 'V');
  });

  const spawnWorker = nodeHost.spawnWorker.bind(nodeHost);
  it.each([
    {
      name: 'the Worker constructor throws',
      spawn: () => Promise.reject(new TypeError('Initiated Worker with invalid execArgv flags: --expose-gc')),
      cause: /^could not start 2 device workers: TypeError: Initiated Worker with invalid execArgv flags: --expose-gc: /,
    },
    {
      name: "the package's worker script does not load",
      spawn: (device: number) => spawnWorker(device, new URL('../../dist/missing-device.js', import.meta.url)),
      cause: /^could not start 2 device workers: device \d worker threw Error: Cannot find module '.*missing-device\.js'.*: /,
    },
  ])('when the workers cannot start ($name), it runs one in-thread device, says so once, and gets the same bits', async ({ spawn, cause }) => {
    const reference = await runGame({ devices: 1 }, 10, 100);
    const planted = plantedData({ n: 500, d: 16, spectrum: gappedSpectrum(16, 3, 0.05), seed: 3 });
    const referenceModel = await pca(planted, { k: 3, devices: 1 });
    setDevices({ idleTimeout: 0 }); // no warm worker: every device needs a new one
    vi.spyOn(currentHost(), 'spawnWorker').mockImplementation(spawn);
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const result = await runGame({ devices: 2, onWarning }, 10, 100);
    const model = await pca(planted, { k: 3, devices: 2, onWarning });
    expect(warnings).toHaveLength(2);
    for (const [warning, backend, players] of [[warnings[0], result.backend, { kPerDevice: k }], [warnings[1], model.backend, {}]] as const) {
      expect(warning).toMatch(cause);
      expect(warning).toMatch(/: running one in-thread device instead$/);
      // The memory was already shared for the workers: the threads build runs on it, with the same arithmetic.
      expect(backend).toEqual({ kind: 'in-thread', devices: 1, ...players, build: kernelBuild(true), fallback: warning });
    }
    expectSameBits(result.vectors, reference.vectors, 'V');
    expectSameBits(model.components, referenceModel.components, 'pca components');
  });

  it('asks for no more devices than the host has hardware threads, and says so once', async () => {
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    const hardware = availableParallelism();
    const reference = await runGame({ devices: 1 }, 10, 100);
    const many = await runGame({ devices: 64, onWarning }, 10, 100);
    expect(warnings).toEqual([
      `devices = 64 is more than this host's ${hardware} hardware threads: running ${hardware === 1 ? 'one in-thread device' : `${hardware} devices`} instead`,
    ]);
    expect(many.backend).toMatchObject({ devices: hardware, fallback: warnings[0] });
    expectSameBits(many.vectors, reference.vectors, 'V');
    // The cap keeps the players' layout: whole slices, and at least one device per slice, or else one in-thread
    // device (never more workers than the cap).
    vi.spyOn(currentHost(), 'hardwareThreads').mockReturnValue(4);
    const sliced = await EigenGame.create({ d, k, devices: 64, kPerDevice: 3, onWarning });
    expect(sliced.backend).toMatchObject({ kind: 'workers', devices: 4, kPerDevice: 3 });
    sliced.dispose();
    const wide = await EigenGame.create({ d, k, devices: 12, kPerDevice: 1, onWarning });
    expect(wide.backend).toMatchObject({ kind: 'in-thread', devices: 1, kPerDevice: k });
    wide.dispose();
    expect(warnings.slice(1)).toEqual([
      "devices = 64 is more than this host's 4 hardware threads: running 4 devices instead",
      "devices = 12 with k / kPerDevice = 6 slices of players needs at least 6 devices, more than this host's 4 hardware threads: running one in-thread device instead",
    ]);
    // Asking for what the host has is no warning.
    const exact = await EigenGame.create({ d, k, devices: 4, onWarning });
    exact.dispose();
    expect(warnings).toHaveLength(3);
  });

  it('rejects device layouts that do not fit k', async () => {
    await expect(EigenGame.create({ d, k, devices: 0 })).rejects.toThrow(/devices must be a positive integer or 'auto', got 0/);
    await expect(EigenGame.create({ d, k, devices: 2.5 })).rejects.toThrow(/devices must be a positive integer/);
    await expect(EigenGame.create({ d, k, kPerDevice: 4 })).rejects.toThrow(/kPerDevice must be a positive integer that divides k = 6, got 4/);
    await expect(EigenGame.create({ d, k, devices: 2, kPerDevice: 2 })).rejects.toThrow(/devices = 2 cannot hold k \/ kPerDevice = 3 slices/);
    await expect(pca(X, { k: 4, devices: -1 })).rejects.toThrow(/devices must be a positive integer or 'auto', got -1/);
  });
});
