// The host side of a game: the memory (plain, or shared with a pool of devices), the memory plan, and how steps
// run: in the calling thread (one device, the same program as a worker's) or on the pool's workers. EigenGame and
// pca drive it.

import { WorkQueues, soloBarrier } from './collectives';
import type { FaultPlan, RunReport } from './device';
import { planMemory, squaredResidualsOf, type MemoryPlan, type SparseShape } from './memory';
import { optimizerSlots, type DeviceOptions, type GameSettings } from './settings';
import { checkTopology, deviationStride, type Range, type Topology } from './partition';
import { DevicePool } from './pool';
import { budgetOf, deviceWorkers } from './workers';
import { DeviceProgram } from './program';
import { SharedMemoryReclaimer } from './reclaim';
import { NO_STEP, runJob, type Job, type StepReport } from './schedule';
import { currentHost } from '../hosts/host';
import { turnDue, yieldToEventLoop } from '../hosts/turns';

// The layers above (the game, pca, the generalized fits) reach the hosts only through the devices: their long loops
// give the event loop its turns through these.
export { turn, turnDue, yieldToEventLoop } from '../hosts/turns';
import { PAGE_BYTES, isSharedBuild, type BuildName, type KernelExports } from '../kernels/exports';
import { compiledModule, createMemory, instantiate, workerUrl } from '../kernels/load';
import { kernelBuild, threadsUnavailable } from '../kernels/capabilities';

export interface EngineShape {
  d: number;
  k: number;
  /** Data rows that fit in memory at once; grown on demand by `reserveRows`. */
  rowCapacity: number;
  /** Buffers for pca's players (their previous positions, the Rayleigh–Ritz check). */
  play?: boolean;
  /** Buffers for a dense d × d operator (the covariance or Gram matrix), float64 sums and a float32 copy. */
  dense?: boolean;
  /** Float64 values of a staging area for the host's blocks of rows (pca's statistics and packing). */
  stage?: number;
  /** Float64 values for the float64 pass's blocks of deviations (the pencils' covariance, assembly/scatter.ts). */
  deviations?: number;
  /** Buffers for a sparse matrix (the sparse routes). */
  sparse?: SparseShape;
}

/** Where a game's steps run: visible to users as `EigenGame.backend` and `PCAModel.backend`. */
export interface Backend {
  /** 'workers': devices are workers on one shared memory; 'in-thread': one device in the calling thread. */
  kind: 'workers' | 'in-thread';
  /** How many devices run (workers, or 1 in-thread). */
  devices: number;
  /** An EigenGame's players per device (pca's backend has none: it splits its rows and its matrix's columns). */
  kPerDevice?: number;
  /** The kernels' build: shared memory ('threads', 'relaxed-threads') or plain ('simd', 'relaxed'). */
  build: BuildName;
  /** Why fewer devices run than were asked for (e.g. no SharedArrayBuffer); absent when nothing was refused. */
  fallback?: string;
}

/** Counts the shared memories of this thread's finished games and fits. */
const hostReclaimer = new SharedMemoryReclaimer();

/** Flops of one step per device below which 'auto' does not add a device: its barriers would cost more. */
const MIN_WORK_PER_DEVICE = 8e6;
/**
 * Flops of a whole fit below which 'auto' runs it in this thread while the realm has no device worker yet: starting
 * two workers (a thread, the bundle, the kernels) takes about 150 ms, in which one thread does about 5e9 flops, and
 * work W is faster on one thread than on two new workers while W / s < 150 ms + W / 2s.
 */
const COLD_START_WORK = 1e10;

export interface EngineOptions extends DeviceOptions {
  /** Flops of a typical step, for `devices: 'auto'`. */
  workPerStep: number;
  /**
   * Flops of the whole fit, when known, for `devices: 'auto'`: a fit too small to pay for starting workers runs in
   * this thread while the realm has none, and starts them, warm for the fits to come.
   */
  totalWork?: number;
  /** An EigenGame's engine: it holds its workers until it is disposed, not just for a fit. */
  longLived?: boolean;
  /** Aborts the wait for workers (the fit's signal). */
  signal?: AbortSignal;
  fault?: FaultPlan;
}

/**
 * The devices to ask for: as asked (or, for 'auto', as many as the host's processors and the work warrant), but
 * never more than the host's hardware threads, where extra workers would only take turns on the same cores (the bits
 * do not depend on the number of devices), nor than the realm's budget of device workers (workers.ts). Every refusal
 * is told once through `onWarning` and kept as `fallback`.
 */
