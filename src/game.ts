// The low-level game: k players, each owning a unit row of V, stepped on minibatches the caller provides.
// With `preset: 'seed'` (the default) a step is the paper's appendix rule exactly.

import { copyRows, readMatrix, reportNonFinite, type MatrixInput } from './data';
import { Engine } from './engine';
import {
  checkDimensions, optimizerSlots, resolveSettings, type GameSettings, type SettingsOptions,
} from './options';
import { Rng, type RngState } from './rng';

export interface EigenGameOptions extends SettingsOptions {
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

export interface StepResult {
  /** Each player's utility, computed with V before the step (as the seed reports it). */
  utilities: Float64Array;
}

/** Everything a game needs to continue exactly where it was: structured-clone friendly. */
export interface EigenGameState {
  format: 'eigengame-state';
  version: 1;
  d: number;
  k: number;
  settings: GameSettings;
  step: number;
  rng: RngState;
  vectors: Float32Array;
  /**
   * Optimizer buffers, k × d each: the momentum trace for SGD, the two moments for Adam. First moments are
   * kept negated (the kernels step along the ascent direction; see assembly/sgd.ts), the second as optax has it.
   */
  optimizerState: Float32Array[];
  mean: Float32Array;
}

function disposedError(): Error {
  return new Error('this EigenGame has been disposed');
}

export class EigenGame {
  private engine: Engine | null;

  private constructor(engine: Engine, private readonly rng: Rng) {
    this.engine = engine;
  }

  /** Creates a game. Every option is checked before any memory is allocated. */
  static async create(options: EigenGameOptions): Promise<EigenGame> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`EigenGame.create needs an options object like { d, k }, got ${String(options)}`);
    }
    const { d, k } = options;
    checkDimensions(d, k);
    const settings = resolveSettings(options);
    const seed = options.seed ?? 0;
    const rng = Rng.fromSeed(seed);
    const initial = options.init === undefined ? undefined : checkedInit(options.init, k, d);
    const mean = options.mean === undefined ? new Float32Array(d) : checkedMean(options.mean, d);
    const engine = await Engine.create({ d, k, rowCapacity: 0 }, settings);
    engine.vectors().set(initial ?? randomRows(rng, k, d));
    engine.mean().set(mean);
    engine.normalize(k);
    return new EigenGame(engine, rng);
  }

  /** Continues a game saved with `save()`. */
  static async restore(state: EigenGameState): Promise<EigenGame> {
    checkState(state);
    const engine = await Engine.create({ d: state.d, k: state.k, rowCapacity: 0 }, state.settings);
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

  get d(): number {
    return this.live.d;
  }

  get k(): number {
    return this.live.k;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.live.stepCount;
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
    copyRows(reader, 'minibatch', engine.rows(0, reader.rows));
    return { utilities: engine.step(0, reader.rows) };
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

  /** Frees the game's memory. Any later call throws. */
  dispose(): void {
    if (!this.engine) throw disposedError();
    this.engine = null;
  }
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
  copyRows(reader, 'init', rows);
  for (let i = 0; i < k; i++) {
    if (rows.subarray(i * d, (i + 1) * d).every((value) => value === 0)) {
      throw new RangeError(`init row ${i} is all zeros: it has no direction to normalise`);
    }
  }
  return rows;
}

function checkedMean(mean: ArrayLike<number>, d: number): Float32Array {
  if (typeof mean !== 'object' || mean === null || typeof mean.length !== 'number') {
    throw new TypeError(`mean must be an array of ${d} numbers, got ${String(mean)}`);
  }
  if (mean.length !== d) throw new RangeError(`mean has ${mean.length} values, but the game has d = ${d}`);
  const values = Float32Array.from(mean);
  if (values.some((value) => !Number.isFinite(value))) reportNonFinite(mean, 'mean', 0, true);
  return values;
}

function checkState(state: EigenGameState): void {
  if (typeof state !== 'object' || state === null || state.format !== 'eigengame-state') {
    throw new TypeError('EigenGame.restore needs a state from EigenGame.prototype.save()');
  }
  if (state.version !== 1) throw new RangeError(`unsupported EigenGame state version ${String(state.version)}`);
  const { d, k } = state;
  checkDimensions(d, k);
  const settings = resolveSettings(state.settings);
  if (!Number.isInteger(state.step) || state.step < 0) {
    throw new RangeError(`state.step must be a non-negative integer, got ${String(state.step)}`);
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
