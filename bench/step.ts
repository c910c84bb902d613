// `npm run bench`: throughput of a full EigenGame step in-thread and on 2 worker devices, on the plain-SIMD and the
// relaxed-SIMD builds, beside the machine's wasm peak and numpy's BLAS; pca beside numpy's and scikit-learn's routes
// on data like users' data, a streamed file through the CLI included (bench/pca.ts); pca against the JavaScript peers
// (ml-pca, DruidJS); many fits at once on the realm's workers; cca, pls and lda beside numpy/SciPy's route; and pca on
// sparse TF-IDF-like and single-cell-like data beside scikit-learn (bench/sparse.ts), measured side by side in one
// run. Prints tables and writes bench/results.md. numpy, SciPy and scikit-learn run in EIGENGAME_BENCH_PYTHON (default
// python3); the datasets are generated once into a cache under os.tmpdir() (bench/datasets.ts).
// Options: --quick (one run per fit, shorter samples; no ml-pca on large data), --only=steps|pca|peers|pool|generalized|sparse
// (one part; written to bench/results-<part>.md), --before=<another build's dist/node.js> (the pool part measures it
// too). Internal: --child=relaxed-simd (the relaxed-SIMD step rows, as JSON, for the parent).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/devices/engine';
import { resolveSettings } from '../src/game/options';
import { init } from '../src/entries/node';
import type { Arithmetic } from '../src/kernels/exports';
import { normals } from '../test/helpers/random';
import { nativeEnv } from './children';
import { PYTHON } from './datasets';
import { generalizedSection } from './generalized';
import { pcaSection } from './pca';
import { peersSection } from './peers';
import { poolSection } from './pool';
import { sparseSection } from './sparse';

const quick = process.argv.includes('--quick');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !['steps', 'pca', 'peers', 'pool', 'generalized', 'sparse'].includes(only)) throw new Error(`--only must be steps, pca, peers, pool, generalized or sparse, got ${only}`);
const before = process.argv.find((arg) => arg.startsWith('--before='))?.slice('--before='.length);
const child = process.argv.find((arg) => arg.startsWith('--child='))?.slice('--child='.length) as Arithmetic | undefined;

const shapes = [
  { n: 4096, d: 784, k: 16 },
  { n: 4096, d: 4096, k: 64 },
  { n: 1024, d: 128, k: 8 },
];
const flops = ({ n, d, k }: { n: number; d: number; k: number }) => 4 * n * d * k;

const lines: string[] = [];
const say = (line = '') => {
  console.log(line);
  lines.push(line);
};

/**
 * Seconds per step of full-batch steps on n × d data with k players, for each device count (1: in-thread): the
 * median of several samples of many steps each (the workers step on their own, as in a real fit). Samples of the
 * device counts alternate, so that the machine's noise falls on all of them alike.
 */
async function stepTimes(n: number, d: number, k: number, deviceCounts: number[]) {
  const settings = resolveSettings({ reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } });
  const data = normals(1, n * d);
  const engines = await Promise.all(deviceCounts.map(async (devices) => {
    const engine = await Engine.create({ d, k, rowCapacity: n }, settings, { devices, workPerStep: 0 });
    engine.rows(0, n).set(data);
    engine.vectors().set(normals(2, k * d));
    engine.normalize(k);
    return engine;
  }));
  // About a second per sample at ~16 GFLOP/s.
  const steps = Math.max(3, Math.round((quick ? 4e9 : 1.6e10) / flops({ n, d, k })));
  const run = (engine: Engine) => engine.run({ kind: 'windows', rows: n, batchSize: n, steps, reportEvery: steps });
  for (const engine of engines) await run(engine);
  const samples: number[][] = engines.map(() => []);
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    for (const [e, engine] of engines.entries()) {
      const start = performance.now();
      await run(engine);
      samples[e].push((performance.now() - start) / 1000 / steps);
    }
  }
  engines.forEach((engine) => engine.dispose());
  return samples;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** GFLOP/s of the register-only multiply-add loop (bench/assembly/peak.ts), compiled here with asc for `arithmetic`. */
