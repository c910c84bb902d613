// pca beside the native routes on data like users' data (issue 14), measured side by side in one run: eigengame's
// `pca` with default options and with each route forced, numpy's route (float32 products, float64 `eigh`),
// scikit-learn's `covariance_eigh` and `arpack`, each fit in a fresh process, the methods' runs alternated; ARPACK's
// passes over the data beside the data route's; and a 512 MiB `.npy` through the CLI against numpy's blocked pass.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseSolver, routeCosts, type Solver } from '../src/pca/choose';
import { accuracy, showCos, showDistance, showVarianceError, type Accuracy } from './accuracy';
import {
  nativeVersions, runChild, runJavaScript, runNative, type ChildRun, type FitResult, type NativeVersions,
} from './children';
import { DATASETS, PYTHON, dataPath, prepareDatasets, readAnswer, type Answer, type DatasetName } from './datasets';
import { paragraph, type Say } from './text';

/** In-memory sets with numpy's and scikit-learn's routes beside pca's. */
const IN_MEMORY: DatasetName[] = ['mnist', 'columns', 'powerlaw', 'lowrank', 'wide', 'offset'];
/** Where the routes' estimated costs meet: pca's routes and ARPACK (numpy's route there is an n × n `eigh`). */
const CROSSOVER: DatasetName = 'crossover';
const STREAM: DatasetName = 'stream';
/** Flat tails at k (issue 21): pca beside numpy's route and scikit-learn's arpack and randomized. */
const FLAT: DatasetName[] = ['singlecell', 'embeddings', 'rankfour'];
const REPEATS = 3;
/** scikit-learn's covariance_eigh forms and decomposes a d × d matrix: not run beyond this d (minutes). */
const COVARIANCE_EIGH_MAX_COLS = 8192;
const ROUTES: Solver[] = ['covariance', 'gram', 'data'];
const NUMPY = "numpy's route";
const NUMPY_BLOCKED = "numpy's blocked pass (np.fromfile in blocks of 4096 rows, float32 `B.T @ B` summed in float64, one eigh)";

interface Method {
  label: string;
  /** Why it is not run here, if it is not. */
  skip?: string;
  run(): ChildRun<FitResult> | string;
}

interface Measured {
  label: string;
  /** The median run by time (or why there is none), and the times of all runs. */
  median: ChildRun<FitResult> | string;
  times: number[];
  accuracy?: Accuracy;
}

type Clock = (run: ChildRun<FitResult>) => number;
/** The in-process time: from the data in memory to the model. */
const fitTime: Clock = (run) => run.result.seconds;
/** The process's time from start to exit. */
const wallTime: Clock = (run) => run.wallSeconds;

const medianOf = <T>(values: T[], key: (value: T) => number): T => [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)];

/** Runs every method `repeats` times, method after method in turn, so the machine's drift falls on all alike. */
function measure(methods: Method[], repeats: number, answer: Answer, clock: Clock): Measured[] {
  const runs: (ChildRun<FitResult> | string)[][] = methods.map(() => []);
  for (let r = 0; r < repeats; r++) {
    methods.forEach((method, m) => {
      if (!method.skip) runs[m].push(method.run());
    });
  }
  return methods.map((method, m) => {
    if (method.skip) return { label: method.label, median: method.skip, times: [] };
    const failed = runs[m].find((run): run is string => typeof run === 'string');
    if (failed) return { label: method.label, median: failed, times: [] };
    const done = runs[m] as ChildRun<FitResult>[];
    const median = medianOf(done, clock);
    return { label: method.label, median, times: done.map(clock), accuracy: accuracy(median.result.components, median.result.variances, answer) };
  });
}

const routeLabel = (solver: Solver | 'auto') => (solver === 'auto' ? 'eigengame pca (defaults)' : `eigengame pca, solver '${solver}'`);

/** The routes pca can take on n × d (an operator that does not fit its budget cannot be forced). */
const validRoutes = (n: number, d: number, k: number) => ROUTES.filter((route) => routeCosts(n, d, k)[route] !== Infinity);

