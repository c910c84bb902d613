// The host side of one fit's devices: the workers a lease of the realm's budget (workers.ts) lends it, from start to
// failure or return. Workers are Web Workers in browsers and worker_threads in Node, each wrapped with Comlink; warm
// ones come from earlier fits with the kernels' module already posted, and instantiate it on this fit's memory.
//
// Comlink alone never settles a call whose worker died, so every call is raced against the pool's failure: a
// worker's error or exit event, an exception thrown by a device, a dispose. The first failure marks the shared
// control block (releasing devices that wait in a barrier), rejects the run with an error naming the device and
// the cause, and terminates every worker of the pool (the realm spawns new ones for later fits); a pool that ends
// well returns its workers warm.

import * as Comlink from 'comlink';
import { HALTED, failedDevice, markFailed, requestStop, resetControl } from './collectives';
import type { DeviceRequest, FaultPlan, RunReport } from './device';
import type { WorkerLimits } from '../hosts/host';
import { CONTROL_WORDS, type MemoryPlan } from './memory';
import type { StepReport } from './schedule';
import { deviceWorkers, type Lease, type PooledWorker } from './workers';
import { workerUrl } from '../kernels/load';

/** An error of the pool: which device failed and why. */
export class DeviceError extends Error {
  constructor(
    /** The device that failed (0-based), or null when the failure is no single device's (the pool could not start). */
    readonly device: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

export class DevicePool {
  private members: PooledWorker[] = [];
  private state: 'new' | 'starting' | 'ready' | 'running' | 'failed' | 'disposed' = 'new';
  /** Why the pool failed, once it has. */
  private failure: DeviceError | null = null;
  /** Rejects the run in progress (set while one is). */
  private rejectRun: ((error: unknown) => void) | null = null;
  private control: Int32Array | null = null;
  /** The work queues' counters (they stay at the same address when the memory grows). */
  private claims: Int32Array | null = null;
  private fault: FaultPlan | undefined;

  /** `scriptUrl`: the device worker script given to `init({ workerUrl })`, or null for the package's own. */
  constructor(private readonly lease: Lease, readonly scriptUrl: URL | null = workerUrl()) {}

  /** How many devices (workers) the pool has. */
  get size(): number {
    return this.lease.size;
  }

  /**
   * Takes warm workers (or spawns new ones) and instantiates the kernels in each, on `memory`. If they cannot start,
   * rejects with a DeviceError that says so (naming the worker script when it was the user's) and terminates them.
   * A pool disposed while it starts returns its workers once they are ready, and rejects.
   */
  async start(module: WebAssembly.Module, memory: WebAssembly.Memory, plan: MemoryPlan, fault?: FaultPlan): Promise<void> {
    if (this.state !== 'new') throw new Error(`this device pool was already started (it is ${this.state})`);
    this.state = 'starting';
    this.fault = fault;
    this.control = new Int32Array(memory.buffer, plan.control, CONTROL_WORDS);
    this.claims = new Int32Array(memory.buffer, plan.claims, plan.queueCount);
    resetControl(this.control);
    const failed = new Promise<never>((_, reject) => {
      this.rejectRun = reject;
    });
    failed.catch(() => {});
    try {
      for (let device = 0; device < this.size && this.state === 'starting'; device++) {
        const worker = await this.obtain(device, limitsFor(device, fault));
        this.members.push(worker);
        worker.serve((cause) => this.fail(device, `worker ${cause}`));
        worker.worker.keepAlive(true);
      }
      await Promise.race([
        Promise.all(this.members.map((worker, device) => this.attach(worker, device, module, memory, fault))),
        failed,
      ]);
    } catch (error) {
      // The first failure wins: a worker's own (its script did not load), or what the host threw. A worker obtained
      // after a failure was not there to be terminated with the others.
      this.fail(null, describe(error));
      this.terminate();
      if (!this.disposed) {
        const script = this.scriptUrl ? ` from ${this.scriptUrl.href}` : '';
        const cause = this.failure!;
        const message = `could not start ${this.size} device workers${script}: ${cause.message}`;
        this.failure = new DeviceError(cause.device, message);
      }
      throw this.failure ?? error;
    } finally {
      this.rejectRun = null;
    }
    if (this.disposed) {
      this.giveBack();
      throw new Error('the device pool was disposed while starting');
    }
    this.idle();
    this.state = 'ready';
  }

  /** A warm worker that runs this pool's script, or a new one (always new when it needs limits). */
  private async obtain(device: number, limits?: WorkerLimits): Promise<PooledWorker> {
    const warm = limits ? null : deviceWorkers.takeIdle(this.scriptUrl?.href ?? null);
    return warm ?? deviceWorkers.spawn(device, this.scriptUrl, limits);
  }

  /** Instantiates the kernels on `memory` in a worker, posting the module only if the worker lacks it. */
  private async attach(
    worker: PooledWorker, device: number, module: WebAssembly.Module, memory: WebAssembly.Memory, fault?: FaultPlan,
  ): Promise<void> {
    const posted = worker.module === module;
    await worker.api.init({
      module: posted ? undefined : module, memory, device, fault: fault?.device === device ? fault : undefined,
    });
    worker.module = module;
  }

  /**
   * Runs a job on every device at once; resolves to its last step's report. An abort stops the devices after the
   * step they are in (so the game stays consistent) and the run resolves: the caller checks the signal. Device 0
   * sends reports.
   */
  async run(
    request: Omit<DeviceRequest, 'topology'> & { kPerDevice: number },
    onReport?: (report: RunReport) => void,
    signal?: AbortSignal,
  ): Promise<StepReport> {
    if (this.state === 'failed') throw new DeviceError(this.failure!.device, `the device pool failed earlier: ${this.failure!.message}`);
    if (this.state === 'disposed') throw new Error('this device pool has been disposed');
    if (this.state === 'running') throw new Error('a run is already in progress on this device pool');
    if (this.state !== 'ready') throw new Error('this device pool has not been started');
    signal?.throwIfAborted();
    this.state = 'running';
    const control = this.control!;
    resetControl(control);
    this.claims!.fill(0);
    const { kPerDevice, ...rest } = request;
    const topology = { devices: this.size, k: request.plan.k, kPerDevice };
    const failed = new Promise<never>((_, reject) => {
      this.rejectRun = reject;
    });
    failed.catch(() => {});
    const onAbort = () => requestStop(control);
    signal?.addEventListener('abort', onAbort);
    this.keepAlive(true);
    try {
      // Device 0's reports come on their own port and may trail its result: count them in, also one whose callback
      // threw (Engine.run stops the devices when its caller's callback throws, and rejects with what it threw).
      let received = 0;
      let allReceived: (() => void) | null = null;
      let expected = Infinity;
      const counted = onReport && ((report: RunReport) => {
        try {
          onReport(report);
        } finally {
          if (++received >= expected) allReceived?.();
        }
      });
      const report = this.reporter(counted);
      // Every device gets its call before any is awaited: a device waits in a barrier for the others.
      const calls = this.members.map(({ api }, device) =>
        api.run({ ...rest, topology }, device === 0 ? report : undefined).catch((error: unknown) => {
          if (!(error instanceof Error && error.name === HALTED)) this.fail(device, `threw ${describe(error)}`);
          return failed;
        }));
      const outcomes = await Promise.race([Promise.all(calls), failed]);
      expected = outcomes[0].reports;
      if (counted && received < expected) {
        await Promise.race([new Promise<void>((resolve) => (allReceived = resolve)), failed]);
      }
      return outcomes[0].last;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.rejectRun = null;
      if (this.state === 'running') {
        this.state = 'ready';
        this.idle();
      }
    }
  }

  /** Device 0's report callback, proxied; with a 'terminate' fault plan it also kills the planned worker. */
  private reporter(onReport?: (report: RunReport) => void) {
    const fault = this.fault;
    if (fault?.kind === 'terminate') {
      const victim = this.members[fault.device].worker;
      return Comlink.proxy((report: RunReport) => {
        if (report.steps + 1 >= fault.atStep) void victim.terminate();
        onReport?.(report);
      });
    }
    return onReport ? Comlink.proxy(onReport) : undefined;
  }

  /**
   * Ends the pool: its workers go back warm to the realm, or, when a run is in progress (which rejects), are
   * terminated. A pool still starting gives them back when they are ready.
   */
  dispose(): void {
    if (this.state === 'disposed') throw new Error('this device pool has already been disposed');
    if (this.state === 'running') this.fail(null, 'the device pool was disposed during a run');
    const settled = this.state !== 'starting';
    this.state = 'disposed';
    if (settled) this.giveBack();
  }

  /** Returns healthy workers warm (each forgets this pool's memory first) and the pool's share of the budget. */
  private giveBack(): void {
    for (const worker of this.members) {
      if (worker.healthy) worker.api.release().catch(() => {});
      deviceWorkers.rest(worker);
    }
    this.members = [];
    this.lease.end();
  }

  /** The first failure wins: release the devices, reject the run, terminate the workers. */
  private fail(device: number | null, cause: string): void {
    if (this.failure) return;
    if (this.control) markFailed(this.control, device ?? 'host');
    const first = this.control ? failedDevice(this.control) : null;
    // A device that threw marks the control block itself before its error reaches the host.
    const culprit = typeof first === 'number' ? first : device;
    const message = culprit === null ? cause : culprit === device ? `device ${device} ${cause}` : `device ${culprit} failed`;
    this.failure = new DeviceError(culprit, message);
    // A pool disposed while it starts stays disposed: its start rejects, and nothing is left to use.
    if (this.state !== 'disposed') this.state = 'failed';
    this.rejectRun?.(this.failure);
    this.terminate();
  }

  /** Whether dispose() was called (a getter, so that TypeScript does not narrow `state` across awaits). */
  private get disposed(): boolean {
    return this.state === 'disposed';
  }

  /** Terminates every worker (a failed pool's are never reused) and returns the pool's share of the budget. */
  private terminate(): void {
    for (const worker of this.members) deviceWorkers.retire(worker);
    this.lease.end();
  }

  private keepAlive(on: boolean): void {
    for (const { worker } of this.members) worker.keepAlive(on);
  }

  /** Idle workers do not keep a Node process alive: a program that forgets dispose() still exits. */
  private idle(): void {
    this.keepAlive(false);
  }
}

/** A device planned to run out of memory (a fault test) gets a small heap, so V8 stops it instead of the machine. */
function limitsFor(device: number, fault?: FaultPlan): WorkerLimits | undefined {
  return fault?.kind === 'oom' && fault.device === device ? { maxHeapMb: 32 } : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return String(error);
}