function wasmPeak(arithmetic: Arithmetic): () => number {
  const file = join(tmpdir(), `eigengame-peak-${arithmetic}-${process.pid}.wasm`);
  const asc = new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url).pathname;
  const features = arithmetic === 'relaxed-simd' ? 'simd,relaxed-simd' : 'simd';
  execFileSync(process.execPath, [asc, new URL('./assembly/peak.ts', import.meta.url).pathname, '--enable', features, '-O3', '--runtime', 'stub', '-o', file]);
  const module = new WebAssembly.Module(readFileSync(file));
  const { peak } = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } }).exports as { peak(n: number): number };
  peak(1e6);
  return () => {
    const iterations = quick ? 2.5e7 : 1e8;
    const start = performance.now();
    peak(iterations);
    return (96 * iterations) / ((performance.now() - start) / 1000) / 1e9;
  };
}

interface StepRow {
  shape: string;
  arithmetic: Arithmetic;
  /** Seconds per step, samples: in-thread, 2 devices. */
  inThread: number[];
  twoDevices: number[];
  peak: number;
}

/** The step rows of this process's arithmetic (the kernels that init picked). */
async function stepRows(arithmetic: Arithmetic): Promise<StepRow[]> {
  const found = await init({ relaxedSimd: arithmetic === 'relaxed-simd' });
  if (found.arithmetic !== arithmetic) throw new Error(`bench: asked for ${arithmetic} kernels, the host runs ${found.arithmetic}`);
  const peak = wasmPeak(arithmetic);
  const rows: StepRow[] = [];
  for (const shape of quick ? shapes.filter((s) => s.d < 4096) : shapes) {
    const { n, d, k } = shape;
    const before = peak();
    const [inThread, twoDevices] = await stepTimes(n, d, k, [1, 2]);
    rows.push({ shape: `${n} × ${d}, k = ${k}`, arithmetic, inThread, twoDevices, peak: Math.max(before, peak()) });
  }
  return rows;
}