function inMemoryMethods(name: DatasetName, sklearn: string | null): Method[] {
  const { rows, cols, k } = DATASETS[name];
  const auto = chooseSolver(rows, cols, k, 'auto');
  const eigengame = (solver: Solver | 'auto'): Method => ({
    label: routeLabel(solver), run: () => runJavaScript<FitResult>(solver === 'auto' ? 'eigengame' : `eigengame:${solver}`, name),
  });
  const native = (method: string, label: string, skip?: string, threads?: number): Method => ({
    label, skip, run: () => runNative<FitResult>(method, dataPath(name), k, threads),
  });
  const notInstalled = sklearn === null ? 'not installed' : undefined;
  const largeEigh = (m: number) => `not run here: a ${m} × ${m} \`eigh\``;
  const crossover = name === CROSSOVER;
  return [
    eigengame('auto'),
    ...validRoutes(rows, cols, k).filter((route) => route !== auto).map(eigengame),
    native('numpy', NUMPY, crossover ? largeEigh(Math.min(rows, cols)) : undefined),
    native('numpy', `${NUMPY}, 1 thread`, crossover ? largeEigh(Math.min(rows, cols)) : undefined, 1),
    native('sklearn-covariance-eigh', "scikit-learn PCA 'covariance_eigh'",
      notInstalled ?? (crossover || cols > COVARIANCE_EIGH_MAX_COLS ? largeEigh(cols) : undefined)),
    native('sklearn-arpack', "scikit-learn PCA 'arpack'", notInstalled),
  ];
}

const seconds = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} s`;
const ratio = (value: number, reference: number | undefined) => (reference === undefined ? '' : `${(value / reference).toFixed(2)}×`);
const count = (value: number | null | undefined) => (value === null || value === undefined ? '' : String(value));
const dataCell = (name: DatasetName) => `${DATASETS[name].label}, k = ${DATASETS[name].k}`;

/** The head of a results table; the stream's has the in-process time beside the process's. */
function sayHead(say: Say, time: string, inProcess: boolean) {
  const extra = inProcess ? ' in-process |' : '';
  say(`| data, k | method | ${time} (lowest–highest) | vs numpy |${extra} passes | rounds | route | subspace distance | min \\|cos\\| | variance error |`);
  say(`|${' --- |'.repeat(inProcess ? 11 : 10)}`);
}

/** One row per method: time and spread, ratio to the reference's time, passes, rounds, route, accuracy. */
function sayRows(say: Say, name: DatasetName, measured: Measured[], reference: string, clock: Clock, inProcess: boolean) {
  const base = measured.find((m) => m.label === reference)?.median;
  const referenceTime = base && typeof base !== 'string' ? clock(base) : undefined;
  for (const { label, median, times, accuracy: found } of measured) {
    if (typeof median === 'string') {
      say(`| ${dataCell(name)} | ${label} | ${median} |${' |'.repeat(inProcess ? 8 : 7)}`);
      continue;
    }
    const { solver, passes, rounds, converged } = median.result;
    const spread = times.length > 1 ? ` (${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)})` : '';
    const route = solver ? `${solver}${converged === false ? ', not converged' : ''}` : '';
    const extra = inProcess ? ` ${seconds(median.result.seconds)} |` : '';
    say(`| ${dataCell(name)} | ${label} | ${seconds(clock(median))}${spread} | ${ratio(clock(median), referenceTime)} |${extra} ${count(passes)} | ${count(rounds)} | ${route} | ${showDistance(found!.distance)} | ${showCos(found!.minCos)} | ${showVarianceError(found!.varianceError)} |`);
  }
}

/** Every route's median time on one set, and the route pca chose by itself. */
interface Crossover {
  name: DatasetName;
  auto: Solver;
  times: Partial<Record<Solver, number>>;
}

function crossoverOf(name: DatasetName, measured: Measured[]): Crossover {
  const { rows, cols, k } = DATASETS[name];
  const auto = chooseSolver(rows, cols, k, 'auto');
  const times: Partial<Record<Solver, number>> = {};
  for (const route of ROUTES) {
    const found = measured.find((m) => m.label === routeLabel(route === auto ? 'auto' : route))?.median;
    if (found && typeof found !== 'string') times[route] = fitTime(found);
  }
  return { name, auto, times };
}

function sayCrossover(say: Say, crossovers: Crossover[]) {
  say('### Which route is fastest: every valid route of pca forced, beside its automatic choice');
  say();
  paragraph(say, `Median times from the table above (the automatic choice's run stands for its route); in brackets the cost
    that pca estimates for the route and chooses by (\`routeCosts\`, src/pca/choose.ts), in 10⁹ floating-point operations
    weighted by each kernel's speed relative to syrk's. A route is not valid where its dense operator would pass the
    1 GiB budget.`);
  say(`| data, k | pca's choice | ${ROUTES.join(' | ')} | fastest | choice's time / fastest |`);
  say(`|${' --- |'.repeat(ROUTES.length + 4)}`);
  for (const { name, auto, times } of crossovers) {
    const measuredRoutes = ROUTES.filter((route) => times[route] !== undefined);
    if (times[auto] === undefined) continue;
    const fastest = measuredRoutes.reduce((best, route) => (times[route]! < times[best]! ? route : best));
    const { rows, cols, k } = DATASETS[name];
    const estimates = routeCosts(rows, cols, k);
    const cells = ROUTES.map((route) => (times[route] === undefined ? 'not valid' : `${seconds(times[route]!)} (${(estimates[route] / 1e9).toFixed(0)})`));
    say(`| ${dataCell(name)} | ${auto} | ${cells.join(' | ')} | ${fastest} | ${(times[auto]! / times[fastest]!).toFixed(2)}× |`);
  }
  say();
}

