// A probe of the event loop while work runs on the same thread: a chain of setImmediate callbacks (macrotasks) counts
// the turns the loop got and the longest time between two of them. Work that never yields leaves it at no turn, with
// a gap as long as the work.

export interface Turns<T> {
  /** What the work resolved to, or the error it rejected with. */
  outcome: { value: T } | { error: unknown };
  /** Turns of the event loop while the work ran. */
  turns: number;
  /** The longest time between two turns (or from the start to the first, or from the last to the end), in ms. */
  longestGap: number;
  /** How long the work ran, in ms. */
  duration: number;
  /** When each turn came (performance.now()). */
  times: number[];
}

export async function turnsDuring<T>(work: () => Promise<T>): Promise<Turns<T>> {
  const start = performance.now();
  let last = start;
  let longestGap = 0;
  let turns = 0;
  const times: number[] = [];
  let running = true;
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    turns++;
    times.push(now);
    setImmediate(tick);
  };
  setImmediate(tick);
  let outcome: Turns<T>['outcome'];
  try {
    outcome = { value: await work() };
  } catch (error) {
    outcome = { error };
  }
  running = false;
  const end = performance.now();
  return { outcome, turns, longestGap: Math.max(longestGap, end - last), duration: end - start, times };
}
