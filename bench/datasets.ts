// The benchmark's datasets: generated once, seeded, by bench/datasets.py (numpy) into .npy files in a cache directory
// under os.tmpdir(), each with its exact answer (float64 `eigh` of the exact covariance) and ARPACK's products for a
// ladder of tolerances. Every process of the bench (the parent, eigengame's and the peers' children, the python ones)
// reads the same files before its clock starts.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSparse, type SparseMatrix } from 'eigengame';
import { parseNpyHeader } from '../src/io/npy';
import { mnistNpy } from '../scripts/mnist.mjs';

export interface DatasetSpec {
  label: string;
  rows: number;
  cols: number;
  k: number;
}

/** What bench/datasets.py generates (its SHAPES hold the same shapes). */
export const DATASETS = {
  mnist: { label: 'MNIST-10k, 10000 × 784', rows: 10000, cols: 784, k: 16 },
  columns: { label: '50000 × 500, independent columns, sd 1 + 10/(j+1)', rows: 50000, cols: 500, k: 10 },
  powerlaw: { label: '20000 × 768, embedding-like, λᵢ ∝ 1/i', rows: 20000, cols: 768, k: 64 },
  lowrank: { label: '1,000,000 × 64, rank 8 + noise', rows: 1000000, cols: 64, k: 8 },
  wide: { label: '2000 × 20000 (d ≫ n)', rows: 2000, cols: 20000, k: 10 },
  offset: { label: '200000 × 32 float64, offset 1.7e9', rows: 200000, cols: 32, k: 4 },
  crossover: { label: '4000 × 4096, λᵢ ∝ 1/i', rows: 4000, cols: 4096, k: 32 },
  stream: { label: '524288 × 256 .npy (512 MiB), 6 % gap at k', rows: 524288, cols: 256, k: 8 },
  singlecell: { label: '20000 × 4000 single-cell-like, log1p counts, 25 types (flat tail)', rows: 20000, cols: 4000, k: 50 },
  embeddings: { label: '20000 × 768 embedding-like, λᵢ = 1/(1 + i/8) + 0.05 (flat tail)', rows: 20000, cols: 768, k: 128 },
  rankfour: { label: '20000 × 300, rank 4 + isotropic noise (k above the rank)', rows: 20000, cols: 300, k: 10 },
} satisfies Record<string, DatasetSpec>;
export type DatasetName = keyof typeof DATASETS;

/** Bump when bench/datasets.py changes what it writes: a new directory, generated afresh. */
export const CACHE_DIR = join(tmpdir(), 'eigengame-bench-data-v1');

/** The python that runs numpy, scikit-learn and SciPy for the bench (a venv with scikit-learn, or python3). */
export const PYTHON = process.env.EIGENGAME_BENCH_PYTHON ?? 'python3';

/** numpy's headers are a few hundred bytes. */
const HEADER_BYTES = 4096;

export const dataPath = (name: DatasetName) => join(CACHE_DIR, `${name}.npy`);

/**
 * Makes sure the datasets and their answers are in the cache (the first run generates them: about a minute). Throws
 * with the python's last line when it cannot (no python3, no numpy or SciPy).
 */
