// The device side of a pool: what a worker does when the host calls it through Comlink. For each fit a device
// instantiates the threads build on that fit's shared memory, then runs whole jobs on its own, meeting the other
// devices only at the barriers of each step. Between fits a worker keeps only the compiled module (posted once), so
// the next fit's bits do not depend on what it ran before. The worker entry (workers/device.ts) only connects this
// API to its message port.

import { releaseProxy } from 'comlink';
import { HALTED, SharedBarrier, WorkQueues, markFailed } from './collectives';
import { CONTROL_WORDS, squaredResidualsOf, type MemoryPlan } from './memory';
import type { GameSettings } from './settings';
import type { Topology } from './partition';
import { DeviceProgram } from './program';
import { SharedMemoryReclaimer } from './reclaim';
import { NO_STEP, runJob, type Job, type StepReport } from './schedule';
import type { KernelExports } from '../kernels/exports';

/** A failure to inject in a device, for the tests of the pool's fault handling. */
export interface FaultPlan {
  device: number;
  /** The device fails just before this step of its next job (1-based). */
  atStep: number;
  /**
   * throw: an exception; trap: a kernel that reads out of bounds; exit: the worker calls process.exit / close;
   * oom: it runs out of heap; terminate: the host terminates the worker once device 0 reports step atStep − 1.
   */
  kind: 'throw' | 'trap' | 'exit' | 'oom' | 'terminate';
}

/**
 * The key under which tests hand a FaultPlan to `EigenGame.create` or `pca` (not part of the public types): the
 * only way to make a real worker throw, trap or exit on cue.
 */
export const injectFault: unique symbol = Symbol('eigengame.injectFault');

export function faultPlanOf(options: object): FaultPlan | undefined {
  return (options as { [injectFault]?: FaultPlan })[injectFault];
}

export interface DeviceSetup {
  /** The kernels' compiled module: sent with a worker's first fit, and again only when a fit runs another build. */
  module?: WebAssembly.Module;
  memory: WebAssembly.Memory;
  device: number;
  fault?: FaultPlan;
}

export interface DeviceRequest {
  job: Job;
  plan: MemoryPlan;
  topology: Topology;
  settings: GameSettings;
  /** Steps the game took before this job. */
  firstStep: number;
}

/** A step report with the utilities of that step (sent by device 0 only). */
export interface RunReport extends StepReport {
  utilities: Float64Array;
  /** pca's players: the squared residuals of the top Ritz pairs at the last check (as many as the players; valid while `residual` is finite). */
  squaredResiduals?: Float64Array;
}

export interface DeviceOutcome {
  /** The job's last step: how many steps it took and how it ended. */
  last: StepReport;
  reports: number;
}

export interface DeviceApi {
  /** Keeps the kernels' module for the fits to come (a worker started ahead of them, startDevices). */
  keep(module: WebAssembly.Module): void;
  /** Instantiates the module (the one given now, or the one kept from an earlier fit) on a fit's memory. */
  init(setup: DeviceSetup): Promise<void>;
  /** Forgets the fit's memory and instance (the memory can be freed), keeping the module for the next fit. */
  release(): void;
  /**
   * Runs the job to its end (or a stop); resolves to its last step and the number of reports sent. Reports travel
   * on the callback's own port, so the host may receive the last of them after this call's result: it waits for
   * `reports` of them before it calls the run finished.
   */
  run(request: DeviceRequest, report?: (report: RunReport) => void): DeviceOutcome;
}

export function createDeviceApi(exit: (code: number) => void): DeviceApi {
  let module: WebAssembly.Module | null = null;
  let state: { kernels: KernelExports; memory: WebAssembly.Memory; device: number; fault?: FaultPlan } | null = null;
  const reclaimer = new SharedMemoryReclaimer();

  return {
    keep(kept) {
      module = kept;
    },

    async init(setup) {
      if (state) throw new Error(`device ${setup.device} is already initialised: release it first`);
      module = setup.module ?? module;
      if (!module) throw new Error(`device ${setup.device} was given no kernels`);
      const instance = await WebAssembly.instantiate(module, { env: { memory: setup.memory } });
      state = {
        kernels: instance.exports as unknown as KernelExports,
        memory: setup.memory,
        device: setup.device,
        fault: setup.fault,
      };
    },

    release() {
      if (!state) return;
      const { byteLength } = state.memory.buffer;
      state = null;
      reclaimer.released(byteLength);
    },

    run(request, report) {
      if (!state) throw new Error('device used before init');
      const { kernels, memory, device, fault } = state;
      const { plan, topology } = request;
      const control = new Int32Array(memory.buffer, plan.control, CONTROL_WORDS);
      const barrier = new SharedBarrier(control, topology.devices);
      const queues = new WorkQueues(new Int32Array(memory.buffer, plan.claims, plan.queueCount), true);
      const program = new DeviceProgram({
        kernels, memory, plan, topology, device, settings: request.settings, barrier, queues,
      });
      let last = NO_STEP;
      let reports = 0;
      try {
        for (const step of runJob(program, request.job, request.firstStep)) {
          last = step;
          if (fault && step.steps + 1 === fault.atStep) inject(fault, kernels, exit);
          if (report && step.report) {
            const utilities = new Float64Array(memory.buffer, plan.utilities, plan.k).slice();
            void Promise.resolve(report({ ...step, utilities, squaredResiduals: squaredResidualsOf(memory, plan) })).catch(() => {});
            reports++;
          }
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === HALTED)) markFailed(control, device);
        throw error;
      } finally {
        release(report);
      }
      return { last, reports };
    },
  };
}

/**
 * Closes device 0's report channel (a Comlink proxy, released after the reports sent on it): the host's end of an
 * open channel would keep a Node process alive while this worker waits warm for the next fit.
 */
function release(report?: (report: RunReport) => void): void {
  (report as { [releaseProxy]?: () => void } | undefined)?.[releaseProxy]?.();
}

function inject(fault: FaultPlan, kernels: KernelExports, exit: (code: number) => void): void {
  if (fault.kind === 'throw') throw new Error(`injected failure of device ${fault.device}`);
  if (fault.kind === 'trap') kernels.normalizeRows(0xfffffff0, 1, 1024);
  if (fault.kind === 'exit') exit(7);
  if (fault.kind === 'oom') {
    // Holds on to ever more heap until V8's limit for this worker (set by the pool) stops it.
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(1 << 20).fill(hoard.length + 0.5));
  }
}