interface DataRoute {
  name: DatasetName;
  passes: number;
  rounds: number;
  distance: number;
}

/** The data route's run on one set: forced, or pca's own choice. */
function dataRouteOf(name: DatasetName, measured: Measured[]): DataRoute | null {
  for (const { median, accuracy: found } of measured) {
    if (typeof median !== 'string' && median.result.solver === 'data') {
      return { name, passes: median.result.passes!, rounds: median.result.rounds!, distance: found!.distance };
    }
  }
  return null;
}

function sayPasses(say: Say, routes: DataRoute[]) {
  say('### Passes over the data: pca\'s data route against ARPACK (Lanczos, as scikit-learn\'s `arpack`)');
  say();
  paragraph(say, `pca's passes are its reads of all n rows (the statistics pass included), each serving all its players at once;
    ARPACK's are matrix–vector products with the covariance, one vector at a time, each a pass over the rows when the
    operator is the data. ARPACK (SciPy's \`eigsh\` with its default basis of max(2k + 1, 20) vectors and a seeded uniform
    start, as scikit-learn's) runs on the exact covariance (the Gram matrix for d > n) at tolerances 1e-1 … 1e-12 and 0
    (scikit-learn's default), counting products (bench/datasets.py); "to pca's accuracy" is the loosest tolerance whose
    subspace distance is at most pca's.`);
  say('| data, k | pca data route: passes (rounds) | its subspace distance | ARPACK to pca\'s accuracy: products (tol) | pca / ARPACK | ARPACK at tol 0: products, distance |');
  say(`|${' --- |'.repeat(6)}`);
  for (const { name, passes, rounds, distance } of routes) {
    const { lanczos } = readAnswer(name);
    const reached = lanczos.find((rung) => rung.distance !== undefined && rung.distance <= Math.max(distance, 1e-15));
    const exact = lanczos.find((rung) => rung.tol === 0);
    const same = reached ? `${reached.matvecs} (${reached.tol})` : 'not reached';
    const ratioCell = reached ? `${(passes / reached.matvecs!).toFixed(2)}×` : '';
    const exactCell = exact?.matvecs !== undefined ? `${exact.matvecs}, ${showDistance(exact.distance!)}` : (exact?.error ?? '');
    say(`| ${dataCell(name)} | ${passes} (${rounds}) | ${showDistance(distance)} | ${same} | ${ratioCell} | ${exactCell} |`);
  }
  say();
}

interface CliOutput {
  seconds: number;
  solver: string;
  converged: boolean;
}

