// pca on sparse data beside scikit-learn (issue 22), measured side by side in one run: a TF-IDF-like matrix reduced
// without centring (pca `center: false` against TruncatedSVD's arpack and randomized) and single-cell-like log1p counts
// with implicit centring (pca against scikit-learn ≥ 1.4's PCA(svd_solver='arpack') on sparse input, written out in
// bench/native-run.py since the installed scikit-learn may predate it). Each fit runs alone in a fresh process; the
// accuracy of every method is measured here, in float64, against the sets' exact answers (bench/datasets.py).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readSparseMatrix, type SparseMatrix } from '../src/io/sparse';
import { sparseCosts, type SparseSolver } from '../src/pca/choose';
import { chooseSparseSolver } from '../src/pca/sparse';
import { nativeVersions, runJavaScript, runNative, type ChildRun, type FitResult } from './children';
import {
  PYTHON, SPARSE_DATASETS, prepareDatasets, readSparseAnswer, readSparseSet, sparsePath, type SparseAnswer, type SparseDatasetName,
} from './datasets';
import { paragraph, type Say } from './text';

const SETS: SparseDatasetName[] = ['tfidf', 'cells'];
const REPEATS = 5;
/**
 * A component counts as separated when its exact eigenvalue is at least this share of θ₁ away from both neighbours'
 * (past k, the reference's extra values). A method whose residuals are at most 1e-6·θ₁ (pca's default tol) is then
 * held by Davis–Kahan to sin ∠ ≤ 1e-3, |cos| ≥ 1 − 5e-7; the others lie in flat stretches, judged by the variance
 * their span captures.
 */
const SEPARATION = 1e-3;
const EIGENGAME = 'eigengame pca (defaults)';
const EIGENGAME_COLD = 'eigengame pca (defaults), device workers started inside the clock';
const ARPACK_TRUNCATED = "scikit-learn TruncatedSVD(algorithm='arpack')";
const RANDOMIZED_TRUNCATED = "scikit-learn TruncatedSVD() (randomized, its default)";
const ARPACK_CENTRED = "scikit-learn ≥ 1.4 PCA(svd_solver='arpack') on sparse X: svds on an implicitly centred LinearOperator";

interface Method {
  label: string;
  run(): ChildRun<FitResult> | string;
}

interface Measured {
  label: string;
  median: ChildRun<FitResult> | string;
  times: number[];
}

/** pca's sparse routes that can run on `matrix` (the covariance route needs its d × d operator to fit), its choice first. */
function routesOf(matrix: SparseMatrix, k: number): SparseSolver[] {
  const reader = readSparseMatrix(matrix, 'X');
  const costs = sparseCosts(reader, k);
  const auto = chooseSparseSolver(reader, k, 'auto');
  return [auto, ...(Object.keys(costs) as SparseSolver[]).filter((route) => route !== auto && costs[route] !== Infinity)];
}

function methodsOf(name: SparseDatasetName, routes: SparseSolver[]): Method[] {
  const { k, center } = SPARSE_DATASETS[name];
  const native = (method: string, label: string): Method => ({ label, run: () => runNative<FitResult>(method, sparsePath(name), k) });
  return [
    { label: EIGENGAME, run: () => runJavaScript<FitResult>('eigengame-sparse', name) },
    { label: EIGENGAME_COLD, run: () => runJavaScript<FitResult>('eigengame-sparse-cold', name) },
    ...routes.slice(1).map((route) => ({ label: `eigengame pca, solver '${route}'`, run: () => runJavaScript<FitResult>(`eigengame-sparse:${route}`, name) })),
    ...(center
      ? [native('sparse-pca-arpack', ARPACK_CENTRED)]
      : [native('truncated-svd-arpack', ARPACK_TRUNCATED), native('truncated-svd-randomized', RANDOMIZED_TRUNCATED)]),
  ];
}

/**
 * Every method `repeats` times, method after method in turn, each turn starting one method further on: the machine's
 * drift, and what the process before left it (memory to map again), fall on all alike.
 */