/** The relaxed-SIMD rows from a child Node with V8's flag (Node 20 validates relaxed SIMD only behind it). */
function relaxedRows(): StepRow[] | string {
  try {
    const output = execFileSync(process.execPath, [
      '--experimental-wasm-relaxed-simd', '--import', 'tsx', new URL(import.meta.url).pathname, '--child=relaxed-simd',
      ...(quick ? ['--quick'] : []),
    ], { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(output.trim().split('\n').at(-1)!) as StepRow[];
  } catch (error) {
    return `relaxed SIMD did not run here: ${String((error as { stderr?: string }).stderr || error).split('\n')[0]}`;
  }
}

/** numpy's step on `threads` threads, seconds per shape, or why there is none. */
function numpySteps(threads: number): Map<string, number> | string {
  try {
    const output = execFileSync(PYTHON, [
      new URL('./numpy-step.py', import.meta.url).pathname, String(threads), ...shapes.map(({ n, d, k }) => `${n},${d},${k}`),
    ], { encoding: 'utf8', env: nativeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const results = output.trim().split('\n').map((line) => JSON.parse(line) as { shape: string; seconds: number });
    return new Map(results.map(({ shape, seconds }) => [shape, seconds]));
  } catch (error) {
    return `no numpy comparison: ${PYTHON} with numpy is not available here (${String((error as { stderr?: string }).stderr || error).split('\n').at(-2) ?? ''})`;
  }
}

const gflops = (shape: { n: number; d: number; k: number }, seconds: number) => flops(shape) / seconds / 1e9;

async function stepSection() {
  say('## One full step: in-thread and on 2 devices (worker_threads), plain and relaxed SIMD, measured side by side');
  say();
  say('P = XVᵀ and G = PᵀX count 4·N·d·k floating-point operations; the k × k work and the update are extra. One device');
  say('runs in the calling thread (a lone worker would only add messages). Times are medians of samples of about a');
  say('second; the speed-up is the median of the ratios of samples taken back to back (in brackets: the lowest and');
  say('highest), since this shared machine\'s speed drifts. The wasm peak is a register-only loop of the build\'s');
  say('multiply-add (bench/assembly/peak.ts: a multiply and an add in plain SIMD, `f32x4.relaxed_madd` in relaxed SIMD),');
  say('measured before and after each row on one thread: the in-thread step as a share of it.');
  say();
  const rows = await stepRows('simd');
  const relaxed = relaxedRows();
  if (typeof relaxed !== 'string') rows.push(...relaxed);
  say('| N × d, k | build | wasm peak, 1 thread | in-thread | share of peak | 2 devices | speed-up of 2 devices |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const shape of shapes) {
    for (const row of rows.filter((r) => r.shape === `${shape.n} × ${shape.d}, k = ${shape.k}`)) {
      const cell = (samples: number[]) => `${(median(samples) * 1000).toFixed(2)} ms, ${gflops(shape, median(samples)).toFixed(1)} GFLOP/s`;
      const ratios = row.inThread.map((seconds, i) => seconds / row.twoDevices[i]);
      const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
      const share = `${((gflops(shape, median(row.inThread)) / row.peak) * 100).toFixed(0)} %`;
      say(`| ${row.shape} | ${row.arithmetic} | ${row.peak.toFixed(1)} GFLOP/s | ${cell(row.inThread)} | ${share} | ${cell(row.twoDevices)} | ${median(ratios).toFixed(2)}× (${range}) |`);
    }
  }
  if (typeof relaxed === 'string') say(`\n${relaxed}`);
  say();
  say('### Against native BLAS: the same P = XVᵀ, G = PᵀX in float32 with numpy (bench/numpy-step.py), right after');
  say();
  const one = numpySteps(1);
  const two = numpySteps(2);
  if (typeof one === 'string' || typeof two === 'string') {
    say(typeof one === 'string' ? one : String(two));
  } else {
    say('| N × d, k | numpy, 1 thread | eigengame in-thread (best build) | share | numpy, 2 threads | eigengame, 2 devices (best build) | share |');
    say('| --- | --- | --- | --- | --- | --- | --- |');
    for (const shape of shapes) {
      const key = `${shape.n},${shape.d},${shape.k}`;
      const mine = rows.filter((r) => r.shape === `${shape.n} × ${shape.d}, k = ${shape.k}`);
      if (mine.length === 0) continue;
      const bestOne = Math.min(...mine.map((r) => median(r.inThread)));
      const bestTwo = Math.min(...mine.map((r) => median(r.twoDevices)));
      const pct = (a: number, b: number) => `${((b / a) * 100).toFixed(0)} %`;
      say(`| ${shape.n} × ${shape.d}, k = ${shape.k} | ${gflops(shape, one.get(key)!).toFixed(1)} GFLOP/s | ${gflops(shape, bestOne).toFixed(1)} GFLOP/s | ${pct(bestOne, one.get(key)!)} | ${gflops(shape, two.get(key)!).toFixed(1)} GFLOP/s | ${gflops(shape, bestTwo).toFixed(1)} GFLOP/s | ${pct(bestTwo, two.get(key)!)} |`);
    }
  }
  say();
}

if (child) {
  // The relaxed-SIMD half of the step table, for the parent.
  process.stdout.write(`${JSON.stringify(await stepRows(child))}\n`);
  process.exit(0);
}

await init({ relaxedSimd: false });
say('# eigengame benchmark');
say();
say(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
say();
if (only === undefined || only === 'steps') await stepSection();
if (only === undefined || only === 'pca') await pcaSection(say, quick);
if (only === undefined || only === 'peers') await peersSection(say, quick);
if (only === undefined || only === 'pool') await poolSection(say, quick, before);
if (only === undefined || only === 'generalized') await generalizedSection(say, quick);
if (only === undefined || only === 'sparse') await sparseSection(say, quick);
writeFileSync(new URL(only ? `./results-${only}.md` : './results.md', import.meta.url), `${lines.join('\n')}\n`);
