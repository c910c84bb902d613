// Turns of the event loop: what every long loop of the package calls so that timers, abort signals, I/O and a
// page's painting run while a fit computes on the calling thread. A turn must be a macrotask: an `await` on a
// settled promise, on an async generator's next chunk or on a Blob or ReadableStream fed from memory resolves as a
// microtask, and a loop of those never lets the event loop run (an endless one hangs for ever).
//
// One clock for the thread: whichever loop yielded last, the next one that finds TURN_EVERY_MS passed yields again.
// A loop calls `turn(signal)` between pieces of work of a few milliseconds at most (a staged block of rows, a batch,
// a chunk of bytes, a round); most calls cost a clock read.

/** The longest stretch of work on the calling thread between two turns of its event loop, in milliseconds. */
export const TURN_EVERY_MS = 50;

const now = (): number => performance.now();

/** When this thread's work last gave the event loop a turn. */
let lastTurn = now();

/** Whether TURN_EVERY_MS have passed since the work on this thread last gave the event loop a turn. */
export function turnDue(): boolean {
  return now() - lastTurn >= TURN_EVERY_MS;
}

/**
 * Gives the event loop a turn now: resolves in a macrotask (Node's setImmediate; a MessageChannel message where
 * there is none, as timers nested deeper than 5 are clamped to 4 ms in browsers; else a timer).
 */
export async function yieldToEventLoop(): Promise<void> {
  await macrotask();
  lastTurn = now();
}

/** Gives the event loop a turn if one is due; then throws the signal's reason if it was aborted. */
export async function turn(signal?: AbortSignal): Promise<void> {
  if (turnDue()) await yieldToEventLoop();
  signal?.throwIfAborted();
}

function macrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      // A channel per turn, closed once it has delivered: an open port would keep some hosts' event loops alive.
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