/** The streamed file through the CLI: the process's wall time, and the model it wrote. */
function runCli(out: string): ChildRun<FitResult> | string {
  const cli = new URL('../dist/cli.js', import.meta.url).pathname;
  if (!existsSync(cli)) return 'dist/cli.js is missing: run npm run build first';
  const run = runChild<CliOutput>(process.execPath, [cli, 'fit', dataPath(STREAM), '-k', String(DATASETS[STREAM].k), '--quiet', '--json', '--out', out]);
  if (typeof run === 'string') return run;
  const model = JSON.parse(readFileSync(out, 'utf8')) as { components: number[]; explainedVariance: number[] };
  return {
    wallSeconds: run.wallSeconds,
    result: {
      seconds: run.result.seconds, solver: run.result.solver, converged: run.result.converged,
      components: model.components, variances: model.explainedVariance,
    },
  };
}

/** pca(new NpySource(file)) as a user's plain Node script runs it, importing the built package. */
function runScript(k: number): ChildRun<FitResult> | string {
  const script = new URL('./npy-run.mjs', import.meta.url).pathname;
  if (!existsSync(new URL('../dist/node.js', import.meta.url))) return 'dist/node.js is missing: run npm run build first';
  return runChild<FitResult>(process.execPath, [script, dataPath(STREAM), String(k)]);
}

function streamSection(say: Say, repeats: number) {
  const { label, k } = DATASETS[STREAM];
  const scratch = mkdtempSync(join(tmpdir(), 'eigengame-bench-cli-'));
  const methods: Method[] = [
    { label: `eigengame CLI: \`eigengame fit <file> -k ${k}\``, run: () => runCli(join(scratch, 'model.json')) },
    { label: NUMPY_BLOCKED, run: () => runNative<FitResult>('numpy-blocked', dataPath(STREAM), k) },
    { label: 'eigengame `pca(new NpySource(file))` in a Node script (bench/npy-run.mjs, `node script.mjs`)', run: () => runScript(k) },
  ];
  // Warm: one untimed run of each, so that every timed run finds the file in the page cache.
  for (const method of methods) method.run();
  const measured = measure(methods, repeats, readAnswer(STREAM), wallTime);
  rmSync(scratch, { recursive: true, force: true });
  say(`### A streamed file: ${label}, k = ${k}`);
  say();
  paragraph(say, `Wall time of the whole process, from its start to its exit (Node's or python's start, module loading and
    reading the file included), the median of ${repeats === 1 ? 'one run' : `${repeats} runs taken in turn`}, after one untimed
    run of each so that every timed run reads the file from the page cache (whether it would fit a browser's page cache is
    left aside). "vs numpy" compares wall times; "in-process" is the fit alone as each process measured it. pca's passes
    and rounds come from the script's run (the CLI does not print them). The CLI turns on relaxed SIMD (fused
    multiply–add) on Node 20, where it is behind a flag; the script runs as \`node script.mjs\` with no flag, so on
    Node 20 its kernels are the plain SIMD build's (on Node ≥ 21 both use the relaxed build). numpy's side is the pass a numpy user writes for a
    file too large to load (bench/native-run.py): \`np.fromfile\` in blocks of 4096 rows, float32 \`B.T @ B\` (OpenBLAS's
    syrk) added into a float64 sum, one \`eigh\`; it neither centres a block at its own mean nor checks that values are
    finite, as pca does.`);
  sayHead(say, 'wall time', true);
  sayRows(say, STREAM, measured, NUMPY_BLOCKED, wallTime, true);
  say();
}

function sayVersions(say: Say, versions: NativeVersions) {
  const sklearn = versions['scikit-learn'] ?? '**NOT INSTALLED** (its rows say so)';
  paragraph(say, `Native side: ${PYTHON}, Python ${versions.python}, numpy ${versions.numpy}, SciPy ${versions.scipy ?? 'not installed'},
    scikit-learn ${sklearn}; BLAS: ${versions.blas.join('; ') || 'unknown (threadpoolctl is not installed)'}.`);
}