function measure(methods: Method[], repeats: number): Measured[] {
  const runs: (ChildRun<FitResult> | string)[][] = methods.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < methods.length; i++) {
      const m = (r + i) % methods.length;
      runs[m].push(methods[m].run());
    }
  }
  return methods.map((method, m) => {
    const failed = runs[m].find((run): run is string => typeof run === 'string');
    if (failed) return { label: method.label, median: failed, times: [] };
    const done = (runs[m] as ChildRun<FitResult>[]).sort((a, b) => a.result.seconds - b.result.seconds);
    return { label: method.label, median: done[Math.floor(done.length / 2)], times: done.map((run) => run.result.seconds) };
  });
}


/** The operator a fit decomposes, applied in float64: the covariance of the rows (centred) or XᵀX (not centred). */
function operatorOf(X: SparseMatrix, center: boolean) {
  if (X.format !== 'csr') throw new Error(`bench: the sparse sets are stored as csr, got ${X.format}`);
  const { rows, cols, indptr, indices, data } = X;
  const mean = new Float64Array(cols);
  if (center) {
    for (let e = 0; e < indptr[rows]; e++) mean[indices[e]] += data[e];
    for (let c = 0; c < cols; c++) mean[c] /= rows;
  }
  const projected = new Float64Array(rows);
  return (v: Float64Array): Float64Array => {
    let meanDot = 0;
    for (let c = 0; c < cols; c++) meanDot += mean[c] * v[c];
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let e = indptr[r]; e < indptr[r + 1]; e++) sum += data[e] * v[indices[e]];
      projected[r] = sum - meanDot;
    }
    // Xᵀ(Xv − 1 μᵀv) − μ 1ᵀ(Xv − 1 μᵀv), the second term zero up to rounding but kept exact.
    const out = new Float64Array(cols);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      total += projected[r];
      for (let e = indptr[r]; e < indptr[r + 1]; e++) out[indices[e]] += data[e] * projected[r];
    }
    const scale = center ? 1 / (rows - 1) : 1;
    for (let c = 0; c < cols; c++) out[c] = (out[c] - mean[c] * total) * scale;
    return out;
  };
}

interface SparseAccuracy {
  /** The largest ‖A v − θ v‖ / θ₁(exact) over the k components as given (each normalised). */
  residual: number;
  /** The variance the span of the k components captures (tr QᵀAQ, Q orthonormal) over the exact top k's. */
  captured: number;
  /** The smallest |cos| to the exact vector over the separated components, and how many there are. */
  minCos: number;
  separated: number;
  /** The largest relative error of the k reported values (singular values without centring, variances with). */
  valueError: number | null;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

/** Which of the top k exact values are separated from both neighbours by SEPARATION·θ₁. */
function separatedOf(values: Float64Array, k: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < k; i++) {
    const below = i + 1 < values.length ? values[i] - values[i + 1] : Infinity;
    const above = i > 0 ? values[i - 1] - values[i] : Infinity;
    if (Math.min(below, above) >= SEPARATION * values[0]) found.push(i);
  }
  return found;
}

