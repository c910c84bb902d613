// The benchmark's datasets, built the same way in the parent and in each peer's child process: MNIST-10k (with
// numpy's float64 answer, a fixture) and planted spectra, whose exact eigenvectors come with the data.
import { readFileSync } from 'node:fs';
import { gappedSpectrum, plantedData } from '../scripts/planted.mjs';
import { mnistDigits } from '../scripts/mnist.mjs';

export interface Dataset {
  name: string;
  k: number;
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float32Array | Float64Array;
  /** The exact top-k eigenvectors (k × d rows, float64). */
  truth: Float64Array;
}

export const DATASETS = ['mnist', 'planted-50000x500', 'planted-20000x4096'] as const;
export type DatasetName = (typeof DATASETS)[number];

export function dataset(name: DatasetName): Dataset {
  if (name === 'mnist') {
    const digits = mnistDigits();
    const reference = JSON.parse(readFileSync(new URL('../test/fixtures/mnist-10k-top16.json', import.meta.url), 'utf8'));
    return { name: 'MNIST-10k, 10000 × 784, k = 16', k: 16, ...digits, truth: Float64Array.from(reference.eigenvectors.flat()) };
  }
  const [n, d, k] = name === 'planted-50000x500' ? [50000, 500, 10] : [20000, 4096, 32];
  const planted = plantedData({ n, d, spectrum: gappedSpectrum(d, k, 0.05, 0.5), seed: 17 });
  return { name: `planted ${n} × ${d}, k = ${k}`, k, rows: n, cols: d, data: planted.data, truth: planted.eigenvectors.subarray(0, k * d) };
}
