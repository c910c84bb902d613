// pca(new NpySource(file)) as a user's Node script runs it: plain JavaScript importing the built package, so that its
// wall time, like the CLI's and numpy's, is the process's own (tsx, which runs the bench's TypeScript, would add its
// compile of the bench to it). `node bench/npy-run.mjs <file.npy> <k>` prints JSON as bench/peer-run.ts does.
import { NpySource, pca } from '../dist/node.js';

const [file, k] = process.argv.slice(2);
let residual = null;
const start = performance.now();
const model = await pca(new NpySource(file), {
  k: Number(k),
  onProgress: (progress) => {
    residual = Number.isFinite(progress.residual) ? progress.residual : null;
  },
});
const seconds = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({
  seconds, rssMiB: process.resourceUsage().maxRSS / 1024, components: Array.from(model.components),
  variances: Array.from(model.explainedVariance), solver: model.solver, passes: model.passes, rounds: model.rounds,
  converged: model.converged, residual,
}));
