// The low-level game: k players, each owning a unit row of V, stepped on minibatches the caller provides.
// With `preset: 'seed'` (the default) a step is the paper's appendix rule exactly.

import { arraySink, copyRows, readMatrix, reportNonFinite, type MatrixInput } from '../io/matrix';
import { describe } from '../describe';
import { faultPlanOf } from '../devices/device';
import { Engine, cancellable, turn, type Backend } from '../devices/engine';
import { checkDeviceOptions, checkDimensions, checkSignal, resolveSettings, type SettingsOptions } from './options';
import { optimizerSlots, type DeviceOptions, type GameSettings } from '../devices/settings';
import { Rng, type RngState } from '../math/rng';
import { isMatrixSource, type MatrixSource, type RowBatch } from '../io/source';

/** The generator state a saved game carries (EigenGameState.rng). */
export type { RngState };

export interface EigenGameOptions extends SettingsOptions, DeviceOptions {
  /** Columns of the data. */
  d: number;
  /** Players (components). 1 ≤ k ≤ d. */
  k: number;
  /** Seed of the initial vectors (normal rows, normalised). Default 0. Ignored when `init` is given. */
  seed?: number;
  /** Initial V, k × d; rows are normalised on entry. */
  init?: MatrixInput;
  /** A mean subtracted from every row on the fly (length d). Default: none (the seed does not centre). */
  mean?: ArrayLike<number>;
}

/** What `game.step` resolves to. */
export interface StepResult {
  /** Each player's utility, computed with V before the step (as the seed reports it). */
  utilities: Float64Array;
}

/** Options of `game.run`. */
export interface RunOptions {
  /** Steps to take. */
  steps: number;
  /**
   * Rows per minibatch (default: all rows; a source: 1024). Step t uses the next batchSize rows after step t − 1's,
   * starting over at the first row when fewer than batchSize remain. A source is read in blocks of batchSize rows,
   * one step per block: in file order the first time, then (re-readable sources) in a new order from the game's
   * seed every epoch; a one-shot stream ends the run when it ends.
   */
  batchSize?: number;
  /** Called every `progressEvery` steps and after the last one. */
  onProgress?: (progress: RunProgress) => void;
  /** Steps between progress reports (default 10). */
  progressEvery?: number;
  /** Stops the run after the step in progress; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What `game.run` reports to `onProgress`. */
export interface RunProgress {
  /** The game's step count (over all runs and steps). */
  step: number;
  /** Utilities of that step, computed with V before it. */
  utilities: Float64Array;
}

/** Rows of a typical minibatch, which `devices: 'auto'` sizes the pool for (batches are not known yet). */
const TYPICAL_BATCH_ROWS = 1024;

/** Everything a game needs to continue exactly where it was: structured-clone friendly. */
export interface EigenGameState {
  /** Marks a saved game. */
  format: 'eigengame-state';
  /** The state's format version. */
  version: 1;
  /** Columns. */
  d: number;
  /** Players. */
  k: number;
  /** The rule the game plays by. */
  settings: GameSettings;
  /** Steps taken. */
  step: number;
  /** The seeded generator's state, which orders a source's blocks in later epochs. */
  rng: RngState;
  /** V, k × d row-major: the players' unit vectors. */
  vectors: Float32Array;
  /**
   * Optimizer buffers, k × d each: the momentum trace for SGD, the two moments for Adam. First moments are
   * kept negated (the kernels step along the ascent direction; see assembly/sgd.ts), the second as optax has it.
   */
  optimizerState: Float32Array[];
  /** The mean subtracted from every row (zeros when none). */
  mean: Float32Array;
}

function disposedError(): Error {
  return new Error('this EigenGame has been disposed');
}

/**
 * μ-EigenGame's players on minibatches: k unit vectors that converge to the top-k eigenvectors of XᵀX. With
 * `preset: 'seed'` (the default) one step is the update rule of the paper's appendix. Create with
 * `EigenGame.create`, continue a saved one with `EigenGame.restore`; `dispose()` gives its device workers back.
 */
export class EigenGame {
  private engine: Engine | null;

  private constructor(engine: Engine, private readonly rng: Rng) {
    this.engine = engine;
  }

