// The bench's generalized part (--only=generalized): cca, pls and lda beside numpy/scipy's route on the same data
// (float64 covariance, then scipy.linalg.eigh(A, B) for the top k, or numpy's SVD for PLS; bench/numpy-generalized.py,
// two threads, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only), with the accuracy of each fit
// against scipy's answer. eigengame's times are medians of 3 fits in this process (devices: 'auto', warm workers).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cca, lda, pls } from '../src/entries/node';
import { nativeEnv } from './children';
import { PYTHON } from './datasets';
import { npyBytes } from '../test/helpers/npy';
import { rowCosine } from '../test/helpers/pencil-reference';
import { plantedClasses, plantedViews } from '../test/helpers/planted-pencils';

interface Case {
  method: 'cca' | 'pls' | 'lda';
  n: number;
  /** CCA, PLS: dx = dy = d / 2; LDA: d. */
  d: number;
  k: number;
  classes?: number;
}

const CASES: Case[] = [
  { method: 'cca', n: 20000, d: 500, k: 5 },
  { method: 'cca', n: 20000, d: 1000, k: 5 },
  { method: 'cca', n: 50000, d: 2000, k: 5 },
  { method: 'pls', n: 20000, d: 500, k: 5 },
  { method: 'pls', n: 20000, d: 1000, k: 5 },
  { method: 'pls', n: 50000, d: 2000, k: 5 },
  { method: 'lda', n: 20000, d: 500, k: 9, classes: 10 },
  { method: 'lda', n: 20000, d: 1000, k: 9, classes: 10 },
  { method: 'lda', n: 50000, d: 2000, k: 19, classes: 20 },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Fitted {
  values: Float64Array;
  /** The first view's directions (CCA, PLS: X's weights; LDA: the scalings), k rows of `width`. */
  vectors: Float64Array;
  width: number;
  rounds: number | null;
}

interface NumpyResult {
  seconds: number;
  values: number[];
  vectors: number[][];
}

/** numpy/scipy's answers and times for the cases' files, or why there are none. */
function numpyRoute(lines: string[]): NumpyResult[] | string {
  try {
    const output = execFileSync(PYTHON, [new URL('./numpy-generalized.py', import.meta.url).pathname, '2', ...lines], {
      encoding: 'utf8', env: nativeEnv(2), maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'],
    });
    return output.trim().split('\n').map((line) => JSON.parse(line) as NumpyResult);
  } catch (error) {
    return `no numpy/scipy comparison: ${String((error as { stderr?: string }).stderr || error).trim().split('\n').at(-1)}`;
  }
}

export async function generalizedSection(say: (line?: string) => void, quick: boolean): Promise<void> {
  const cases = quick ? CASES.filter((c) => c.d <= 1000) : CASES;
  const directory = mkdtempSync(join(tmpdir(), 'eigengame-bench-generalized-'));
  try {
    const fits: { label: string; seconds: number; fitted: Fitted }[] = [];
    const lines: string[] = [];
    for (const [i, c] of cases.entries()) {
      const path = join(directory, `case-${i}.npy`);
      if (c.method === 'lda') {
        const data = plantedClasses({ n: c.n, d: c.d, classes: c.classes!, separation: 0.3, seed: 40 + i });
        writeFileSync(path, npyBytes(data.x, c.n, c.d, 'float64'));
        writeFileSync(join(directory, `labels-${i}.npy`), npyBytes(data.labels, c.n, 1, 'float64'));
        lines.push(`lda,${path},${c.k},${join(directory, `labels-${i}.npy`)}`);
        fits.push(await timeFits(`lda, ${c.n} × ${c.d}, ${c.classes} classes, k = ${c.k}`, async () => {
          const model = await lda(data.X, data.labels, { k: c.k });
          return { values: model.eigenvalues, vectors: model.scalings, width: c.d, rounds: model.rounds };
        }));
        continue;
      }
      const half = c.d / 2;
      const views = plantedViews({ n: c.n, dx: half, dy: half, correlations: [0.95, 0.9, 0.85, 0.8, 0.75], seed: 30 + i });
      const joined = new Float64Array(c.n * c.d);
      for (let r = 0; r < c.n; r++) {
        joined.set(views.x.subarray(r * half, (r + 1) * half), r * c.d);
        joined.set(views.y.subarray(r * half, (r + 1) * half), r * c.d + half);
      }
      writeFileSync(path, npyBytes(joined, c.n, c.d, 'float64'));
      lines.push(`${c.method},${path},${c.k},${half}`);
      fits.push(await timeFits(`${c.method}, ${c.n} × (${half} + ${half}), k = ${c.k}`, async () => {
        const model = c.method === 'cca' ? await cca(views.X, views.Y, { k: c.k }) : await pls(views.X, views.Y, { k: c.k });
        const values = 'correlations' in model ? model.correlations : model.singularValues;
        return { values, vectors: model.xWeights, width: half, rounds: model.rounds };
      }));
    }
    const numpy = numpyRoute(lines);
    say('## CCA, PLS and LDA beside numpy/scipy');
    say();
    say('Planted data (known canonical correlations 0.95 … 0.75; classes with normal means), in memory. numpy/scipy:');
    say('the float64 covariance, then `scipy.linalg.eigh(A, B, subset_by_index=…)` for the top k (PLS: numpy\'s SVD of');
    say('the cross-covariance), two threads, median of 3. eigengame: `devices: \'auto\'`, warm workers, median of 3 fits;');
    say('accuracy against scipy\'s answer (values: largest relative difference; directions: smallest |cos| of the first');
    say('view\'s weights or the scalings).');
    say();
    if (typeof numpy === 'string') say(numpy);
    say('| data | eigengame | rounds | numpy/scipy | ratio | values vs scipy | min \\|cos\\| |');
    say('| --- | --- | --- | --- | --- | --- | --- |');
    fits.forEach(({ label, seconds, fitted }, i) => {
      const reference = typeof numpy === 'string' ? null : numpy[i];
      const columns = reference ? accuracy(fitted, reference) : { ratio: '', values: '', cosine: '' };
      const theirs = reference ? `${reference.seconds.toFixed(2)} s` : '';
      const ratio = reference ? `${(seconds / reference.seconds).toFixed(1)}×` : '';
      say(`| ${label} | ${seconds.toFixed(2)} s | ${fitted.rounds} | ${theirs} | ${ratio} | ${columns.values} | ${columns.cosine} |`);
    });
    say();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function timeFits(label: string, fit: () => Promise<Fitted>): Promise<{ label: string; seconds: number; fitted: Fitted }> {
  const times: number[] = [];
  let fitted: Fitted | null = null;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    fitted = await fit();
    times.push((performance.now() - start) / 1000);
  }
  return { label, seconds: median(times), fitted: fitted! };
}

function accuracy(fitted: Fitted, reference: NumpyResult): { ratio: string; values: string; cosine: string } {
  const k = fitted.values.length;
  let worst = 0;
  let cosine = 1;
  const expected = Float64Array.from(reference.vectors.flatMap((row) => row.slice(0, fitted.width)));
  for (let i = 0; i < k; i++) {
    worst = Math.max(worst, Math.abs(fitted.values[i] / reference.values[i] - 1));
    cosine = Math.min(cosine, rowCosine(fitted.vectors, expected, i, fitted.width));
  }
  return { ratio: '', values: worst.toExponential(1), cosine: cosine.toFixed(6) };
}