function resolveBackend(k: number, options: EngineOptions): { backend: Backend; warmAfter: number } {
  const kPerDevice = options.kPerDevice ?? k;
  const slices = k / kPerDevice;
  const requested = options.devices ?? 1;
  const cap = workerCap();
  const warranted = Math.max(1, Math.floor(options.workPerStep / MIN_WORK_PER_DEVICE));
  const devices = requested === 'auto' ? Math.max(slices, wholeSlicesWithin(Math.min(cap.workers, warranted), slices)) : requested;
  checkTopology({ devices, k, kPerDevice });
  if (devices === 1) return { backend: inThread(k, kernelBuild(false)), warmAfter: 0 };
  const unavailable = threadsUnavailable();
  // Workers for the fits to come start once this one is done: started now, they took this fit's cores (measured on
  // 2 cores: MNIST-10k in this thread, 0.29 s alone and 0.34 s beside two workers starting).
  if (requested === 'auto' && !unavailable && coldAndSmall(options)) return { backend: inThread(k, kernelBuild(false)), warmAfter: devices };
  if (unavailable) {
    const fallback = `${devices} devices need threads, but ${unavailable}: running one in-thread device instead`;
    return { backend: inThread(k, kernelBuild(false), warn(options, fallback)), warmAfter: 0 };
  }
  const backend = workersWithin(cap, requested === 'auto' ? "devices: 'auto'" : `devices = ${devices}`, { devices, k, kPerDevice }, options);
  return { backend, warmAfter: 0 };
}

/**
 * Whether a fit is too small to wait for new workers and the realm has none, in Node. A browser's calling thread
 * draws the page: there a fit takes workers whenever it can have them.
 */
function coldAndSmall(options: EngineOptions): boolean {
  return currentHost().name === 'node' && options.totalWork !== undefined && options.totalWork < COLD_START_WORK
    && deviceWorkers.stats().workers === 0;
}

/** The most workers one fit may have, and what sets that: the host's hardware threads or the realm's budget. */
function workerCap(): { workers: number; limit: string } {
  const hardware = currentHost().hardwareThreads();
  const budget = deviceWorkers.max();
  return budget < hardware
    ? { workers: budget, limit: `the ${budgetOf(budget)}` }
    : { workers: hardware, limit: `this host's ${hardware} hardware threads` };
}

/**
 * Workers for `topology`, or as many as the cap holds in whole slices of players, or one in-thread device when not
 * even one device per slice fits (warned). `asked`: the request as the user wrote it.
 */
function workersWithin(
  cap: { workers: number; limit: string }, asked: string, { devices, k, kPerDevice }: Topology, options: EngineOptions,
): Backend {
  const slices = k / kPerDevice;
  if (devices <= cap.workers) return { kind: 'workers', devices, kPerDevice, build: kernelBuild(true) };
  const useful = wholeSlicesWithin(cap.workers, slices);
  if (useful === 0) {
    const needs = slices > cap.workers
      ? `${asked} with k / kPerDevice = ${slices} slices of players needs at least ${slices} devices, more than ${cap.limit}`
      : `${asked} is more than ${cap.limit}`;
    return inThread(k, kernelBuild(false), warn(options, `${needs}: running one in-thread device instead`));
  }
  const fallback = warn(options, `${asked} is more than ${cap.limit}: running ${useful} devices instead`);
  return { kind: 'workers', devices: useful, kPerDevice, build: kernelBuild(true), fallback };
}

/** The most devices up to `limit` that hold whole slices of players, if that is at least 2 devices; else 0. */
function wholeSlicesWithin(limit: number, slices: number): number {
  const devices = Math.floor(limit / slices) * slices;
  return devices >= 2 ? devices : 0;
}

/**
 * Takes the workers that `wanted` asks for from the realm's budget: waits its turn (or, with whenBusy 'in-thread',
 * runs in this thread if they are busy), gets fewer when live games hold part of the budget, or runs in this thread.
 */
