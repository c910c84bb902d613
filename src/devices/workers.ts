// The realm's device workers (one page, worker or Node process): a budget of how many may exist at once, shared by
// every fit and game that runs on workers, and the warm workers that wait between fits.
//
// A request asks for all the workers it needs at once, and requests are served first come, first served: no fit
// ever holds part of what another waits for, so fits waiting on each other cannot deadlock. Workers that live
// EigenGame instances hold come back only when the games are disposed, so no request waits for them: one that cannot
// be met while they live runs on what they leave (whole slices of players) or in the calling thread, and says so.
//
// A worker that finished a fit stays warm, with the kernels' compiled module it was sent, for `idleTimeout` ms; the
// next fit instantiates that module on its own memory. A worker that failed or was terminated is never reused.

import * as Comlink from 'comlink';
import type { DeviceApi } from './device';
import type { WhenBusy } from './settings';
import { describe } from '../describe';
import { currentHost, type DeviceWorker, type WorkerLimits } from '../hosts/host';
import { kernelBuild, threadsUnavailable } from '../kernels/capabilities';
import { compiledModule, workerUrl } from '../kernels/load';


/** Options of `setDevices`: the realm's budget of device workers; options left out keep their value. */
export interface SetDevicesOptions {
  /**
   * The most device workers this realm runs at once, over all fits and games (default 'auto': the host's hardware
   * threads). Lowering it stops no running fit: workers beyond it stop as they come back.
   */
  max?: number | 'auto';
  /** Milliseconds a worker stays warm after its fit, for the next one (default 5000; 0: stop at once). */
  idleTimeout?: number;
}

/** What `deviceStats()` tells: the realm's device workers and the fits waiting for them. */
export interface DeviceStats {
  /** The budget: the most device workers at once. */
  max: number;
  /** Milliseconds a worker stays warm after its fit. */
  idleTimeout: number;
  /** Device workers that exist now: busy, idle, starting or stopping. */
  workers: number;
  /** Workers held by running fits and live games. */
  busy: number;
  /** Warm workers waiting for the next fit. */
  idle: number;
  /** Fits and games waiting for workers. */
  waiting: number;
}

/** How long a worker stays warm by default: long enough for a burst of requests, short enough to give memory back. */
export const DEFAULT_IDLE_TIMEOUT = 5000;
/** The longest delay timers take (2³¹ − 1 ms); longer idle timeouts keep workers until the budget needs them. */
const MAX_TIMER_MS = 0x7fffffff;

/** One device worker of the realm: spawned once, reused fit after fit while it is healthy. */
export class PooledWorker {
  readonly api: Comlink.Remote<DeviceApi>;
  /** The kernels' module this worker was sent (null: none yet). */
  module: WebAssembly.Module | null = null;
  /** False once it failed or was told to stop: it is never used again. */
  healthy = true;
  /** Set once the realm has terminated it. */
  stopped = false;
  /** Whom its failures concern: the pool it works for; nobody while idle (the realm retires it). */
  private holder: ((cause: string) => void) | null = null;
  idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Settles once it failed (with the cause) or was stopped (null): a call to it will never be answered. */
  readonly gone: Promise<string | null>;
  private markGone!: (cause: string | null) => void;

  constructor(
    readonly worker: DeviceWorker,
    /** The worker script it runs (null: the package's own): it serves only pools that ask for that script. */
    readonly script: string | null,
    /** Whether it may serve another fit (a worker started with special limits, for a fault test, may not). */
    readonly reusable: boolean,
    realm: DeviceWorkers,
  ) {
    this.api = Comlink.wrap<DeviceApi>(worker.endpoint);
    this.gone = new Promise((resolve) => (this.markGone = resolve));
    worker.onFailure((cause) => {
      this.markGone(cause);
      if (!this.healthy) return;
      this.healthy = false;
      if (this.holder) this.holder(cause);
      else realm.retire(this);
    });
  }

  /** Called by the realm when it stops the worker. */
  stop(): void {
    this.stopped = true;
    this.healthy = false;
    this.markGone(null);
  }

  /** From now on its failures go to `holder` (null: it is idle). */
  serve(holder: ((cause: string) => void) | null): void {
    this.holder = holder;
  }
}

/** Workers granted to one fit or game: its share of the budget until it ends. */
export class Lease {
  private ended = false;