  /** Creates a game. Every option is checked before any memory is allocated. */
  static async create(options: EigenGameOptions): Promise<EigenGame> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`EigenGame.create needs an options object like { d, k }, got ${describe(options)}`);
    }
    const { d, k } = options;
    checkDimensions(d, k);
    const settings = resolveSettings(options);
    const seed = options.seed ?? 0;
    const rng = Rng.fromSeed(seed);
    const initial = options.init === undefined ? undefined : checkedInit(options.init, k, d);
    const mean = options.mean === undefined ? new Float32Array(d) : checkedMean(options.mean, d);
    const engine = await createEngine(d, k, settings, options);
    engine.vectors().set(initial ?? randomRows(rng, k, d));
    engine.mean().set(mean);
    engine.normalize(k);
    return new EigenGame(engine, rng);
  }

  /** Continues a game saved with `save()`, on the devices `options` asks for (default: one, in-thread). */
  static async restore(state: EigenGameState, options: DeviceOptions = {}): Promise<EigenGame> {
    checkState(state);
    const engine = await createEngine(state.d, state.k, state.settings, options);
    engine.vectors().set(state.vectors);
    engine.mean().set(state.mean);
    state.optimizerState.forEach((buffer, slot) => engine.optimizerState(slot).set(buffer));
    engine.stepCount = state.step;
    return new EigenGame(engine, Rng.fromState(state.rng));
  }

  private get live(): Engine {
    if (!this.engine) throw disposedError();
    return this.engine;
  }

  /** Columns of the rows the game plays on. */
  get d(): number {
    return this.live.d;
  }

  /** Players: the number of vectors. */
  get k(): number {
    return this.live.k;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.live.stepCount;
  }

  /** Where the steps run: in this thread or on workers, how many devices, which kernel build. */
  get backend(): Backend {
    return { ...this.live.backend };
  }

  /** The resolved optimizer, reduction, variant and projection. */
  get settings(): GameSettings {
    return structuredClone(this.live.settings);
  }

  /**
   * One step on a minibatch (rows × d). Resolves to the utilities computed with V before the step. The minibatch
   * is checked (shape, finite values) before anything changes.
   */
  async step(minibatch: MatrixInput): Promise<StepResult> {
    const engine = this.live;
    const reader = readMatrix(minibatch, 'minibatch');
    if (reader.cols !== engine.d) {
      throw new RangeError(`minibatch has ${reader.cols} columns, but this game has d = ${engine.d}`);
    }
    engine.reserveRows(reader.rows);
    copyRows(reader, 'minibatch', engine);
    engine.centerRows(0, reader.rows);
    await engine.run({ kind: 'windows', rows: reader.rows, batchSize: reader.rows, steps: 1, reportEvery: 1 });
    return { utilities: engine.utilities() };
  }

  /**
   * Many steps on data held in memory once, minibatches taken in order (see RunOptions.batchSize). With devices
   * the workers step on their own, the calling thread is free until the run ends. Resolves to the utilities of
   * the last step.
   */
  async run(data: MatrixInput | MatrixSource, options: RunOptions): Promise<StepResult> {
    const checked = checkRunOptions(options);
    return cancellable(checked.signal, () => (isMatrixSource(data)
      ? this.runSource(data, { ...checked, batchSize: checked.batchSize ?? 1024 })
      : this.runInMemory(data, checked)));
  }

  private async runInMemory(data: MatrixInput, options: ReturnType<typeof checkRunOptions>): Promise<StepResult> {
    const engine = this.live;
    const { steps, batchSize, progressEvery, onProgress, signal } = options;
    const reader = readMatrix(data, 'data');
    if (reader.cols !== engine.d) {
      throw new RangeError(`data has ${reader.cols} columns, but this game has d = ${engine.d}`);
    }
    const batch = batchSize ?? reader.rows;
    if (batch > reader.rows) throw new RangeError(`batchSize = ${batch} is larger than the data's ${reader.rows} rows`);
    signal?.throwIfAborted();
    engine.reserveRows(reader.rows);
    copyRows(reader, 'data', engine);
    engine.centerRows(0, reader.rows);
    const first = engine.stepCount;
    await engine.run(
      { kind: 'windows', rows: reader.rows, batchSize: batch, steps, reportEvery: progressEvery },
      onProgress && ((report) => onProgress({ step: first + report.steps, utilities: report.utilities })),
      signal,
    );
    return { utilities: engine.utilities() };
  }

  /** EigenGame.run over a source: one step per block of rows, only a block in memory at a time. */
  private async runSource(
    source: MatrixSource, options: Required<Pick<RunOptions, 'steps' | 'batchSize' | 'progressEvery'>> & RunOptions,
  ): Promise<StepResult> {
    const engine = this.live;
    const { steps, batchSize, progressEvery, onProgress, signal } = options;
    const info = await source.info();
    if (info.cols !== engine.d) throw new RangeError(`${source.name} has ${info.cols} columns, but this game has d = ${engine.d}`);
    signal?.throwIfAborted();
    engine.reserveRows(batchSize);
    let taken = 0;
    for (let epoch = 0; taken < steps; epoch++) {
      const blocks = info.rereadable && epoch > 0 ? Math.ceil((await source.info()).rows! / batchSize) : 0;
      const order = blocks > 0 ? this.rng.permutation(blocks) : undefined;
      let stepped = false;
      for await (const batch of batchesOf(source, batchSize, order, signal)) {
        loadBatch(engine, batch, source.name);
        await engine.run({ kind: 'windows', rows: batch.rows, batchSize: batch.rows, steps: 1, reportEvery: 1 }, undefined, signal);
        taken++;
        stepped = true;
        if (onProgress && (taken % progressEvery === 0 || taken === steps)) onProgress({ step: engine.stepCount, utilities: engine.utilities() });
        if (taken === steps) break;
      }
      if (!info.rereadable || !stepped) break;
    }
    return { utilities: engine.utilities() };
  }

  /** A copy of V: k × d, row-major, unit rows. */
  components(): Float32Array {
    return this.live.vectors().slice();
  }

  /** A snapshot of the whole state (V, optimizer state, step count, RNG, mean). */
  save(): EigenGameState {
    const engine = this.live;
    return {
      format: 'eigengame-state',
      version: 1,
      d: engine.d,
      k: engine.k,
      settings: structuredClone(engine.settings),
      step: engine.stepCount,
      rng: this.rng.state(),
      vectors: engine.vectors().slice(),
      optimizerState: Array.from({ length: optimizerSlots(engine.settings.optimizer) }, (_, slot) =>
        engine.optimizerState(slot).slice()),
      mean: engine.mean().slice(),
    };
  }

  /** Terminates the game's workers and frees its memory. Any later call throws. */
  dispose(): void {
    if (!this.engine) throw disposedError();
    this.engine.dispose();
    this.engine = null;
  }
}

