// `npm start`: PCA of a planted-spectrum dataset whose true eigenvectors are known, printing found vs true.
import { pca, subspaceDistance, longestStreak } from '../dist/node.js';
import { gappedSpectrum, plantedData } from './planted.mjs';

const n = 20000;
const d = 300;
const k = 10;
const spectrum = gappedSpectrum(d, k, 0.05, 0.5);
console.log(`eigengame: planted-spectrum demo, ${n} rows × ${d} columns, k = ${k}`);
console.log(`true eigenvalues fall 5 % from one to the next; the 11th is half the 10th\n`);
const planted = plantedData({ n, d, spectrum, seed: 42 });

const started = performance.now();
// A live line on a terminal; a plain line every 50 steps otherwise (logs, CI).
const model = await pca(planted, {
  k,
  onProgress: ({ step, batchSize, remaining }) => {
    const estimate = Number.isFinite(remaining) ? remaining.toExponential(1) : '–';
    const line = `step ${String(step).padStart(5)}  batch ${String(batchSize).padStart(6)}  subspace distance to go ≈ ${estimate}`;
    if (process.stderr.isTTY) process.stderr.write(`\r  ${line}   `);
    else if (step % 50 === 0) process.stderr.write(`  ${line}\n`);
  },
});
const seconds = (performance.now() - started) / 1000;
if (process.stderr.isTTY) process.stderr.write('\n');
console.log();

const rows = [];
for (let i = 0; i < k; i++) {
  let cosine = 0;
  for (let c = 0; c < d; c++) cosine += model.components[i * d + c] * planted.eigenvectors[i * d + c];
  rows.push({
    component: i + 1,
    'true variance': spectrum[i].toFixed(6),
    'found variance': model.explainedVariance[i].toFixed(6),
    'variance ratio': model.explainedVarianceRatio[i].toFixed(4),
    '|cos| to truth': Math.abs(cosine).toFixed(6),
  });
}
console.table(rows);
const found = { data: model.components, rows: k, cols: d };
const truth = { data: planted.eigenvectors.subarray(0, k * d), rows: k, cols: d };
console.log(`subspace distance to the truth: ${subspaceDistance(found, truth).toExponential(2)}`);
console.log(`longest streak within π/8:      ${longestStreak(found, truth)} of ${k}`);
const { kind, devices } = model.backend;
console.log(`time: ${seconds.toFixed(2)} s on ${devices} ${kind === 'workers' ? 'worker devices' : 'in-thread device'}`);
