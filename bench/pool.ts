// Many fits at once, as a Node service that fits per request runs them: the latency of a small fit on cold workers
// (the process's first) and on warm ones, and the throughput of 1, 10 and 100 concurrent fits with the process's peak
// threads and resident memory. Each measurement runs in a fresh child process (test/helpers/many-fits.mjs), watched
// from outside. With --before=<path or URL of another build's dist/node.js> (e.g. the commit before the budget of
// workers, built in a scratch directory) the same runs measure that build too, side by side.
import { pathToFileURL } from 'node:url';
import { runConcurrentFits, type ConcurrentFitsResult } from '../test/helpers/concurrent-fits';
import { compiledModule, createMemory } from '../src/kernels/load';

/** The fit of issue 16's measurement: 2000 × 30, k = 5, on 2 devices (240 kB of data). */
const SMALL_FIT = { n: 2000, d: 30, k: 5, devices: 2 } as const;
const CONCURRENCY = [1, 10, 100];
const SEQUENTIAL_FITS = 10;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds to instantiate the threads build on a new shared memory, as a warm worker does for each fit. */
async function instantiateMs(): Promise<number> {
  const module = await compiledModule('threads');
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const memory = createMemory('threads', 64);
    const start = performance.now();
    await WebAssembly.instantiate(module, { env: { memory } });
    times.push(performance.now() - start);
  }
  return median(times);
}

interface Build {
  label: string;
  entry?: string;
}

export async function poolSection(say: (line?: string) => void, quick: boolean, before?: string): Promise<void> {
  const builds: Build[] = [{ label: 'this build' }];
  if (before) builds.unshift({ label: 'before', entry: /^[a-z]+:/.test(before) ? before : pathToFileURL(before).href });
  const { n, d, k, devices } = SMALL_FIT;
  say(`## Many fits at once: ${n} × ${d}, k = ${k}, devices: ${devices}, each measurement in a fresh process`);
  say();
  say('Latency: the process\'s first fit starts its workers (cold), the next ones find them warm (median of the');
  say(`other ${SEQUENTIAL_FITS - 1}). Throughput: all fits started at once; peak threads watched from outside every 2 ms`);
  say('(the process\'s own threads, before any worker, in brackets), peak RSS as the process reports it.');
  if (!before) say('Run with --before=<another build\'s dist/node.js> to measure it beside this one.');
  say();
  say(`Instantiating the threads build on a new shared memory (what a warm worker does for each fit): ${(await instantiateMs()).toFixed(2)} ms.`);
  say();
  say('| build | cold fit | warm fit |');
  say('| --- | --- | --- |');
  for (const { label, entry } of builds) {
    const { latencies } = await runConcurrentFits({ entry, ...SMALL_FIT, fits: 1, sequential: SEQUENTIAL_FITS });
    say(`| ${label} | ${latencies[0].toFixed(0)} ms | ${median(latencies.slice(1)).toFixed(1)} ms |`);
  }
  say();
  say('| build | concurrent fits | fits/s | peak threads | peak RSS |');
  say('| --- | --- | --- | --- | --- |');
  for (const fits of quick ? CONCURRENCY.slice(0, 2) : CONCURRENCY) {
    for (const { label, entry } of builds) {
      const result: ConcurrentFitsResult = await runConcurrentFits({ entry, ...SMALL_FIT, fits });
      if (result.differing > 0) throw new Error(`${label}: ${result.differing} of ${fits} concurrent fits differ from the same fit alone`);
      say(`| ${label} | ${fits} | ${result.fitsPerSecond.toFixed(1)} | ${result.peakThreads} (${result.ownThreads}) | ${result.maxRssMiB.toFixed(0)} MiB |`);
    }
  }
  say();
}
