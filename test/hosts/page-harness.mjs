// Runs a page's cases and leaves the outcome in `window.outcome` for the test driving the browser. It also counts
// Atomics.wait calls on the page's main thread, which must stay at zero (browsers forbid blocking there).

export function report(run) {
  let mainThreadWaits = 0;
  const wait = Atomics.wait;
  Atomics.wait = function countedWait(...args) {
    mainThreadWaits++;
    return wait.apply(this, args);
  };
  run().then(
    (result) => {
      window.outcome = { result: { ...result, crossOriginIsolated: globalThis.crossOriginIsolated, mainThreadWaits } };
    },
    (error) => {
      window.outcome = { error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) };
    },
  );
}
