// `npm run bench`: throughput of a full EigenGame step in-thread and on 2 worker devices, pca's time to an
// accurate answer, and pca against the JavaScript peers (ml-pca, DruidJS), measured side by side in one run.
// Prints tables and writes bench/results.md.
// Options: --quick (shorter samples; no ml-pca on large data), --only=steps|pca|peers (one part; written to
// bench/results-<part>.md).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine';
import { resolveSettings } from '../src/options';
import { pca, subspaceDistance, type MatrixInput } from '../src/entries/node';
import { gappedSpectrum, plantedData } from '../scripts/planted.mjs';
import { mnistDigits } from '../test/helpers/mnist';
import { normals } from '../test/helpers/random';
import { peersSection } from './peers';

const quick = process.argv.includes('--quick');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !['steps', 'pca', 'peers'].includes(only)) throw new Error(`--only must be steps, pca or peers, got ${only}`);

const shapes = [
  { n: 4096, d: 784, k: 16 },
  { n: 10000, d: 784, k: 16 },
  { n: 4096, d: 4096, k: 64 },
  { n: 1024, d: 128, k: 8 },
];

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
  const steps = Math.max(3, Math.round((quick ? 4e9 : 1.6e10) / (4 * n * d * k)));
  const run = (engine: Engine) => engine.run({ kind: 'windows', rows: n, batchSize: n, steps, reportEvery: steps });
  for (const engine of engines) await run(engine);
  const samples: number[][] = engines.map(() => []);
  for (let i = 0; i < (quick ? 3 : 9); i++) {
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

/** GFLOP/s of the register-only multiply/add loop (bench/assembly/peak.ts), compiled here with asc. */
function wasmPeak(): () => number {
  const file = join(tmpdir(), `eigengame-peak-${process.pid}.wasm`);
  const asc = new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url).pathname;
  execFileSync(process.execPath, [asc, new URL('./assembly/peak.ts', import.meta.url).pathname, '--enable', 'simd', '-O3', '--runtime', 'stub', '-o', file]);
  const module = new WebAssembly.Module(readFileSync(file));
  const { peak } = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } }).exports as { peak(n: number): number };
  peak(1e6);
  return () => {
    const iterations = quick ? 5e7 : 2e8;
    const start = performance.now();
    peak(iterations);
    return (48 * iterations) / ((performance.now() - start) / 1000) / 1e9;
  };
}

async function stepSection() {
  say('## One full step: in-thread and on 2 devices (worker_threads), measured side by side');
  say();
  say('P = XVᵀ and G = PᵀX count 4·N·d·k floating-point operations; the k × k work and the update are extra.');
  say('Times are medians of samples of about a second; the speed-up is the median of the ratios of samples taken');
  say('back to back (in brackets: the lowest and highest), since this shared machine\'s speed drifts.');
  say();
  say('The wasm SIMD peak is a register-only loop of f32x4 multiplies and adds (bench/assembly/peak.ts; wasm SIMD has');
  say('no FMA), measured before and after each row: in-thread GFLOP/s as a share of it.');
  say();
  say('| N × d, k | in-thread | share of wasm peak | 2 devices | speed-up of 2 devices |');
  say('| --- | --- | --- | --- | --- |');
  const peak = wasmPeak();
  for (const { n, d, k } of quick ? shapes.filter((s) => s.d < 4096) : shapes) {
    const before = peak();
    const [one, two] = await stepTimes(n, d, k, [1, 2]);
    const peakGflops = Math.max(before, peak());
    const cell = (samples: number[]) => {
      const seconds = median(samples);
      return `${(seconds * 1000).toFixed(2)} ms, ${(1 / seconds).toFixed(0)} steps/s, ${((4 * n * d * k) / seconds / 1e9).toFixed(1)} GFLOP/s`;
    };
    const ratios = one.map((seconds, i) => seconds / two[i]);
    const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    const share = `${((4 * n * d * k) / median(one) / 1e9 / peakGflops * 100).toFixed(0)} % of ${peakGflops.toFixed(1)} GFLOP/s`;
    say(`| ${n} × ${d}, k = ${k} | ${cell(one)} | ${share} | ${cell(two)} | ${median(ratios).toFixed(2)}× (${range}) |`);
  }
  say();
}

/** Fits with default options on `devices`; wall time, steps and accuracy against true eigenvectors (k × d rows). */
async function fit(X: MatrixInput, k: number, d: number, truth: Float64Array, devices: number) {
  let steps = 0;
  const start = performance.now();
  const model = await pca(X, { k, devices, onProgress: (p) => (steps = p.step) });
  const seconds = (performance.now() - start) / 1000;
  let minCos = 1;
  for (let i = 0; i < k; i++) {
    let cosine = 0;
    for (let c = 0; c < d; c++) cosine += model.components[i * d + c] * truth[i * d + c];
    minCos = Math.min(minCos, Math.abs(cosine));
  }
  const distance = subspaceDistance({ data: model.components, rows: k, cols: d }, { data: truth, rows: k, cols: d });
  return { seconds, steps, distance, minCos };
}

async function pcaSection() {
  say('## pca with default options: time to the answer and its accuracy, in-thread and on 2 devices');
  say();
  say('Planted spectra have 5 % eigengaps and known eigenvectors; MNIST is compared with numpy\'s `eigh` (a fixture).');
  say();
  say('| n × d, k | in-thread | 2 devices | steps | subspace distance | min \\|cos\\| |');
  say('| --- | --- | --- | --- | --- | --- |');
  const datasets: { label: string; X: MatrixInput; k: number; d: number; truth: Float64Array }[] = [];
  for (const { n, d, k } of [{ n: 20000, d: 300, k: 10 }, { n: 10000, d: 784, k: 16 }]) {
    const planted = plantedData({ n, d, spectrum: gappedSpectrum(d, k, 0.05), seed: 5 });
    datasets.push({ label: `planted ${n} × ${d}, k = ${k}`, X: planted, k, d, truth: planted.eigenvectors.subarray(0, k * d) });
  }
  const reference = JSON.parse(readFileSync(new URL('../test/fixtures/mnist-10k-top16.json', import.meta.url), 'utf8'));
  datasets.push({
    label: `MNIST-10k: 10000 × 784, k = ${reference.k}`, X: mnistDigits(), k: reference.k, d: reference.d,
    truth: Float64Array.from(reference.eigenvectors.flat()),
  });
  for (const { label, X, k, d, truth } of datasets) {
    const one = await fit(X, k, d, truth, 1);
    const two = await fit(X, k, d, truth, 2);
    // The same seed gives the same bits on any number of devices: one accuracy column serves both.
    if (one.steps !== two.steps || one.distance !== two.distance) throw new Error(`${label}: 1 and 2 devices differ`);
    say(`| ${label} | ${one.seconds.toFixed(2)} s | ${two.seconds.toFixed(2)} s | ${one.steps} | ${one.distance.toExponential(1)} | ${one.minCos.toFixed(6)} |`);
  }
  say();
}

say('# eigengame benchmark');
say();
say(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
say();
if (only === undefined || only === 'steps') await stepSection();
if (only === undefined || only === 'pca') await pcaSection();
if (only === undefined || only === 'peers') await peersSection(say, quick);
writeFileSync(new URL(only ? `./results-${only}.md` : './results.md', import.meta.url), `${lines.join('\n')}\n`);