async function reserveDevices(k: number, wanted: Backend, options: EngineOptions): Promise<{ backend: Backend; pool: DevicePool | null }> {
  if (wanted.kind !== 'workers') return { backend: wanted, pool: null };
  const slices = k / (wanted.kPerDevice ?? k);
  const { signal } = options;
  const grant = await deviceWorkers.request({
    devices: wanted.devices, fit: (limit) => wholeSlicesWithin(limit, slices), whenBusy: options.whenBusy ?? 'wait',
    longLived: options.longLived ?? false, signal,
  });
  if ('refused' in grant) {
    return { backend: inThread(k, kernelBuild(false), grant.warn ? warn(options, grant.refused) : grant.refused), pool: null };
  }
  const pool = new DevicePool(grant.lease);
  try {
    signal?.throwIfAborted();
    if (!grant.reduced) return { backend: wanted, pool };
    return { backend: { ...wanted, devices: grant.lease.size, fallback: warn(options, grant.reduced) }, pool };
  } catch (error) {
    // An abort, or an onWarning that threw: the lease goes back, or later fits would wait for it for ever.
    pool.dispose();
    throw error;
  }
}

function inThread(k: number, build: BuildName, fallback?: string): Backend {
  const backend: Backend = { kind: 'in-thread', devices: 1, kPerDevice: k, build };
  return fallback ? { ...backend, fallback } : backend;
}

function warn(options: EngineOptions, message: string): string {
  options.onWarning?.(message);
  return message;
}

export class Engine {
  /** Steps taken so far (Adam's bias correction counts them). */
  stepCount = 0;
  private solo: DeviceProgram | null = null;
  private busy = false;
  private disposed = false;
  private pool: DevicePool | null = null;
  /** Settles when the pool's workers are ready (they start while the caller fills the memory), or it fell back. */
  private started: Promise<void> = Promise.resolve();
  /** Whether `started` has settled. */
  private settled = true;
  /** Whether the pool's workers were all warm with the kernels when it started (they attach in milliseconds). */
  private warmPool = false;
  /** Device workers to start for the realm's next fits once this engine is disposed ('auto' on a cold realm). */
  private warmAfter = 0;
  /** Whether nothing can have written the operator's sums since the memory was created (zero, as fresh memory is). */
  private sumsUntouched = true;

  private constructor(
    readonly settings: GameSettings,
    private current: Backend,
    private plan: MemoryPlan,
    private readonly memory: WebAssembly.Memory,
    private readonly kernels: KernelExports,
  ) {}

  /**
   * Takes its workers from the realm's budget (waiting its turn first, so that a waiting fit holds no memory), then
   * creates the memory and the host's kernels, and starts the workers, if any, without waiting for them: the caller
   * can fill the memory meanwhile. `ready()` waits for them; `run` does too.
   */
  static async create(shape: EngineShape, settings: GameSettings, options: EngineOptions): Promise<Engine> {
    const { backend: wanted, warmAfter } = resolveBackend(shape.k, options);
    const { backend, pool } = await reserveDevices(shape.k, wanted, options);
    try {
      const memory = createMemory(backend.build, 1);
      const kernels = await instantiate(backend.build, memory);
      const plan = planMemory(
        { ...shape, optimizerSlots: optimizerSlots(settings.optimizer), devices: backend.devices }, kernels.heapBase(),
      );
      growTo(memory, plan.pages);
      const engine = new Engine(settings, backend, plan, memory, kernels);
      engine.warmAfter = warmAfter;
      if (pool) engine.startPool(pool, await compiledModule(backend.build), options);
      return engine;
    } catch (error) {
      pool?.dispose();
      throw error;
    }
  }

  /**
   * Starts the workers. If the package's own workers cannot start (a host that refuses to spawn them, a worker
   * script that does not load), the game runs on one device in this thread instead, with the same bits (its
   * kernels already share the memory the workers would have used), and `onWarning` says why. A worker script the
   * user gave (`init({ workerUrl })`) that fails is the user's to fix: the DeviceError stands.
   */
  private startPool(pool: DevicePool, module: WebAssembly.Module, options: EngineOptions): void {
    this.pool = pool;
    this.warmPool = deviceWorkers.warmFor(pool.scriptUrl?.href ?? null) >= pool.size;
    this.started = pool.start(module, this.memory, this.plan, options.fault).catch((error: unknown) => {
      if (this.disposed || pool.scriptUrl) throw error;
      this.pool = null;
      const fallback = warn(options, `${(error as Error).message}: running one in-thread device instead`);
      this.current = inThread(this.k, this.current.build, fallback);
    });
    this.settled = false;
    this.started.then(() => (this.settled = true), () => (this.settled = true));
  }

