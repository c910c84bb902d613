// The bench's child processes: every fit runs in a fresh process (its time, memory and threads are its own), and
// prints one line of JSON. numpy's and scikit-learn's processes get the environment that makes OpenBLAS fast here.
import { execFileSync } from 'node:child_process';
import { PYTHON } from './datasets';

/** Generous: ml-pca takes minutes on 50000 × 500; a child past this is reported, not waited for. */
const TIMEOUT_SECONDS = 900;

/** What every fit's child prints: its time from the data in memory (or the file) to the model, and the model. */
export interface FitResult {
  seconds: number;
  /** The child's peak resident memory (JavaScript children only). */
  rssMiB?: number;
  /** k × d, row-major. */
  components: number[];
  variances?: number[];
  /** eigengame only: the route, reads of the rows, rounds of the players, and whether it reached its tol. */
  solver?: string | null;
  passes?: number | null;
  rounds?: number | null;
  converged?: boolean;
  /** eigengame only: the largest residual of its top k pairs relative to the largest variance (its last progress event). */
  residual?: number | null;
  /** Sparse fits: the singular values of X (centred or not), where the method gives them. */
  singularValues?: number[];
  /** scikit-learn's centred sparse arpack (bench/native-run.py): its operator's products Xv and Xᵀu. */
  products?: number;
}

export interface ChildRun<T> {
  result: T;
  /** From start to exit of the process, as the parent saw it. */
  wallSeconds: number;
}

/** Runs a child to its end; its JSON (the last line of stdout), or why there is none. */
export function runChild<T>(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildRun<T> | string {
  const start = performance.now();
  try {
    const output = execFileSync(command, args, {
      encoding: 'utf8', env, timeout: TIMEOUT_SECONDS * 1000, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const wallSeconds = (performance.now() - start) / 1000;
    return { result: JSON.parse(output.trim().split('\n').at(-1)!) as T, wallSeconds };
  } catch (error) {
    if ((error as { signal?: string }).signal) return `did not finish in ${TIMEOUT_SECONDS} s`;
    const text = String((error as { stderr?: string }).stderr || error);
    // The thrown error's own line ("RangeError: …"), before any line of source that merely mentions an Error.
    const lines = text.split('\n');
    return `failed: ${(lines.find((line) => /^\s*\w*Error: /.test(line)) ?? lines.find((line) => /Error/.test(line)) ?? text.slice(0, 200)).trim()}`;
  }
}

/** A JavaScript fit: tsx bench/peer-run.ts <method> <dataset>. */
export const runJavaScript = <T>(method: string, dataset: string) =>
  runChild<T>(process.execPath, ['--import', 'tsx', new URL('./peer-run.ts', import.meta.url).pathname, method, dataset]);

/**
 * The environment of numpy and scikit-learn: `threads` BLAS threads (default 2, the machine's cores, as eigengame's
 * devices), and without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this machine sets and which slow a current
 * OpenBLAS down (they pin an older kernel): only for these commands.
 */
export function nativeEnv(threads = 2): NodeJS.ProcessEnv {
  const count = String(threads);
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: count, OMP_NUM_THREADS: count, MKL_NUM_THREADS: count };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** A native fit: python bench/native-run.py <method> <file> <k>, on `threads` BLAS threads. */
export const runNative = <T>(method: string, file: string, k: number, threads = 2) =>
  runChild<T>(PYTHON, [new URL('./native-run.py', import.meta.url).pathname, method, file, String(k)], nativeEnv(threads));

/** What the python runs on: versions (scikit-learn null when it is not installed) and its BLAS libraries. */
export interface NativeVersions {
  python: string;
  numpy: string;
  scipy: string | null;
  'scikit-learn': string | null;
  blas: string[];
}

/** The python's versions and BLAS (threadpoolctl, where installed), or why it cannot run numpy. */
export function nativeVersions(): NativeVersions | string {
  const script = `
import json, sys, numpy
info = {"python": sys.version.split()[0], "numpy": numpy.__version__, "scipy": None, "scikit-learn": None, "blas": []}
try:
    import scipy; info["scipy"] = scipy.__version__
    import sklearn; info["scikit-learn"] = sklearn.__version__
    from threadpoolctl import threadpool_info
    info["blas"] = [f"{p['internal_api']} {p['version']} ({p['architecture']}, {p['num_threads']} threads) in {p['prefix']}" for p in threadpool_info() if p["user_api"] == "blas"]
except ImportError:
    pass
print(json.dumps(info))`;
  const run = runChild<NativeVersions>(PYTHON, ['-c', script], nativeEnv());
  return typeof run === 'string' ? run : run.result;
}
