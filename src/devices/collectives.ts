// Collectives of the devices on the control block of the shared memory: a barrier (counter + generation), the
// failure flag that releases every waiting device, and the stop decision taken at the end of a step.
//
// Floats have no atomics, so sums are not done here: devices write partial sums to their own buffers and read
// each other's after a barrier (see program.ts). Plain writes before a barrier are visible after it.

/** Word offsets in the control block (memory.ts reserves CONTROL_WORDS words). */
const ARRIVED = 0;
const GENERATION = 1;
/** 0, or 1 + the index of the first device that failed (or HOST_FAILURE). */
const FAILED = 2;
/** Set by the host to ask the devices to stop at the end of the current step. */
const STOP_REQUESTED = 3;
/** The stop decision of the last end-of-step barrier, taken by its last arrival so every device agrees. */
const STOP_DECIDED = 4;

/** FAILED value when the host, not a device, stops the pool (a worker that exited, a dispose mid-run). */
const HOST_FAILURE = 0x7fffffff;

/** Loads of the generation word before a device sleeps in Atomics.wait (some tens of microseconds). */
const SPIN_LOADS = 20000;

/** Thrown in the devices that are released because another device failed. */
export const HALTED = 'DeviceHalted';

function haltedError(): Error {
  const error = new Error('stopped because another device failed');
  error.name = HALTED;
  return error;
}

/** What every device waits on between the phases of a step. */
export interface Barrier {
  /** Returns once every device has arrived. */
  wait(): void;
  /** The end-of-step barrier: true when the devices must stop after this step. */
  waitAtStepEnd(): boolean;
  /** A device's decision that all stop after this step (pca's player 0 judging convergence), taken before it arrives. */
  requestStop(): void;
}

/** The barrier of a lone device: nothing to wait for; stopping is the host's business. */
export const soloBarrier: Barrier = {
  wait() {},
  waitAtStepEnd: () => false,
  requestStop() {},
};

/** A barrier of `parties` devices on the control block `control` (a view of the shared memory). */
export class SharedBarrier implements Barrier {
  constructor(
    private readonly control: Int32Array,
    private readonly parties: number,
  ) {}

  wait(): void {
    this.arrive(false);
  }

  waitAtStepEnd(): boolean {
    this.arrive(true);
    return Atomics.load(this.control, STOP_DECIDED) === 1;
  }

  requestStop(): void {
    requestStop(this.control);
  }

  private arrive(decideStop: boolean): void {
    const control = this.control;
    const generation = Atomics.load(control, GENERATION);
    if (Atomics.add(control, ARRIVED, 1) === this.parties - 1) {
      Atomics.store(control, ARRIVED, 0);
      if (decideStop) Atomics.store(control, STOP_DECIDED, Atomics.load(control, STOP_REQUESTED));
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
    } else {
      // Spin a little first: the others usually arrive within microseconds, and waking from Atomics.wait costs
      // tens of microseconds, four times a step.
      for (let spin = 0; spin < SPIN_LOADS && Atomics.load(control, GENERATION) === generation; spin++);
      while (Atomics.load(control, GENERATION) === generation) {
        if (Atomics.load(control, FAILED) !== 0) break;
        Atomics.wait(control, GENERATION, generation);
      }
    }
    if (Atomics.load(control, FAILED) !== 0) throw haltedError();
  }
}

/**
 * Work queues: devices claim the chunks of a step one at a time from a shared counter, so a device that runs
 * slower (a busy core) takes fewer. What a chunk computes does not depend on who computes it, so the bits do not
 * change. A counter is never reset during a run: every taker makes exactly one claim past the end of each step's
 * items, so after a step the counter stands at base + items + takers, and each device advances its own base.
 */
export class WorkQueues {
  private readonly bases: number[];

  /** `counters`: one int32 word per queue, zero at the start of a run; `shared`: claimed with atomics. */
  constructor(
    private readonly counters: Int32Array,
    private readonly shared: boolean,
  ) {
    this.bases = new Array<number>(counters.length).fill(0);
  }

  /** The next unclaimed item of queue `queue` this step (of `items`, shared by `takers` devices), or -1. */
  take(queue: number, items: number, takers: number): number {
    const ticket = this.shared ? Atomics.add(this.counters, queue, 1) : this.counters[queue]++;
    const item = ticket - this.bases[queue];
    if (item < items) return item;
    this.bases[queue] += items + takers;
    return -1;
  }
}

/** Resets the control block before a run (the host does this while no device is running). */
export function resetControl(control: Int32Array): void {
  control.fill(0);
}

/** Asks the devices to stop after the step they are in. */
export function requestStop(control: Int32Array): void {
  Atomics.store(control, STOP_REQUESTED, 1);
}

/**
 * Marks the pool failed (first failure wins) and wakes every waiting device: they throw HALTED at once. The
 * generation is bumped so that a device about to wait does not sleep through the notification.
 */
export function markFailed(control: Int32Array, device: number | 'host'): void {
  Atomics.compareExchange(control, FAILED, 0, device === 'host' ? HOST_FAILURE : device + 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

/** The device that failed first, 'host', or null. */
export function failedDevice(control: Int32Array): number | 'host' | null {
  const value = Atomics.load(control, FAILED);
  if (value === 0) return null;
  return value === HOST_FAILURE ? 'host' : value - 1;
}
