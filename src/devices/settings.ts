// What the devices run a game with: the resolved optimizer, reduction and variant, and how many devices there are.
// The options users write, their presets and their checks are the game's (src/game/options.ts).

export interface SgdOptions {
  type: 'sgd';
  learningRate: number;
  /** Momentum decay (optax's `momentum`); 0 or absent means plain SGD. */
  momentum?: number;
  /** Nesterov momentum (optax's `nesterov`). */
  nesterov?: boolean;
}

export interface AdamOptions {
  type: 'adam';
  learningRate: number;
  /** Defaults as optax.adam: b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0. */
  b1?: number;
  b2?: number;
  eps?: number;
  epsRoot?: number;
}

export type OptimizerOptions = SgdOptions | AdamOptions;
export type ResolvedOptimizer = Required<SgdOptions> | Required<AdamOptions>;

/** 'sum' sums gradients over the minibatch (the seed's psum); 'mean' divides by its size (the official code). */
export type Reduction = 'sum' | 'mean';
/** 'mu' is μ-EigenGame (the seed); 'alpha' is the original α-EigenGame gradient. */
export type Variant = 'mu' | 'alpha';
export interface GameSettings {
  optimizer: ResolvedOptimizer;
  reduction: Reduction;
  variant: Variant;
  riemannian: boolean;
}

/** How many k × d float32 buffers the optimizer keeps. */
export function optimizerSlots(optimizer: ResolvedOptimizer): number {
  if (optimizer.type === 'adam') return 2;
  return optimizer.momentum > 0 ? 1 : 0;
}

/** What a fit or game does when the workers it asks for are busy: wait its turn, or run in the calling thread. */
export type WhenBusy = 'wait' | 'in-thread';

/** How many devices step a game, and how they split it. */
export interface DeviceOptions {
  /**
   * Parallel devices: each is a worker (Web Worker, worker_threads in Node) on one shared memory. 1 runs in the
   * calling thread. 'auto' takes the host's logical processors, fewer when the work per step is too small to share.
   * Hosts without threads (no SharedArrayBuffer, a page that is not cross-origin isolated, edge runtimes) run one
   * in-thread device instead and say so through `onWarning`; the results are the same bits.
   */
  devices?: number | 'auto';
  /**
   * Players per device (the seed's `k_per_device`): V is split in k / kPerDevice slices of players (model
   * parallelism), and the devices holding one slice split each minibatch's rows (data parallelism). Must divide k,
   * and k / kPerDevice must divide the number of devices. Default k: every device holds all players.
   */
  kPerDevice?: number;
  /**
   * What to do when the realm's device workers (its budget: `setDevices({ max })`) are busy with other fits: 'wait'
   * (the default) waits its turn, first come first served, with the calling thread free; 'in-thread' runs at once on
   * one device in the calling thread (same bits), and `backend.fallback` says so.
   */
  whenBusy?: WhenBusy;
  /** Told once when the host cannot give what was asked (e.g. threads), and what runs instead. */
  onWarning?: (message: string) => void;
}