  /** Where the steps run; settled once `ready()` has resolved. */
  get backend(): Backend {
    return this.current;
  }

  /** Resolves when the devices are ready to run (at once in-thread); rejects if they could not start. */
  ready(): Promise<void> {
    return this.started;
  }

  get d(): number {
    return this.plan.d;
  }

  get k(): number {
    return this.plan.k;
  }

  /** Live view of the players' vectors V (k × d, row-major). Views are invalid after `reserveRows`. */
  vectors(): Float32Array {
    return this.f32(this.plan.v, this.plan.k * this.plan.d);
  }

  /** Live view of the mean that `centerRows` subtracts (zeros: no centring). */
  mean(): Float32Array {
    return this.f32(this.plan.mean, this.plan.d);
  }

  /**
   * Centres resident rows [first, first + count) in place with the current mean. Rows are centred once, after
   * they are written, instead of at every use in the step's kernels (the same float32 subtraction, so the same bits).
   * Returns the sum of the centred values' squares (float64).
   */
  centerRows(first: number, count: number): number {
    const { d } = this.plan;
    return this.kernels.subtractMean(this.plan.x + first * d * 4, count, d, this.plan.mean);
  }

  /** Live view of the optimizer's state buffer `slot` (k × d). */
  optimizerState(slot: number): Float32Array {
    return this.f32(this.plan.optimizer[slot], this.plan.k * this.plan.d);
  }

  /** Live view of resident data rows [first, first + count). */
  rows(first: number, count: number): Float32Array {
    return this.f32(this.plan.x + first * this.plan.d * 4, count * this.plan.d);
  }

  /** Index (row-major, from row `first`) of the first NaN or ±Infinity in resident rows [first, first + count), or −1. */
  firstNonFinite(first: number, count: number): number {
    return this.kernels.firstNonFinite(this.plan.x + first * this.plan.d * 4, count * this.plan.d);
  }

  /** Column sums of resident rows [0, count): float64, each column summed in row order (not finite if a value is not). */
  columnSums(count: number): Float64Array {
    const { d, x, columnSums } = this.plan;
    const sums = new Float64Array(this.memory.buffer, columnSums, d);
    sums.fill(0);
    this.kernels.columnSums(x, count, d, columnSums);
    return sums.slice();
  }

  /** The utilities of the last step (k values, computed with V before it). */
  utilities(): Float64Array {
    return new Float64Array(this.memory.buffer, this.plan.utilities, this.plan.k).slice();
  }

  /** Makes room for `rows` resident rows (P and the data are last, so nothing else moves). */
  reserveRows(rows: number): void {
    if (rows <= this.plan.rowCapacity) return;
    const plan = planMemory({ ...this.plan, rowCapacity: rows }, this.plan.base);
    growTo(this.memory, plan.pages);
    this.plan = plan;
    this.solo = null;
  }

  /**
   * Runs a job on the devices (or in this thread), reporting progress; resolves to its last step's report. An
   * abort takes effect between two steps: the steps taken are counted and the game stays consistent; then the
   * promise rejects with the signal's reason, also when the abort came during the job's last step or its reports.
   * A report callback that throws is not called again and stops the job the same way; the promise then rejects with
   * what it threw (on workers, once they have stopped: they are free for the next job).
   * `whileStarting: 'in-thread'`: while the workers are still starting, this thread runs the job (the same bits).
   */
  async run(job: Job, onReport?: (report: RunReport) => void, signal?: AbortSignal, whileStarting: 'wait' | 'in-thread' = 'wait'): Promise<StepReport> {
    if (this.busy) throw new Error('this game is already running a step: await it before starting another');
    this.busy = true;
    this.sumsUntouched = false;
    const guard = onReport && new GuardedCallback(onReport, signal);
    try {
      const report = guard?.call;
      const stops = guard?.signal ?? signal;
      // The calling thread runs a job whose bits do not depend on who runs it, instead of idling while new workers
      // start: they take over from the next job once they are ready. Their "ready" is a message, so the event loop
      // gets a turn first: short jobs alone never yield, and without it a whole pass ran here beside warm workers.
      if (whileStarting === 'in-thread' && !this.settled) {
        await yieldToEventLoop();
        signal?.throwIfAborted();
        if (!this.settled) return await this.runInThread(job, report, stops);
      }
      await this.started;
      signal?.throwIfAborted();
      const last = this.pool
        ? await this.runOnPool(this.pool, job, report, stops)
        : await this.runInThread(job, report, stops);
      guard?.rethrow();
      signal?.throwIfAborted();
      return last;
    } catch (error) {
      guard?.rethrow();
      throw error;
    } finally {
      guard?.detach();
      this.busy = false;
    }
  }