  constructor(readonly size: number, readonly longLived: boolean, private readonly realm: DeviceWorkers) {}

  /** Gives the share back (once); the next requests in line may then be served. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.realm.returned(this);
  }
}

export interface WorkerRequest {
  devices: number;
  /** The most devices (≥ 2) the request's layout can run within `limit` workers, or 0 if none. */
  fit(limit: number): number;
  whenBusy: WhenBusy;
  /** An EigenGame's request: it keeps the workers until the game is disposed. */
  longLived: boolean;
  signal?: AbortSignal;
}

/**
 * A request's answer: a lease (with `reduced`, why it has fewer workers than asked), or why it runs in the calling
 * thread instead (`warn`: whether that is news to tell through onWarning; a busy budget with whenBusy 'in-thread'
 * is what the caller chose).
 */
export type Grant =
  | { lease: Lease; reduced?: string }
  | { refused: string; warn: boolean };

interface Waiting {
  request: WorkerRequest;
  resolve(grant: Grant): void;
}

export class DeviceWorkers {
  private configuredMax: number | null = null;
  private idleMs = DEFAULT_IDLE_TIMEOUT;
  /** Worker threads that exist or are being spawned (idle, leased, stopping). */
  private threads = 0;
  /** Workers stopping (terminated, their thread not yet gone). */
  private exiting = 0;
  /** Budget held by leases, and the part of it that live games hold. */
  private leased = 0;
  private held = 0;
  /** Warm workers, the longest idle first. */
  private readonly idle: PooledWorker[] = [];
  private readonly queue: Waiting[] = [];
  private exitWaiters: (() => void)[] = [];

  /** The budget: as set, or the host's hardware threads. */
  max(): number {
    return this.configuredMax ?? currentHost().hardwareThreads();
  }

  configure(options: SetDevicesOptions): void {
    const { max, idleTimeout } = checkSetDevicesOptions(options);
    if (max !== undefined) this.configuredMax = max === 'auto' ? null : max;
    if (idleTimeout !== undefined) {
      this.idleMs = idleTimeout;
      for (const worker of [...this.idle]) this.startIdleTimer(worker);
    }
    this.trim();
    this.pump();
  }

  stats(): DeviceStats {
    return {
      max: this.max(), idleTimeout: this.idleMs, workers: this.threads, busy: this.leased, idle: this.idle.length,
      waiting: this.queue.length,
    };
  }

