// Runs many-fits.mjs (many pca fits at once) in a child Node and watches it from outside: its threads and
// resident memory, read from /proc every 2 ms (Linux), so that nothing in the measuring process counts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ConcurrentFitsOptions {
  /** URL of the Node entry of the build to measure (default: this repository's dist/node.js). */
  entry?: string;
  fits?: number;
  n?: number;
  d?: number;
  k?: number;
  devices?: number | 'auto';
  seeds?: number;
  sequential?: number;
  max?: number;
}

export interface ConcurrentFitsResult {
  /** The child's threads after one in-thread fit, before any device worker. */
  ownThreads: number;
  seconds: number;
  fitsPerSecond: number;
  /** Fits whose bits differ from the same fit run alone. */
  differing: number;
  backends: string[];
  aloneBackend: { kind: string; devices: number };
  /** Milliseconds of each sequential fit (cold first). */
  latencies: number[];
  maxRssMiB: number;
  stats?: { max: number; workers: number; busy: number; idle: number; waiting: number };
  /** The most threads the child had at once. */
  peakThreads: number;
}

const script = new URL('./many-fits.mjs', import.meta.url).pathname;

export async function runConcurrentFits(options: ConcurrentFitsOptions): Promise<ConcurrentFitsResult> {
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (errors += chunk));
  let peakThreads = 0;
  const watch = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakThreads = Math.max(peakThreads, Number(/Threads:\s*(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // The child has just exited.
    }
  }, 2);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(watch);
  if (code !== 0) throw new Error(`many-fits.mjs exited with code ${code}: ${errors}`);
  return { ...(JSON.parse(output) as Omit<ConcurrentFitsResult, 'peakThreads'>), peakThreads };
}
