// Options of the low-level game: presets, defaults and validation. Everything here is checked before any
// memory is allocated or any state changes.

import { describe } from '../describe';
import type {
  AdamOptions, DeviceOptions, GameSettings, OptimizerOptions, Reduction, ResolvedOptimizer, SgdOptions, Variant,
} from '../devices/settings';

export type { AdamOptions, OptimizerOptions, Reduction, SgdOptions, Variant };

/** 'seed' is the paper's appendix rule exactly: sum, SGD 1e-4 with Nesterov momentum 0.9, μ, no projection. */
export type Preset = 'seed';

const SEED_SETTINGS: GameSettings = {
  optimizer: { type: 'sgd', learningRate: 1e-4, momentum: 0.9, nesterov: true },
  reduction: 'sum',
  variant: 'mu',
  riemannian: false,
};

const PRESETS: Record<Preset, GameSettings> = { seed: SEED_SETTINGS };

function finitePositive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${describe(value)}`);
  }
  return value;
}

function inUnitInterval(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`${name} must be a number in [0, 1), got ${describe(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

export function resolveOptimizer(options: OptimizerOptions): ResolvedOptimizer {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`optimizer must be an object like { type: 'sgd', learningRate: 1e-3 }, got ${describe(options)}`);
  }
  if (options.type !== 'sgd' && options.type !== 'adam') {
    throw new TypeError(`optimizer.type must be 'sgd' or 'adam', got ${describe((options as { type?: unknown }).type)}`);
  }
  const learningRate = finitePositive(options.learningRate, 'optimizer.learningRate');
  if (options.type === 'sgd') {
    const nesterov = options.nesterov ?? false;
    if (typeof nesterov !== 'boolean') throw new TypeError(`optimizer.nesterov must be a boolean, got ${describe(nesterov)}`);
    return { type: 'sgd', learningRate, momentum: inUnitInterval(options.momentum ?? 0, 'optimizer.momentum'), nesterov };
  }
  return {
    type: 'adam',
    learningRate,
    b1: inUnitInterval(options.b1 ?? 0.9, 'optimizer.b1'),
    b2: inUnitInterval(options.b2 ?? 0.999, 'optimizer.b2'),
    eps: nonNegative(options.eps ?? 1e-8, 'optimizer.eps'),
    epsRoot: nonNegative(options.epsRoot ?? 0, 'optimizer.epsRoot'),
  };
}

export interface SettingsOptions {
  /** The rule the options below start from (default 'seed': the paper's appendix); explicit options override it. */
  preset?: Preset;
  /** The players' optimizer (the seed's: `{ type: 'sgd', learningRate: 1e-4, momentum: 0.9, nesterov: true }`). */
  optimizer?: OptimizerOptions;
  /** How gradients over the minibatch are combined (default 'sum'). */
  reduction?: Reduction;
  /** Which EigenGame gradient the players follow (default 'mu'). */
  variant?: Variant;
  /**
   * Project Δᵢ onto the tangent space, Δᵢ − ⟨Δᵢ, vᵢ⟩vᵢ (default false). Use it with Adam: without it the radial
   * part of Δ dominates Adam's per-coordinate scaling and the game does not converge.
   */
  riemannian?: boolean;
}

/** The preset (the seed's rule when none is named), overridden by every explicit option. */
export function resolveSettings(options: SettingsOptions): GameSettings {
  const preset = options.preset ?? 'seed';
  const base = PRESETS[preset];
  if (!base) throw new RangeError(`preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${describe(preset)}`);
  const reduction = options.reduction ?? base.reduction;
  if (reduction !== 'sum' && reduction !== 'mean') {
    throw new RangeError(`reduction must be 'sum' or 'mean', got ${describe(reduction)}`);
  }
  const variant = options.variant ?? base.variant;
  if (variant !== 'mu' && variant !== 'alpha') throw new RangeError(`variant must be 'mu' or 'alpha', got ${describe(variant)}`);
  const riemannian = options.riemannian ?? base.riemannian;
  if (typeof riemannian !== 'boolean') throw new TypeError(`riemannian must be a boolean, got ${describe(riemannian)}`);
  const optimizer = options.optimizer === undefined ? base.optimizer : resolveOptimizer(options.optimizer);
  return { optimizer, reduction, variant, riemannian };
}

/** Checks d and k of a game: positive integers with k ≤ d. */
export function checkDimensions(d: unknown, k: unknown): void {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
    throw new RangeError(`d must be a positive integer (the number of columns), got ${describe(d)}`);
  }
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new RangeError(`k must be a positive integer (the number of components), got ${describe(k)}`);
  }
  if (k > d) throw new RangeError(`k = ${k} is larger than d = ${d}: there are at most d principal components`);
}

/** Checks the device options' types; the layout itself is checked against k by checkTopology. */
export function checkDeviceOptions(options: DeviceOptions): void {
  const { devices, kPerDevice, whenBusy, onWarning } = options;
  if (devices !== undefined && devices !== 'auto' && !(Number.isInteger(devices) && (devices as number) >= 1)) {
    throw new RangeError(`devices must be a positive integer or 'auto', got ${describe(devices)}`);
  }
  if (kPerDevice !== undefined && !(Number.isInteger(kPerDevice) && kPerDevice >= 1)) {
    throw new RangeError(`kPerDevice must be a positive integer, got ${describe(kPerDevice)}`);
  }
  if (whenBusy !== undefined && whenBusy !== 'wait' && whenBusy !== 'in-thread') {
    const ErrorType = typeof whenBusy === 'string' ? RangeError : TypeError;
    throw new ErrorType(`whenBusy must be 'wait' or 'in-thread', got ${describe(whenBusy)}`);
  }
  if (onWarning !== undefined && typeof onWarning !== 'function') {
    throw new TypeError(`onWarning must be a function, got ${describe(onWarning)}`);
  }
}

/** Checks that `signal`, if given, is an AbortSignal. */
export function checkSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  const looksLikeSignal = typeof signal === 'object' && signal !== null && typeof (signal as AbortSignal).aborted === 'boolean';
  if (signal !== undefined && !looksLikeSignal) throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
}