  /**
   * Asks for workers. With whenBusy 'wait' the request waits its turn (FIFO) and an abort of `signal` takes it out of
   * line, rejecting with the signal's reason; with 'in-thread' it is refused at once unless the workers are free now.
   */
  request(request: WorkerRequest): Promise<Grant> {
    return new Promise<Grant>((resolve, reject) => {
      request.signal?.throwIfAborted();
      if (request.whenBusy === 'in-thread') {
        resolve(this.queue.length === 0 ? this.tryGrant(request) ?? this.busy() : this.busy());
        return;
      }
      const { signal } = request;
      const onAbort = () => {
        const place = this.queue.indexOf(waiting);
        if (place < 0) return;
        this.queue.splice(place, 1);
        reject(signal!.reason);
        this.pump();
      };
      const waiting: Waiting = {
        request,
        resolve: (grant) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(grant);
        },
      };
      signal?.addEventListener('abort', onAbort);
      this.queue.push(waiting);
      this.pump();
    });
  }

  /** How many idle workers run `script`: a pool of as many starts at once (they instantiate its module in ms). */
  warmFor(script: string | null): number {
    return this.idle.filter((worker) => worker.script === script).length;
  }

  /** A warm worker that runs `script`, if one is idle (the most recently used: its caches are warmest). */
  takeIdle(script: string | null): PooledWorker | null {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const worker = this.idle[i];
      if (worker.script !== script) continue;
      this.idle.splice(i, 1);
      this.stopIdleTimer(worker);
      return worker;
    }
    return null;
  }

  /**
   * Spawns a worker for a lease, once the realm has room for its thread: idle workers that the lease could not use
   * (another script, a worker that needs limits) are stopped to make room, and stopping ones awaited.
   */
  async spawn(device: number, url: URL | null, limits?: WorkerLimits): Promise<PooledWorker> {
    // Room always comes: a lease's workers are within the budget, so past it are only idle or stopping workers (or
    // a budget lowered below what leases already hold, which they keep).
    while (this.threads >= this.max() && (this.idle.length > 0 || this.exiting > 0)) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      const oldest = this.idle[0];
      if (oldest) this.retire(oldest);
      await exited;
    }
    this.threads++;
    try {
      const worker = await currentHost().spawnWorker(device, url, limits);
      return new PooledWorker(worker, url?.href ?? null, !limits, this);
    } catch (error) {
      this.exited();
      throw error;
    }
  }

  /**
   * Starts workers ahead of the fits until `count` that run `url`'s script wait warm (as the budget has room) and
   * sends each the kernels' `module`; resolves to how many wait once those sends are answered. The new workers wait
   * idle from the moment they are spawned, as any warm worker: a fit may take one at once (it then sends the module
   * itself). A worker that fails before it answers rejects with why; one the realm stops meanwhile is not counted.
   */
  async startAhead(count: number, module: Promise<WebAssembly.Module>, url: URL | null): Promise<number> {
    const script = url?.href ?? null;
    const wanted = Math.min(count, this.max() - this.leased);
    const room = Math.max(0, Math.min(wanted - this.warmFor(script), this.max() - this.threads));
    const started = await Promise.allSettled(Array.from({ length: room }, async (_, device) => {
      const worker = await this.spawn(device, url);
      this.rest(worker);
      // Comlink never settles a call to a worker that died or was stopped: the call races its end.
      const gone = worker.gone.then((cause) => {
        if (cause !== null) throw new Error(`device worker ${device} ${cause}`);
      });
      gone.catch(() => {}); // a failure after the answer is its fit's to report
      // Until it answers, the worker keeps a Node process alive (resting, it does not): nothing else would.
      worker.worker.keepAlive(true);
      try {
        const kernels = await module;
        await Promise.race([worker.api.keep(kernels).then(() => {
          worker.module ??= kernels;
        }), gone]);
      } finally {
        if (this.idle.includes(worker)) worker.worker.keepAlive(false);
      }
    }));
    this.trim();
    const failure = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw new Error(`could not start a device worker${url ? ` from ${url.href}` : ''}: ${failure.reason instanceof Error ? failure.reason.message : String(failure.reason)}`);
    return Math.min(wanted, this.warmFor(script));
  }

  /** A worker back from a healthy fit: warm for the next one, or stopped (unhealthy, not reusable, no room). */
  rest(worker: PooledWorker): void {
    worker.serve(null);
    if (!worker.healthy || !worker.reusable) {
      this.retire(worker);
      return;
    }
    worker.worker.keepAlive(false);
    this.idle.push(worker);
    this.startIdleTimer(worker);
  }

  /** Stops a worker for good (once); its thread counts until it has exited. */
  retire(worker: PooledWorker): void {
    if (worker.stopped) return;
    worker.stop();
    worker.serve(null);
    this.stopIdleTimer(worker);
    const place = this.idle.indexOf(worker);
    if (place >= 0) this.idle.splice(place, 1);
    this.exiting++;
    void worker.worker.terminate().then(() => {
      this.exiting--;
      this.exited();
    });
  }

  /** Called by Lease.end. */
  returned(lease: Lease): void {
    this.leased -= lease.size;
    if (lease.longLived) this.held -= lease.size;
    this.trim();
    this.pump();
  }

  private exited(): void {
    this.threads--;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Serves the line in order while the budget allows; the first request that must wait holds up the rest. */
  private pump(): void {
    while (this.queue.length > 0) {
      const grant = this.tryGrant(this.queue[0].request);
      if (!grant) return;
      this.queue.shift()!.resolve(grant);
    }
  }

  /** A grant if the request can be answered now (workers, fewer workers, or in-thread), null if it must wait. */
  private tryGrant(request: WorkerRequest): Grant | null {
    const max = this.max();
    // Workers that games hold come back only when they are disposed: never wait for them.
    const limit = max - this.held;
    let size = request.devices;
    let reduced: string | undefined;
    if (size > limit) {
      size = request.fit(limit);
      const cause = request.devices > max
        ? `devices = ${request.devices} is more than the ${budgetOf(max)}`
        : `${this.held} of the ${budgetOf(max)} are held by live EigenGame instances (dispose them to free their workers)`;
      reduced = `${cause}: running ${size < 2 ? 'one in-thread device' : `${size} devices`} instead`;
      if (size < 2) return { refused: reduced, warn: true };
    }
    if (this.leased + size > max) return null;
    this.leased += size;
    if (request.longLived) this.held += size;
    const lease = new Lease(size, request.longLived, this);
    return reduced ? { lease, reduced } : { lease };
  }

  private busy(): Grant {
    const { leased, queue } = this;
    const waiting = queue.length > 0 ? `, ${queue.length} waiting` : '';
    return {
      refused: `the device workers are busy (${leased} of ${this.max()} in use${waiting}): running one in-thread device instead`,
      warn: false,
    };
  }

  /** Stops idle workers beyond what the budget leaves them (after it was lowered). */
  private trim(): void {
    while (this.idle.length > 0 && this.leased + this.idle.length > this.max()) this.retire(this.idle[0]);
  }

  private startIdleTimer(worker: PooledWorker): void {
    this.stopIdleTimer(worker);
    if (this.idleMs === 0) {
      this.retire(worker);
      return;
    }
    if (this.idleMs > MAX_TIMER_MS) return;
    worker.idleTimer = setTimeout(() => this.retire(worker), this.idleMs);
    // A warm worker never keeps a Node process alive, nor does its timer.
    (worker.idleTimer as { unref?: () => void }).unref?.();
  }

  private stopIdleTimer(worker: PooledWorker): void {
    if (worker.idleTimer) clearTimeout(worker.idleTimer);
    worker.idleTimer = null;
  }
}