/**
 * Copies a source's batch into the game's resident rows as float32 and centres it. The game computes in float32
 * as the seed does: a value beyond float32's range is refused with its place (pca scales its data instead).
 */
function loadBatch(engine: Engine, batch: RowBatch, name: string): void {
  engine.rows(0, batch.rows).set(batch.data);
  const bad = engine.firstNonFinite(0, batch.rows);
  if (bad >= 0) {
    const value = batch.data[bad];
    throw new RangeError(`${name}: row ${batch.firstRow + Math.floor(bad / batch.cols)}, column ${bad % batch.cols} is ${value}, beyond float32's range (the game computes in float32)`);
  }
  engine.centerRows(0, batch.rows);
}

/**
 * A source's batches, checking `signal` after every read: an abort that lands while a stream is read (which may
 * then end, or stall) stops the loop there. The event loop gets its turns between batches (a source in memory
 * reads as microtasks).
 */
export function batchesOf(
  source: MatrixSource, batchSize: number, order?: ArrayLike<number>, signal?: AbortSignal,
): AsyncGenerator<RowBatch> {
  return withTurns(source.batches(batchSize, order), signal);
}

/** `batches` with a turn of the event loop (and the abort check) before each. */
export async function* withTurns(batches: AsyncIterable<RowBatch>, signal?: AbortSignal): AsyncGenerator<RowBatch> {
  for await (const batch of batches) {
    await turn(signal);
    yield batch;
  }
  signal?.throwIfAborted();
}

