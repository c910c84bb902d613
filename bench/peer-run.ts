// One JavaScript library's fit of one dataset, in a process of its own so that its time and peak RSS are its own:
//   tsx bench/peer-run.ts <eigengame[:covariance|:gram|:data]|eigengame-sparse[-cold][:<solver>]|druidjs|ml-pca> <dataset>
// (`eigengame` is pca with default options on the rows in memory, `eigengame:<solver>` forces that route, and
// `eigengame-sparse` fits a sparse set (bench/sparse.ts) in memory as csr, read by the package's readSparse, with the
// set's `center`, and prints its singular values too; its device workers are started before the clock by
// `startDevices()`, as scikit-learn's BLAS threads start at its import, except with `-cold`.) Prints JSON: seconds, rssMiB, components (k × d, row-major), and for eigengame its variances,
// route, passes and rounds. The data are read from the bench's cache and put in the library's own format before the
// clock starts; eigengame's kernels compile before it too (as DruidJS compiles its wasm on import), its device workers
// start inside it (but for `eigengame-sparse`, above). eigengame is the built package (`import 'eigengame'`, dist/),
// as its users run it: its sources through tsx took 5 % longer (1.60-1.62 s against 1.53-1.54 s on the TF-IDF set).
import * as druid from '@saehrimnir/druidjs';
import { PCA as MlPCA } from 'ml-pca';
import { init, pca, startDevices, type PCAModel, type PCAProgress } from 'eigengame';
import type { FitResult } from './children';
import { DATASETS, SPARSE_DATASETS, dataPath, readNpy, readSparseSet, type DatasetName, type SparseDatasetName } from './datasets';

const [method, name] = process.argv.slice(2) as [string, DatasetName];
const { k } = method.startsWith('eigengame-sparse') ? SPARSE_DATASETS[name as unknown as SparseDatasetName] : DATASETS[name];
const matrix = () => readNpy(dataPath(name));
const asRows = () => {
  const { data, rows, cols } = matrix();
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
};
/** The largest relative residual of the fit's last progress event (what its tol was compared with). */
let residual: number | null = null;
const onProgress = (progress: PCAProgress) => {
  residual = Number.isFinite(progress.residual) ? progress.residual : null;
};
const eigengameResult = (model: PCAModel) => ({
  components: Array.from(model.components), variances: Array.from(model.explainedVariance),
  solver: model.solver, passes: model.passes, rounds: model.rounds, converged: model.converged, residual,
});

/** What the bench prints of a fit, made after the clock (as the native side's `tolist()`). */
type Output = () => Omit<FitResult, 'seconds' | 'rssMiB'>;
/** The library's fit, timed; it returns how to make its output. */
let fit: () => Promise<Output> | Output;
if (method === 'eigengame' || method.startsWith('eigengame:')) {
  const solver = (method.split(':')[1] ?? 'auto') as 'auto' | 'covariance' | 'gram' | 'data';
  const input = matrix();
  await init();
  fit = async () => {
    const model = await pca(input, { k, solver, onProgress });
    return () => eigengameResult(model);
  };
} else if (method.startsWith('eigengame-sparse')) {
  const sparse = name as unknown as SparseDatasetName;
  const input = await readSparseSet(sparse);
  const { center } = SPARSE_DATASETS[sparse];
  const solver = (method.split(':')[1] ?? 'auto') as 'auto' | 'sparse-covariance' | 'sparse-data' | 'sparse-gram';
  await init();
  if (!method.startsWith('eigengame-sparse-cold')) await startDevices();
  fit = async () => {
    const model = await pca(input, { k, center, solver, onProgress });
    const singular = (model as { singularValues?: ArrayLike<number> }).singularValues;
    return () => ({ ...eigengameResult(model), ...(singular ? { singularValues: Array.from(singular) } : {}) });
  };
} else if (method === 'druidjs') {
  const input = druid.Matrix.from(asRows());
  fit = () => {
    const found = druid.PCA.principal_components(input, { d: k });
    return () => ({ components: found.transpose().to2dArray().flatMap((row) => Array.from(row)) });
  };
} else if (method === 'ml-pca') {
  const input = asRows();
  fit = () => {
    const vectors = new MlPCA(input).getEigenvectors();
    return () => ({ components: Array.from({ length: k }, (_, i) => vectors.getColumn(i)).flat() });
  };
} else {
  throw new Error(`unknown method ${JSON.stringify(method)}`);
}
const start = performance.now();
const output = await fit();
const seconds = (performance.now() - start) / 1000;
// Copying the output into JSON's arrays is not the fit's: 3 M float32 components took 0.5 s in Array.from here.
const result = output();
process.stdout.write(JSON.stringify({ seconds, rssMiB: process.resourceUsage().maxRSS / 1024, ...result }));