export function prepareDatasets(names: (DatasetName | SparseDatasetName)[]): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  if (names.includes('mnist') && !existsSync(dataPath('mnist'))) writeFileSync(dataPath('mnist'), mnistNpy());
  try {
    execFileSync(PYTHON, [new URL('./datasets.py', import.meta.url).pathname, CACHE_DIR, ...names], { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch (error) {
    const text = String((error as { stderr?: Buffer }).stderr ?? error).trim().split('\n');
    throw new Error(`bench: ${PYTHON} could not generate the datasets (numpy and SciPy are needed; set EIGENGAME_BENCH_PYTHON): ${text.at(-1)}`);
  }
}

export interface Matrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

/** Where readNpy's reads of each page go (kept, so that no compiler can drop them). */
let pageSink = 0;

/** A 2-D .npy file (float32 or float64), read straight into a typed array (no second copy in memory). */
export function readNpy(path: string): Matrix {
  const file = openSync(path, 'r');
  try {
    const start = new Uint8Array(HEADER_BYTES);
    const header = parseNpyHeader(path, start.subarray(0, readSync(file, start, 0, HEADER_BYTES, 0)));
    const Values = header.dtype === 'float32' ? Float32Array : Float64Array;
    const data = new Values(header.rows * header.cols);
    const bytes = new Uint8Array(data.buffer);
    for (let done = 0; done < bytes.byteLength;) {
      const read = readSync(file, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), header.dataOffset + done);
      if (read === 0) throw new Error(`bench: ${path} ends after ${header.dataOffset + done} bytes, before its ${header.rows} × ${header.cols} values`);
      done += read;
    }
    // The first read of each page from JavaScript cost about 1.3 ms per MiB here after readSync had filled them
    // (67 ms on the 49 MiB offset set, once; numpy's arrays, filled the same way, show no such cost): one read per
    // page before the clock, so that every method starts from data in memory.
    for (let i = 0; i < data.length; i += 512) pageSink += data[i];
    return { data, rows: header.rows, cols: header.cols };
  } finally {
    closeSync(file);
  }
}

/** ARPACK at one tolerance: matrix–vector products and the subspace distance reached (or why it stopped). */
export interface LanczosRung {
  tol: number;
  matvecs?: number;
  distance?: number;
  /** The largest residual ‖C v − θ v‖ of its Ritz pairs relative to θ₁ (sets made since the flat ones were added). */
  residual?: number;
  error?: string;
}

export interface Answer {
  /** The exact top-k eigenvectors, k × d rows. */
  vectors: Float64Array;
  /** Their variances (denominator n − 1). */
  values: Float64Array;
  lanczos: LanczosRung[];
}

export function readAnswer(name: DatasetName): Answer {
  const base = join(CACHE_DIR, name);
  return {
    vectors: readNpy(`${base}.vectors.npy`).data as Float64Array,
    values: readNpy(`${base}.values.npy`).data as Float64Array,
    lanczos: JSON.parse(readFileSync(`${base}.lanczos.json`, 'utf8')) as LanczosRung[],
  };
}

export interface SparseDatasetSpec extends DatasetSpec {
  /** pca's `center`: PCA with implicit centring (single-cell), or the truncated SVD (text). */
  center: boolean;
}

/** The sparse sets of bench/datasets.py (its SPARSE holds the same shapes): scipy .npz files, csr. */
export const SPARSE_DATASETS = {
  tfidf: { label: '20000 × 60000 TF-IDF-like (80 Zipf topics, L2 rows), 1.9 M non-zeros, not centred', rows: 20000, cols: 60000, k: 50, center: false },
  cells: { label: '20000 × 4000 single-cell-like (log1p counts per 10⁴, 4000 of 12000 genes), 2.2 M non-zeros, centred', rows: 20000, cols: 4000, k: 50, center: true },
} satisfies Record<string, SparseDatasetSpec>;
export type SparseDatasetName = keyof typeof SPARSE_DATASETS;

export const sparsePath = (name: SparseDatasetName) => join(CACHE_DIR, `${name}.npz`);

/** The exact answer of a sparse set (bench/datasets.py's sparse_answer). */
export interface SparseAnswer {
  /** The top-k eigenvectors of the operator fitted (the covariance, or XᵀX without centring), k × d rows. */
  vectors: Float64Array;
  /** Its top k + 10 eigenvalues (XᵀX's: the squared singular values). */
  values: Float64Array;
  /** How they were found, and their largest residual ‖A v − θ v‖ / θ₁. */
  reference: { method: string; residual: number; nnz: number };
}

export function readSparseAnswer(name: SparseDatasetName): SparseAnswer {
  const base = join(CACHE_DIR, name);
  return {
    vectors: readNpy(`${base}.vectors.npy`).data as Float64Array,
    values: readNpy(`${base}.values.npy`).data as Float64Array,
    reference: JSON.parse(readFileSync(`${base}.reference.json`, 'utf8')) as SparseAnswer['reference'],
  };
}

/** A sparse set as the fits take it (csr, indices Int32Array, data in the file's dtype), read by the package's reader. */
export async function readSparseSet(name: SparseDatasetName): Promise<SparseMatrix> {
  const matrix = await readSparse(sparsePath(name));
  const { rows, cols } = SPARSE_DATASETS[name];
  if (matrix.rows !== rows || matrix.cols !== cols) throw new Error(`bench: ${sparsePath(name)} is ${matrix.rows} × ${matrix.cols}, expected ${rows} × ${cols}`);
  return matrix;
}