  private async runOnPool(
    pool: DevicePool, job: Job, onReport?: (report: RunReport) => void, signal?: AbortSignal,
  ): Promise<StepReport> {
    const { plan, settings, stepCount: firstStep } = this;
    const kPerDevice = this.current.kPerDevice ?? this.k;
    const last = await pool.run({ job, plan, settings, firstStep, kPerDevice }, onReport, signal);
    this.stepCount += last.steps;
    return last;
  }

  /**
   * The job in this thread, giving the event loop a turn (timers, abort signals, a page) after every report and
   * whenever one is due (src/hosts/turns.ts), the job's last step included: a pass is many one-step jobs.
   */
  private async runInThread(
    job: Job, onReport?: (report: RunReport) => void, signal?: AbortSignal,
  ): Promise<StepReport> {
    const program = this.soloProgram();
    const firstStep = this.stepCount;
    let last = NO_STEP;
    for (const part of inThreadParts(job, this.plan.d)) {
      for (const step of runJob(program, part, firstStep)) {
        last = step;
        this.stepCount = firstStep + step.steps;
        if (step.report) onReport?.({ ...step, utilities: this.utilities(), squaredResiduals: squaredResidualsOf(this.memory, this.plan) });
        if ((step.report && !step.last) || turnDue()) {
          await yieldToEventLoop();
          signal?.throwIfAborted();
        }
      }
    }
    return last;
  }

  /**
   * Has warm worker devices map the pages that this thread fills first before it does (the 'touch' job: two workers
   * fault them in about half the time this thread alone takes, measured at 3 ms a MiB on the bench's machine): the
   * sparse matrix's buffers, the players' positions and previous positions, the sparse Gram route's float64 vectors
   * where they have bytes of their own (in the products' bytes the rounds have mapped them). Nothing in this thread
   * or while new workers start: this thread's own writes map them then.
   */
  async touchHostBuffers(signal?: AbortSignal): Promise<void> {
    const { sparse, players, v, k, d } = this.plan;
    if (!this.pool || !this.warmPool) return;
    const ranges: Range[] = [];
    if (sparse) {
      const end = sparse.route === 'covariance' ? sparse.data + sparse.entries * 8 : sparse.colData + sparse.entries * 4;
      ranges.push({ start: sparse.indptr, end });
      if (sparse.vectors64 && sparse.vectors64 !== sparse.vt) ranges.push({ start: sparse.vectors64, end: sparse.vectors64 + sparse.rows * sparse.width * 8 });
    }
    if (players) ranges.push({ start: v, end: v + k * d * 4 }, { start: players.u, end: players.u + k * d * 4 });
    await this.run({ kind: 'touch', ranges }, undefined, signal);
  }

  /** Live views of the players' previous positions and of their last Rayleigh–Ritz check (pca's 'play' job). */
  players(): { previous: Float32Array; values: Float64Array; vectors: Float64Array; squaredResiduals: Float64Array } {
    const { players, k, d } = this.plan;
    if (!players) throw new Error('this engine has no buffers for players');
    return {
      squaredResiduals: new Float64Array(this.memory.buffer, players.residuals, k),
      previous: this.f32(players.u, k * d),
      values: new Float64Array(this.memory.buffer, players.theta, k),
      vectors: new Float64Array(this.memory.buffer, players.ritz, k * k),
    };
  }

  /** Live views of the dense operator: its float64 sums (upper triangle, as syrk adds them) and its float32 copy. */
  operator(): { sums: Float64Array; matrix: Float32Array } {
    const { operator, d } = this.plan;
    if (!operator) throw new Error('this engine has no dense operator');
    this.sumsUntouched = false;
    return { sums: new Float64Array(this.memory.buffer, operator.sums, d * d), matrix: this.f32(operator.matrix, d * d) };
  }

