// `npm run bench`: throughput of a full EigenGame step, and pca's time to an accurate answer, measured side by side
// in one run. Prints a table and writes bench/results.md. Options: --quick (fewer repetitions).

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Engine } from '../src/engine';
import { resolveSettings } from '../src/options';
import { pca, subspaceDistance, type MatrixInput } from '../src/index';
import { gappedSpectrum, plantedData } from '../scripts/planted.mjs';
import { mnistDigits } from '../test/helpers/mnist';
import { normals } from '../test/helpers/random';

const quick = process.argv.includes('--quick');
const shapes = [
  { n: 4096, d: 784, k: 16 },
  { n: 10000, d: 784, k: 16 },
  { n: 4096, d: 4096, k: 64 },
  { n: 1024, d: 128, k: 8 },
];

/**
 * Seconds per step of full-batch steps on n × d data with k players on `devices` devices (1: in-thread), the
 * median of several runs of many steps each (the workers step on their own, as in a real fit).
 */
async function stepTime(n: number, d: number, k: number, devices: number) {
  const settings = resolveSettings({ reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } });
  const engine = await Engine.create({ d, k, rowCapacity: n }, settings, { devices, workPerStep: 0 });
  engine.rows(0, n).set(normals(1, n * d));
  engine.vectors().set(normals(2, k * d));
  engine.normalize(k);
  const steps = Math.max(3, Math.round((quick ? 2e9 : 1e10) / (4 * n * d * k * 20)));
  const run = () => engine.run({ kind: 'windows', rows: n, batchSize: n, steps, reportEvery: steps });
  await run();
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    const start = performance.now();
    await run();
    samples.push((performance.now() - start) / 1000 / steps);
  }
  engine.dispose();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const lines: string[] = [];
const say = (line = '') => {
  console.log(line);
  lines.push(line);
};

say(`# eigengame benchmark`);
say();
say(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
say();
say('## One full step: in-thread and on 2 devices (worker_threads), measured side by side');
say();
say('P = XVᵀ and G = PᵀX count 4·N·d·k floating-point operations; the k × k work and the update are extra.');
say();
say('| N × d, k | in-thread | 2 devices | 2 devices ÷ in-thread |');
say('| --- | --- | --- | --- |');
for (const { n, d, k } of quick ? shapes.filter((s) => s.d < 4096) : shapes) {
  const one = await stepTime(n, d, k, 1);
  const two = await stepTime(n, d, k, 2);
  const cell = (seconds: number) =>
    `${(seconds * 1000).toFixed(2)} ms, ${(1 / seconds).toFixed(0)} steps/s, ${((4 * n * d * k) / seconds / 1e9).toFixed(1)} GFLOP/s`;
  say(`| ${n} × ${d}, k = ${k} | ${cell(one)} | ${cell(two)} | ${(one / two).toFixed(2)}× |`);
}
say();
say('## pca with default options: time to the answer and its accuracy (planted spectra: 5 % eigengaps)');
say();
say('| n × d, k | wall time | steps | subspace distance | min \\|cos\\| |');
say('| --- | --- | --- | --- | --- |');
/** Fits with default options; reports wall time, steps and accuracy against true eigenvectors (k × d rows). */
async function fitRow(label: string, X: MatrixInput, k: number, d: number, truth: Float64Array) {
  let steps = 0;
  const start = performance.now();
  const model = await pca(X, { k, onProgress: (p) => (steps = p.step) });
  const seconds = (performance.now() - start) / 1000;
  let minCos = 1;
  for (let i = 0; i < k; i++) {
    let cosine = 0;
    for (let c = 0; c < d; c++) cosine += model.components[i * d + c] * truth[i * d + c];
    minCos = Math.min(minCos, Math.abs(cosine));
  }
  const distance = subspaceDistance({ data: model.components, rows: k, cols: d }, { data: truth, rows: k, cols: d });
  say(`| ${label} | ${seconds.toFixed(2)} s | ${steps} | ${distance.toExponential(1)} | ${minCos.toFixed(6)} |`);
}

for (const { n, d, k } of [{ n: 20000, d: 300, k: 10 }, { n: 10000, d: 784, k: 16 }]) {
  const planted = plantedData({ n, d, spectrum: gappedSpectrum(d, k, 0.05), seed: 5 });
  await fitRow(`${n} × ${d}, k = ${k}`, planted, k, d, planted.eigenvectors.subarray(0, k * d));
}
const reference = JSON.parse(readFileSync(new URL('../test/fixtures/mnist-10k-top16.json', import.meta.url), 'utf8'));
await fitRow(
  `MNIST-10k: 10000 × 784, k = ${reference.k} (vs numpy)`, mnistDigits(), reference.k, reference.d,
  Float64Array.from(reference.eigenvectors.flat()),
);

writeFileSync(new URL('./results.md', import.meta.url), `${lines.join('\n')}\n`);