function flatMethods(name: DatasetName, sklearn: string | null): Method[] {
  const { rows, cols, k } = DATASETS[name];
  const auto = chooseSolver(rows, cols, k, 'auto');
  const notInstalled = sklearn === null ? 'not installed' : undefined;
  const native = (method: string, label: string, skip?: string): Method => ({
    label, skip, run: () => runNative<FitResult>(method, dataPath(name), k),
  });
  return [
    { label: routeLabel('auto'), run: () => runJavaScript<FitResult>('eigengame', name) },
    ...(auto === 'data' ? [] : [{ label: routeLabel('data'), run: () => runJavaScript<FitResult>('eigengame:data', name) }]),
    native('numpy', NUMPY),
    native('sklearn-arpack', "scikit-learn PCA 'arpack'", notInstalled),
    native('sklearn-randomized', "scikit-learn PCA 'randomized'", notInstalled),
  ];
}

/** The variance a method's k variances add up to, as a share of the exact top k's (its components' variances). */
const captured = (variances: ArrayLike<number> | undefined, answer: Answer) => {
  if (!variances) return '';
  let found = 0;
  let exact = 0;
  for (let i = 0; i < answer.values.length; i++) {
    found += variances[i];
    exact += answer.values[i];
  }
  return `${(100 * (found / exact)).toFixed(4)} %`;
};

function flatSection(say: Say, repeats: number, sklearn: string | null) {
  say('### Flat tails at k: where the k-th eigenvalue has no gap after it');
  say();
  paragraph(say, `Sets whose spectrum is flat where k falls, as real data's is (bench/datasets.py): single-cell-like log1p
    counts, embedding-like vectors with k = 128, and k above the rank of a signal in noise. There no top-k span is unique
    (a subspace distance to the exact top k means little), so pca converges as ARPACK does: every one of its top k Ritz
    pairs with a residual ‖C v − θ v‖ at most tol (1e-6) times θ₁. Times and methods as in the table above; "residual" is
    pca's largest at its end (relative to θ₁); "captured" is the variance its k components explain over the exact top k's;
    the variance error is the largest relative error of the k variances.`);
  say('| data, k | method | time (lowest–highest) | vs numpy | passes | rounds | route | residual | captured | variance error |');
  say(`|${' --- |'.repeat(10)}`);
  const dataRoutes: Array<{ name: DatasetName; passes: number; residual: number | null }> = [];
  for (const name of FLAT) {
    const answer = readAnswer(name);
    const measured = measure(flatMethods(name, sklearn), repeats, answer, fitTime);
    const base = measured.find((m) => m.label === NUMPY)?.median;
    const numpyTime = base && typeof base !== 'string' ? fitTime(base) : undefined;
    for (const { label, median, times, accuracy: found } of measured) {
      if (typeof median === 'string') {
        say(`| ${dataCell(name)} | ${label} | ${median} |${' |'.repeat(7)}`);
        continue;
      }
      const { solver, passes, rounds, converged, residual } = median.result;
      const spread = times.length > 1 ? ` (${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)})` : '';
      const route = solver ? `${solver}${converged === false ? ', not converged' : ''}` : '';
      const residualCell = residual === undefined || residual === null ? '' : residual.toExponential(1);
      say(`| ${dataCell(name)} | ${label} | ${seconds(fitTime(median))}${spread} | ${ratio(fitTime(median), numpyTime)} | ${count(passes)} | ${count(rounds)} | ${route} | ${residualCell} | ${captured(median.result.variances, answer)} | ${showVarianceError(found!.varianceError)} |`);
      if (solver === 'data' && passes) dataRoutes.push({ name, passes, residual: residual ?? null });
    }
  }
  say();
  say('ARPACK (SciPy\'s `eigsh`, as in the passes table above) to the residual pca\'s data route reached:');
  say();
  say('| data, k | pca data route: passes | its residual | ARPACK: products (tol) to that residual |');
  say(`|${' --- |'.repeat(4)}`);
  for (const { name, passes, residual } of dataRoutes) {
    const reached = readAnswer(name).lanczos.find((rung) => rung.residual !== undefined && residual !== null && rung.residual <= residual);
    say(`| ${dataCell(name)} | ${passes} | ${residual === null ? '' : residual.toExponential(1)} | ${reached ? `${reached.matvecs} (${reached.tol})` : 'not reached'} |`);
  }
  say();
}