function accuracyOf(result: FitResult, apply: (v: Float64Array) => Float64Array, answer: SparseAnswer, k: number, d: number, center: boolean, rows: number): SparseAccuracy {
  const vectors = Array.from({ length: k }, (_, i) => {
    const v = Float64Array.from(result.components.slice(i * d, (i + 1) * d));
    const norm = Math.sqrt(dot(v, v));
    return v.map((x) => x / norm);
  });
  const exactTop = answer.values.slice(0, k).reduce((a, b) => a + b, 0);
  let residual = 0;
  for (const v of vectors) {
    const av = apply(v);
    const theta = dot(v, av);
    let square = 0;
    for (let c = 0; c < d; c++) square += (av[c] - theta * v[c]) ** 2;
    residual = Math.max(residual, Math.sqrt(square) / answer.values[0]);
  }
  // Gram–Schmidt twice in float64: the span's captured variance, whatever the components' own orthogonality.
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const q = Float64Array.from(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const along = dot(q, b);
        for (let c = 0; c < d; c++) q[c] -= along * b[c];
      }
    }
    const norm = Math.sqrt(dot(q, q));
    basis.push(q.map((x) => x / norm));
  }
  const captured = basis.reduce((sum, q) => sum + dot(q, apply(q)), 0) / exactTop;
  const separated = separatedOf(answer.values, k);
  let minCos = 1;
  for (const i of separated) minCos = Math.min(minCos, Math.abs(dot(vectors[i], answer.vectors.subarray(i * d, (i + 1) * d))));
  let valueError: number | null = null;
  const singular = result.singularValues;
  const reported = center ? result.variances : singular ?? result.variances?.map((variance) => Math.sqrt(variance * (rows - 1)));
  if (reported) {
    valueError = 0;
    for (let i = 0; i < k; i++) {
      const exact = center ? answer.values[i] : Math.sqrt(answer.values[i]);
      valueError = Math.max(valueError, Math.abs(reported[i] - exact) / exact);
    }
  }
  return { residual, captured, minCos, separated: separated.length, valueError };
}

