// What the devices run a game with: the resolved optimizer, reduction and variant, and how many devices there are.
// The options users write, their presets and their checks are the game's (src/game/options.ts).

/** Stochastic gradient descent with optional (Nesterov) momentum, as `optax.sgd`: the seed's optimizer. */
export interface SgdOptions {
  /** Selects this optimizer. */
  type: 'sgd';
  /** Step size (optax's `learning_rate`); the seed's is 1e-4. */
  learningRate: number;
  /** Momentum decay (optax's `momentum`); 0 or absent means plain SGD. */
  momentum?: number;
  /** Nesterov momentum (optax's `nesterov`). */
  nesterov?: boolean;
}

/** Adam, as `optax.adam` (use it with `riemannian: true`). */
export interface AdamOptions {
  /** Selects this optimizer. */
  type: 'adam';
  /** Step size (optax's `learning_rate`). */
  learningRate: number;
  /** Decay of the first moment (default 0.9, as optax.adam). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
  /** Added to the second moment inside the root (default 0). */
  epsRoot?: number;
}

/** The players' optimizer: SGD (the seed's) or Adam, applied to −Δ as optax applies them. */
export type OptimizerOptions = SgdOptions | AdamOptions;
/** An optimizer with every default filled in, as a game runs it and saves it. */
export type ResolvedOptimizer = Required<SgdOptions> | Required<AdamOptions>;

/** 'sum' sums gradients over the minibatch (the seed's psum); 'mean' divides by its size (the official code). */
export type Reduction = 'sum' | 'mean';
/** 'mu' is μ-EigenGame (the seed); 'alpha' is the original α-EigenGame gradient. */
export type Variant = 'mu' | 'alpha';
/** The rule a game plays by, every option resolved (a saved game's `settings`). */
export interface GameSettings {
  /** The optimizer, defaults filled in. */
  optimizer: ResolvedOptimizer;
  /** How gradients over the minibatch are combined. */
  reduction: Reduction;
  /** Which EigenGame gradient the players follow. */
  variant: Variant;
  /** Whether Δ is projected onto the tangent space of the unit sphere. */
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