  /**
   * Sets the operator's float64 sums to zero; on a new engine, whose memory is fresh and so zero, without touching
   * them: their first touch is page faults (a 4096-column operator's sums are 128 MiB, ~0.4 s of faults here), which
   * the devices' syrk then takes in parallel, each on its own panels, instead of this thread before the pass.
   */
  clearOperatorSums(): void {
    if (!this.sumsUntouched) this.operator().sums.fill(0);
  }

  /**
   * Live views of the sparse matrix's buffers, for the host to fill: its rows (and, for the data and Gram routes, its
   * columns), values as the route keeps them (float64 for the covariance pass, float32 for the products), and the
   * Gram route's centring rows (ones, then X̃μ; zeros without centring) and the product between its two sparse
   * products (Q = X̃ᵀŨᵀ, cols × width: after a round the players' images in the columns' space, after a
   * 'gram-columns' job those of the rows the host left in G).
   */
  sparse(): {
    indptr: Int32Array; indices: Int32Array; data: Float32Array | Float64Array;
    colptr: Int32Array; colIndices: Int32Array; colData: Float32Array; centring: Float32Array; between: Float32Array;
  } {
    const { sparse } = this.plan;
    if (!sparse) throw new Error('this engine has no sparse matrix');
    const { buffer } = this.memory;
    const { rows, cols, entries } = sparse;
    const columns = sparse.route !== 'covariance';
    return {
      indptr: new Int32Array(buffer, sparse.indptr, rows + 1),
      indices: new Int32Array(buffer, sparse.indices, entries),
      data: columns ? this.f32(sparse.data, entries) : new Float64Array(buffer, sparse.data, entries),
      colptr: new Int32Array(buffer, sparse.colptr, columns ? cols + 1 : 0),
      colIndices: new Int32Array(buffer, sparse.colIndices, columns ? entries : 0),
      colData: this.f32(sparse.colData, columns ? entries : 0),
      centring: this.f32(sparse.centring, sparse.route === 'gram' ? 2 * rows : 0),
      between: this.f32(sparse.pt, sparse.route === 'gram' ? cols * sparse.width : 0),
    };
  }

  /**
   * The kernels of this thread's instance and the plan's addresses, for work the host does itself between jobs (a
   * stream's batches, the Gram route's components). Valid until `reserveRows`.
   */
  hostKernels(): { kernels: KernelExports; plan: MemoryPlan; memory: WebAssembly.Memory } {
    // Its caller can write anywhere in the memory.
    this.sumsUntouched = false;
    return { kernels: this.kernels, plan: this.plan, memory: this.memory };
  }

  /** Live view of G (k × d) as the last step or `product` job left it. */
  gradient(): Float32Array {
    return this.f32(this.plan.g, this.plan.k * this.plan.d);
  }

  /** Normalises the first `rows` rows of V. */
  normalize(rows: number): void {
    this.kernels.normalizeRows(this.plan.v, rows, this.plan.d);
  }

  /** Gives the devices' workers back; the memory goes with the last reference to it (reclaim.ts). */
  dispose(): void {
    this.disposed = true;
    this.pool?.dispose();
    if (isSharedBuild(this.current.build)) hostReclaimer.released(this.memory.buffer.byteLength);
    // A worker that cannot start is left to the fits to come to report (they spawn their own).
    if (this.warmAfter > 0) deviceWorkers.startAhead(this.warmAfter, compiledModule(kernelBuild(true)), workerUrl()).catch(() => {});
    this.warmAfter = 0;
  }

  /** The program of a lone device in this thread, on the same plan (the workers, if any, are idle). */
  private soloProgram(): DeviceProgram {
    if (!this.solo) {
      const topology: Topology = { devices: 1, k: this.plan.k, kPerDevice: this.plan.k };
      this.solo = new DeviceProgram({
        kernels: this.kernels, memory: this.memory, plan: this.plan, topology, device: 0, settings: this.settings,
        barrier: soloBarrier, queues: new WorkQueues(new Int32Array(this.plan.queueCount), false),
      });
    }
    return this.solo;
  }

  private f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }
}

/**
 * Runs a cancellable call: once `signal` has aborted, the call rejects with the signal's reason, whatever else
 * happened meanwhile (its last step finished anyway, a stream ended early or failed because of the abort).
 */
