// `npm run bench`: throughput of a full EigenGame step, and pca's time to an accurate answer, measured side by side
// in one run. Prints a table and writes bench/results.md. Options: --quick (fewer repetitions).

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Engine } from '../src/engine';
import { resolveSettings } from '../src/options';
import { pca, subspaceDistance, type MatrixInput } from '../src/index';
import type { BuildName } from '../src/wasm';
import { gappedSpectrum, plantedData } from '../scripts/planted.mjs';
import { mnistDigits } from '../test/helpers/mnist';
import { normals } from '../test/helpers/random';

const quick = process.argv.includes('--quick');
const shapes = [
  { n: 4096, d: 784, k: 16 },
  { n: 4096, d: 4096, k: 64 },
  { n: 1024, d: 128, k: 8 },
];

/** Median seconds per call over `repeats` timed calls after one warm-up. */
function time(run: () => void, repeats: number): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function stepThroughput(build: BuildName, n: number, d: number, k: number) {
  const settings = resolveSettings({ reduction: 'mean', optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true } });
  const engine = await Engine.create({ d, k, rowCapacity: n }, settings, build);
  engine.rows(0, n).set(normals(1, n * d));
  engine.vectors().set(normals(2, k * d));
  engine.normalize(k);
  // P = X Vᵀ and G = Pᵀ X: 2·n·d·k multiply-adds, 4·n·d·k floating-point operations; the k × k work is extra.
  const flops = 4 * n * d * k;
  const seconds = time(() => engine.step(0, n), quick ? 3 : 10);
  return { seconds, gflops: flops / seconds / 1e9 };
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
say('## One full step (in-thread)');
say();
say('| N × d, k | simd build | threads build |');
say('| --- | --- | --- |');
for (const { n, d, k } of quick ? shapes.filter((s) => s.d < 4096) : shapes) {
  const simd = await stepThroughput('simd', n, d, k);
  const threads = await stepThroughput('threads', n, d, k);
  const cell = (r: { seconds: number; gflops: number }) => `${(r.seconds * 1000).toFixed(1)} ms, ${r.gflops.toFixed(1)} GFLOP/s`;
  say(`| ${n} × ${d}, k = ${k} | ${cell(simd)} | ${cell(threads)} |`);
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