async function createEngine(d: number, k: number, settings: GameSettings, options: DeviceOptions): Promise<Engine> {
  checkDeviceOptions(options);
  // A game holds its workers until it is disposed.
  const engine = await Engine.create({ d, k, rowCapacity: 0 }, settings, {
    ...options, workPerStep: 4 * TYPICAL_BATCH_ROWS * k * d, longLived: true, fault: faultPlanOf(options),
  });
  await engine.ready();
  return engine;
}

function checkRunOptions(options: RunOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`run needs an options object like { steps: 100 }, got ${describe(options)}`);
  }
  const { steps, batchSize, onProgress, signal } = options;
  const progressEvery = options.progressEvery ?? 10;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer, got ${describe(steps)}`);
  }
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`batchSize must be a positive integer, got ${describe(batchSize)}`);
  }
  if (!Number.isInteger(progressEvery) || progressEvery < 1) {
    throw new RangeError(`progressEvery must be a positive integer, got ${describe(progressEvery)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
  }
  checkSignal(signal);
  return { steps, batchSize, progressEvery, onProgress, signal };
}

/** k normal rows of length d from the generator (normalised later, in float32, by the kernel). */
export function randomRows(rng: Rng, k: number, d: number): Float32Array {
  const rows = new Float32Array(k * d);
  for (let i = 0; i < rows.length; i++) rows[i] = rng.nextNormal();
  return rows;
}

function checkedInit(init: MatrixInput, k: number, d: number): Float32Array {
  const reader = readMatrix(init, 'init');
  if (reader.rows !== k || reader.cols !== d) {
    throw new RangeError(`init is ${reader.rows} × ${reader.cols}, but the game needs k × d = ${k} × ${d}`);
  }
  const rows = new Float32Array(k * d);
  copyRows(reader, 'init', arraySink(rows, d));
  for (let i = 0; i < k; i++) {
    if (rows.subarray(i * d, (i + 1) * d).every((value) => value === 0)) {
      throw new RangeError(`init row ${i} is all zeros: it has no direction to normalise`);
    }
  }
  return rows;
}

function checkedMean(mean: ArrayLike<number>, d: number): Float32Array {
  if (typeof mean !== 'object' || mean === null || typeof mean.length !== 'number') {
    throw new TypeError(`mean must be an array of ${d} numbers, got ${describe(mean)}`);
  }
  if (mean.length !== d) throw new RangeError(`mean has ${mean.length} values, but the game has d = ${d}`);
  // Read as a one-row matrix: a plain array's values are type-checked (null, "1" are refused, not converted).
  const values = new Float32Array(d);
  readMatrix([mean], 'mean').copyRow(0, values, 0);
  if (values.some((value) => !Number.isFinite(value))) reportNonFinite(mean, 'mean', 0, true);
  return values;
}

function checkState(state: EigenGameState): void {
  if (typeof state !== 'object' || state === null || state.format !== 'eigengame-state') {
    throw new TypeError('EigenGame.restore needs a state from EigenGame.prototype.save()');
  }
  if (state.version !== 1) throw new RangeError(`unsupported EigenGame state version ${describe(state.version)}`);
  const { d, k } = state;
  checkDimensions(d, k);
  const settings = resolveSettings(state.settings);
  if (!Number.isInteger(state.step) || state.step < 0) {
    throw new RangeError(`state.step must be a non-negative integer, got ${describe(state.step)}`);
  }
  const matrix = (value: unknown, name: string, length: number) => {
    if (!(value instanceof Float32Array) || value.length !== length) {
      throw new TypeError(`state.${name} must be a Float32Array of ${length} values`);
    }
  };
  matrix(state.vectors, 'vectors', k * d);
  matrix(state.mean, 'mean', d);
  const slots = optimizerSlots(settings.optimizer);
  if (!Array.isArray(state.optimizerState) || state.optimizerState.length !== slots) {
    throw new TypeError(`state.optimizerState must hold ${slots} buffers for this optimizer`);
  }
  state.optimizerState.forEach((buffer, slot) => matrix(buffer, `optimizerState[${slot}]`, k * d));
  Rng.fromState(state.rng);
}