/** How messages name the budget: "the device budget of 2 workers (setDevices({ max }))". */
export function budgetOf(max: number): string {
  return `device budget of ${max} worker${max === 1 ? '' : 's'} (setDevices({ max }))`;
}

function checkSetDevicesOptions(options: SetDevicesOptions): SetDevicesOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`setDevices needs an options object like { max: 4 }, got ${describe(options)}`);
  }
  const known = ['max', 'idleTimeout'];
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new TypeError(`setDevices: unknown option ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const { max, idleTimeout } = options;
  if (max !== undefined && max !== 'auto') {
    if (typeof max !== 'number') throw new TypeError(`setDevices: max must be a positive integer or 'auto', got ${describe(max)}`);
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`setDevices: max must be a positive integer or 'auto', got ${describe(max)}`);
  }
  if (idleTimeout !== undefined) {
    if (typeof idleTimeout !== 'number') throw new TypeError(`setDevices: idleTimeout must be a number of milliseconds, got ${describe(idleTimeout)}`);
    if (!(idleTimeout >= 0)) throw new RangeError(`setDevices: idleTimeout must be ≥ 0 milliseconds, got ${describe(idleTimeout)}`);
  }
  return { max, idleTimeout };
}

/** This realm's workers. */
export const deviceWorkers = new DeviceWorkers();

/**
 * Sets the realm's budget of device workers (`max`, shared by every fit and game) and how long a worker stays warm
 * after its fit (`idleTimeout`, ms). Options left out keep their value.
 */
export function setDevices(options: SetDevicesOptions): void {
  deviceWorkers.configure(options);
}

/**
 * Starts device workers now, each with the kernels' module, so that the fits to come find them warm instead of
 * starting them (in Node two workers take about 0.1–0.2 s to start; a fit on workers waits for them). Resolves to
 * how many wait warm once they are ready: `count` (default 'auto': the budget, setDevices's `max`), fewer when
 * fits hold part of the budget. They wait as workers back from a fit do, `idleTimeout` ms (setDevices; Infinity
 * keeps them), and never keep a Node process alive. Rejects where this host has no threads for workers, and with
 * the cause when a worker cannot start.
 */
export async function startDevices(count: number | 'auto' = 'auto'): Promise<number> {
  if (count !== 'auto' && !(Number.isInteger(count) && count >= 1)) {
    throw new TypeError(`startDevices: count must be a positive integer or 'auto', got ${describe(count)}`);
  }
  const unavailable = threadsUnavailable();
  if (unavailable) throw new Error(`startDevices: device workers need threads, but ${unavailable}`);
  try {
    return await deviceWorkers.startAhead(count === 'auto' ? deviceWorkers.max() : count, compiledModule(kernelBuild(true)), workerUrl());
  } catch (error) {
    throw new Error(`startDevices: ${(error as Error).message}`);
  }
}

/** How many device workers exist, how many are busy or idle, and how many fits wait for them. */
export function deviceStats(): DeviceStats {
  return deviceWorkers.stats();
}