export async function cancellable<T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  try {
    const result = await call();
    signal?.throwIfAborted();
    return result;
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

/**
 * A job as this thread runs it: a covariance pass's blocks one at a time (one device sums them in the same order, so
 * the sums have the same bits), with turns of the event loop between them (a block of 64 rows of d = 1000 is about
 * 0.1 s of work here, a pass's job of 256 of them 0.5 s); a float64 scatter's and a symmetrize job's in bands of
 * rows; other jobs whole: they take their turns between steps.
 */
function inThreadParts(job: Job, d: number): Job[] {
  if (job.kind === 'scatter') return scatterParts(job);
  if (job.kind === 'symmetrize') return symmetrizeParts(job, d);
  if (job.kind !== 'covariance' || job.weights.length <= 1) return [job];
  return job.weights.map((weight, b) => ({
    kind: 'covariance', first: job.first + b * job.blockRows, rows: Math.min(job.blockRows, job.rows - b * job.blockRows),
    blockRows: job.blockRows, weights: [weight],
  }));
}

/** Elements of the operator that this thread writes between checks for a turn of the event loop (about 20 ms). */
const SYMMETRIZE_PART = 1 << 22;

/** A symmetrize job as this thread runs it: bands of the (d-wide) operator's rows of about SYMMETRIZE_PART elements. */
function symmetrizeParts(job: Extract<Job, { kind: 'symmetrize' }>, d: number): Job[] {
  const { start, end } = job.rows;
  const band = Math.max(1, Math.floor(SYMMETRIZE_PART / d));
  const parts: Job[] = [];
  for (let first = start; first < end; first += band) parts.push({ ...job, rows: { start: first, end: Math.min(end, first + band) } });
  return parts;
}

/** Products of a float64 scatter job that this thread runs between checks for a turn of the event loop. */
const SCATTER_PART = 1 << 24;

/**
 * A float64 scatter job as this thread runs it: block after block, each in bands of C's rows of about SCATTER_PART
 * products (at d = 2000 a block of 256 rows is 5e8 of them). Every element still gets its blocks' sums in block
 * order, so the bits are the whole job's.
 */
function scatterParts(job: Extract<Job, { kind: 'scatter' }>): Job[] {
  const parts: Job[] = [];
  const { order } = job;
  let offset = job.offset;
  for (let first = 0; first < job.rows; first += job.blockRows) {
    const rows = Math.min(job.blockRows, job.rows - first);
    for (let start = job.band.start; start < job.band.end;) {
      let end = start;
      for (let products = 0; end < job.band.end && products < SCATTER_PART; end++) products += (order - Math.max(end, job.from)) * rows;
      parts.push({ kind: 'scatter', offset, rows, blockRows: rows, order, band: { start, end }, from: job.from });
      start = end;
    }
    offset += deviationStride(rows) * order;
  }
  return parts;
}

/**
 * A user's report callback as a job calls it: the first throw is kept, the callback is not called again, and the
 * job is stopped through `signal` (the caller's, aborted with it) as an abort stops it, after the step it is in:
 * steps taken are counted, and workers end their call instead of playing on (a pool that waited for reports
 * that never came, or for devices that never stopped, left the fit pending and its workers busy for ever).
 */
class GuardedCallback {
  private failure: { error: unknown } | null = null;
  private readonly stopper = new AbortController();
  private readonly forward = () => this.stopper.abort(this.caller!.reason);

  constructor(private readonly callback: (report: RunReport) => void, private readonly caller?: AbortSignal) {
    if (caller?.aborted) this.forward();
    else caller?.addEventListener('abort', this.forward);
  }

  /** Aborted by the caller's signal, or by the callback's throw. */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  readonly call = (report: RunReport): void => {
    if (this.failure) return;
    try {
      this.callback(report);
    } catch (error) {
      this.failure = { error };
      this.stopper.abort(error);
      throw error;
    }
  };

  /** Throws what the callback threw, if it threw. */
  rethrow(): void {
    if (this.failure) throw this.failure.error;
  }

  detach(): void {
    this.caller?.removeEventListener('abort', this.forward);
  }
}

function growTo(memory: WebAssembly.Memory, pages: number): void {
  const current = memory.buffer.byteLength / PAGE_BYTES;
  if (pages <= current) return;
  try {
    memory.grow(pages - current);
  } catch (cause) {
    throw new RangeError(`could not grow WebAssembly memory to ${pages * PAGE_BYTES} bytes: ${String(cause)}`);
  }
}