export async function pcaSection(say: Say, quick: boolean): Promise<void> {
  const repeats = quick ? 1 : REPEATS;
  say('## pca beside numpy and scikit-learn, on data like users\' data');
  say();
  const versions = nativeVersions();
  if (typeof versions === 'string') {
    paragraph(say, `**No native comparison and no datasets: ${PYTHON} with numpy and SciPy did not run (${versions}). Set
      EIGENGAME_BENCH_PYTHON to a python that has them (a venv with scikit-learn, for its rows too).**`);
    return;
  }
  if (versions['scikit-learn'] === null) {
    console.error(`\n*** bench: scikit-learn is not importable from ${PYTHON}: its rows say "not installed". Install it`
      + ' (python3 -m venv --system-site-packages /work/venv-bench && /work/venv-bench/bin/pip install scikit-learn threadpoolctl)'
      + ' and set EIGENGAME_BENCH_PYTHON=/work/venv-bench/bin/python. ***\n');
  }
  prepareDatasets([...IN_MEMORY, CROSSOVER, STREAM, ...FLAT]);
  const runs = repeats === 1 ? 'one run (--quick)' : `${repeats} runs, the methods' runs taken in turn so that the machine's drift falls on all`;
  paragraph(say, `Each fit runs alone in a fresh process, timed from the data in memory (float32; float64 for the offset set,
    read from the same .npy file before the clock, every page of it read once by JavaScript too, which the first
    time cost about 1.3 ms per MiB here) to the model: pca's \`init()\` and numpy's and scikit-learn's imports
    are before the clock, starting pca's device workers (devices: auto, 2 here) is inside it. The time is the median of
    ${runs}; in brackets the lowest and highest. "vs numpy" is the time over numpy's route: centring in the data's dtype,
    XᵀX in float32 (XXᵀ when d > n, then components Xᵀu/‖Xᵀu‖), \`eigh\` in float64, on 2 OpenBLAS threads with
    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from that command's environment. Passes are pca's reads of all n rows,
    rounds its players' rounds (\`model.passes\`, \`model.rounds\`), route \`model.solver\`. Accuracy is against float64
    \`eigh\` of the exact covariance (summed in float64 from the stored values; the Gram matrix for d > n): the normalised
    subspace distance, the smallest |cos| between a component and the exact one of its rank, and the largest relative
    error of the variances; for the offset set, against the data before the 1.7e9 offset. The datasets are made by
    bench/datasets.py. numpy's route also runs on 1 thread: when neighbours load this shared VM's two cores, OpenBLAS's two
    threads wait for each other (an \`eigh\` of MNIST's 784 × 784 covariance took 0.07–0.17 s on 1 thread and 0.16–3.3 s
    on 2 within one minute here), and that row shows how much of numpy's time is this.`);
  sayVersions(say, versions);
  sayHead(say, 'time', false);
  const loadBefore = loadavg()[0];
  const crossovers: Crossover[] = [];
  const dataRoutes: DataRoute[] = [];
  for (const name of [...IN_MEMORY, CROSSOVER]) {
    const measured = measure(inMemoryMethods(name, versions['scikit-learn']), repeats, readAnswer(name), fitTime);
    sayRows(say, name, measured, NUMPY, fitTime, false);
    crossovers.push(crossoverOf(name, measured));
    const dataRoute = dataRouteOf(name, measured);
    if (dataRoute) dataRoutes.push(dataRoute);
  }
  say();
  paragraph(say, `Load average of the machine (1 minute) when the table began: ${loadBefore.toFixed(1)}; when it ended:
    ${loadavg()[0].toFixed(1)} (2 cores, shared with other work).`);
  paragraph(say, `The ${DATASETS[CROSSOVER].label} set is where the routes' estimated costs meet (src/pca/choose.ts): pca's
    routes and ARPACK only (numpy's route and \`covariance_eigh\` there are a 4000 × 4000 or 4096 × 4096 \`eigh\`, which is
    not what this set measures).`);
  sayCrossover(say, crossovers);
  sayPasses(say, dataRoutes);
  flatSection(say, repeats, versions['scikit-learn']);
  streamSection(say, repeats);
}