/** The commit measured, and whether the work tree differed from it. */
function commitOf(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `commit ${commit}${changed ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'commit unknown (not a git work tree)';
  }
}

const seconds = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} s`;
const exponent = (value: number) => (value < 1e-15 ? '< 1e-15' : value.toExponential(1));

/** What the sparse table measures and how: the sets, the methods, the clock, the columns. */
export function sayMethods(say: Say, runs: string): void {
  paragraph(say, `Sets made by bench/datasets.py, stored as scipy \`save_npz\` files (csr): a TF-IDF-like matrix (a topic
    model over a Zipf vocabulary, scikit-learn's TfidfTransformer, L2-normalised rows, float64) fitted without centring
    (\`pca(X, { center: false })\` against scikit-learn's TruncatedSVD), and single-cell-like log1p counts per 10,000 of the
    4000 most variable of 12000 genes (gamma–Poisson, 25 cell types, float32) fitted with centring. scikit-learn 1.2
    refuses sparse input to PCA, so the centred native method is what scikit-learn ≥ 1.4's \`PCA(svd_solver='arpack')\` does
    with it (and scanpy's \`pp.pca\` on sparse data), written out in bench/native-run.py: its column means
    (\`mean_variance_axis\`), then SciPy's \`svds\` (ARPACK, tol 0, its seeded uniform start) on a LinearOperator that centres
    implicitly (Xv − 1(μᵀv), Xᵀu − μ(1ᵀu)), in the data's dtype (float32 here: ARPACK in single precision, as
    scikit-learn runs it). For both arpack methods "passes" are their operator's products Xv and Xᵀu (TruncatedSVD's
    counted by a second, untimed \`svds\` from its start vector). pca runs with its own choice of route
    and, as a row of its own, with each other route that can run on the set forced (\`solver\`); its passes are its reads
    of all rows, its rounds its players' (\`model.passes\`, \`model.rounds\`). Each fit runs alone in a fresh process,
    timed from the csr arrays in memory to the model (pca's \`init()\` and \`startDevices()\`, which starts its two device
    workers as scikit-learn's BLAS threads start at its import, and scikit-learn's imports before the clock; one row
    of pca starts its workers inside the clock, as a first fit does without \`startDevices()\`; the results are copied
    out for this report after the clock on both sides, \`tolist()\` and \`Array.from\`), the median of ${runs}; in brackets the lowest and highest; "vs arpack" is the time over scikit-learn's arpack on the same
    set. Accuracy is measured here in float64 on the stored values against the exact answer (how it was found is said below the table):
    "residual" is the largest ‖A v − θ v‖ over the k components relative to θ₁ (A the covariance, or XᵀX without
    centring); "captured" is the variance the span of the k components captures over the exact top k's; "|cos| separated"
    is the smallest |cos| to the exact vector over the components whose exact eigenvalue lies at least ${SEPARATION}·θ₁ from
    both neighbours (how many in brackets; the others lie in flat stretches, where only the span means something); "value
    error" is the largest relative error of the k singular values (not centred; pca's from \`singularValues\`, or from its
    variances when it has none) or variances (centred).`);
}

export async function sparseSection(say: Say, quick: boolean): Promise<void> {
  const repeats = quick ? 1 : REPEATS;
  say('## Sparse: pca on TF-IDF-like and single-cell-like data beside scikit-learn');
  say();
  const versions = nativeVersions();
  if (typeof versions === 'string' || versions['scikit-learn'] === null) {
    paragraph(say, `**No sparse comparison: ${PYTHON} with numpy, SciPy and scikit-learn did not run (${typeof versions === 'string' ? versions : 'no scikit-learn'}).
      Set EIGENGAME_BENCH_PYTHON to a python that has them.**`);
    return;
  }
  prepareDatasets(SETS);
  const runs = repeats === 1 ? 'one run (--quick)' : `${repeats} runs, the methods' runs taken in turn, each turn starting one method further on`;
  sayMethods(say, runs);
  paragraph(say, `This run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${commitOf()}. Native side: ${PYTHON},
    Python ${versions.python}, numpy ${versions.numpy}, SciPy ${versions.scipy}, scikit-learn ${versions['scikit-learn']};
    BLAS: ${versions.blas.join('; ') || 'unknown'}; 2 threads.`);
  const loadBefore = loadavg()[0];
  say('| data, k | method | time (lowest–highest) | vs arpack | passes | rounds | route | residual | captured | \\|cos\\| separated | value error |');
  say(`|${' --- |'.repeat(11)}`);
  const references: string[] = [];
  for (const name of SETS) {
    const { k, cols, rows, center, label } = SPARSE_DATASETS[name];
    const answer = readSparseAnswer(name);
    references.push(`${label}: ${answer.reference.method}, largest residual ${exponent(answer.reference.residual)}`);
    const matrix = await readSparseSet(name);
    const measured = measure(methodsOf(name, routesOf(matrix, k)), repeats);
    const apply = operatorOf(matrix, center);
    const arpackLabel = center ? ARPACK_CENTRED : ARPACK_TRUNCATED;
    const arpack = measured.find((m) => m.label === arpackLabel)?.median;
    const arpackTime = arpack && typeof arpack !== 'string' ? arpack.result.seconds : undefined;
    for (const { label: method, median, times } of measured) {
      const data = `${label}, k = ${k}`;
      if (typeof median === 'string') {
        say(`| ${data} | ${method} | ${median} |${' |'.repeat(8)}`);
        continue;
      }
      const { result } = median;
      const found = accuracyOf(result, apply, answer, k, cols, center, rows);
      const spread = times.length > 1 ? ` (${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)})` : '';
      const versus = arpackTime === undefined ? '' : `${(result.seconds / arpackTime).toFixed(2)}×`;
      const passes = result.passes ?? result.products ?? '';
      const route = result.solver ? `${result.solver}${result.converged === false ? ', not converged' : ''}` : '';
      say(`| ${data} | ${method} | ${seconds(result.seconds)}${spread} | ${versus} | ${passes} | ${result.rounds ?? ''} | ${route} | ${exponent(found.residual)} | ${(100 * found.captured).toFixed(4)} % | ${found.minCos.toFixed(6)} (${found.separated}) | ${found.valueError === null ? '' : exponent(found.valueError)} |`);
    }
  }
  say();
  paragraph(say, `Exact answers: ${references.join('; ')}. Load average of the machine (1 minute) when the table began:
    ${loadBefore.toFixed(1)}; when it ended: ${loadavg()[0].toFixed(1)} (2 cores, shared with other work).`);
}
