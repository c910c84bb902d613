// The eigengame command on sparse files (scipy's .npz, Matrix Market .mtx and .mtx.gz; the fixtures scipy wrote in
// test/fixtures/sparse): info tells their shape, stored entries, density and layout; --transpose reads genes × cells
// as cells × genes and is refused for dense files; the reading options of dense files are refused for sparse ones.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npzEntries, readDenseTruth, sparseFixture, zipBytes } from '../helpers/sparse-files';

/** numpy's float64 answers for genes-by-cells.mtx.gz read transposed (scripts/sparse-fixtures.py). */
const answers = JSON.parse(readFileSync(sparseFixture('answers.json'), 'utf8')) as {
  rows: number; cols: number; k: number; mean: number[];
  pca: { explainedVariance: number[]; components: number[][] };
  svd: { singularValues: number[]; components: number[][] };
};

/** |cos| of each model component with numpy's (unit rows both). */
function absCosines(components: number[], d: number, truth: number[][]): number[] {
  return truth.map((row, i) => Math.abs(row.reduce((sum, value, c) => sum + value * components[i * d + c], 0)));
}

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'eigengame-cli-sparse-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
for (const name of ['csr.npz', 'csc-stored.npz', 'coo.npz', 'cells.npz', 'genes-by-cells-csc.npz', 'genes-by-cells.mtx.gz', 'cells-sorted.mtx.gz', 'real.mtx']) copyFileSync(sparseFixture(name), join(directory, name));
copyFileSync(sparseFixture('real.mtx'), join(directory, 'real-mtx.txt'));
writeFileSync(join(directory, 'dense.npy'), new Uint8Array(0));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: directory, encoding: 'utf8', timeout: 600_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('eigengame info on sparse files', () => {
  it('an .npz file: its layout, dtype, shape, stored entries and density', () => {
    const result = run(['info', 'csr.npz', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      file: 'csr.npz', format: 'npz', layout: 'csr', dtype: 'float64', rows: 9, cols: 7, nonZeros: 23, density: 23 / 63, transposed: false,
    });
    expect(run(['info', 'csc-stored.npz']).stdout).toMatch(/^csc-stored\.npz: npz \(csc\), float32, 8 rows × 11 columns, 26 stored entries, density 29\.5 %, \d+ bytes\n$/);
  });

  it('a genes × cells .mtx.gz, as it is and with --transpose', () => {
    const plain = JSON.parse(run(['info', 'genes-by-cells.mtx.gz', '--json']).stdout);
    expect(plain).toMatchObject({ format: 'mtx', layout: 'csr', dtype: 'float32', rows: 30, cols: 60, transposed: false });
    const cells = JSON.parse(run(['info', 'genes-by-cells.mtx.gz', '--json', '--transpose']).stdout);
    expect(cells).toMatchObject({ rows: 60, cols: 30, nonZeros: plain.nonZeros, transposed: true });
    expect(run(['info', 'genes-by-cells.mtx.gz', '--transpose']).stdout).toMatch(/^genes-by-cells\.mtx\.gz: mtx \(csr\), float32, 60 rows × 30 columns \(transposed\), \d+ stored entries/);
  });

  it('--format mtx reads a Matrix Market file whatever its name', () => {
    expect(JSON.parse(run(['info', 'real-mtx.txt', '--format', 'mtx', '--json']).stdout)).toMatchObject({ rows: 7, cols: 5, nonZeros: 18 });
  });

  it.each([
    [['info', 'dense.npy', '--transpose'], 'eigengame: --transpose applies to sparse files (.npz, .mtx, .mtx.gz): dense.npy is not one (see eigengame info --help)'],
    [['info', 'csr.npz', '--columns', '1'], 'eigengame: csr.npz is a sparse matrix file: --columns only apply to CSV and Parquet (a sparse file is read whole) (see eigengame info --help)'],
    [['cca', 'csr.npz', 'real.mtx', '-k', '1'], 'eigengame: csr.npz is a sparse matrix file: fit, transform and info read it; cca, pls and lda read dense files (.npy, CSV, Parquet) (see eigengame cca --help)'],
    [['fit', 'csc-stored.npz', '-k', '2', '--stream'], 'eigengame: csc-stored.npz holds a csc matrix: its rows are spread over its columns, so it cannot be streamed by rows; save it with save_npz(file, X.tocsr()), read it transposed (transpose; the CLI: --transpose) if its columns are the samples, or read it whole with readSparse (the CLI: without --stream) (see eigengame fit --help)'],
    [['fit', 'csr.npz', '-k', '2', '--stream', '--transpose'], 'eigengame: csr.npz holds a csr matrix: read transposed, its rows are the file\'s columns, which csr does not store together, so it cannot be streamed; save it with save_npz(file, X.tocsc()) to stream it transposed, or read it whole with readSparse (the CLI: without --stream) (see eigengame fit --help)'],
    [['fit', 'coo.npz', '-k', '2', '--stream'], 'eigengame: coo.npz holds a coo matrix, whose entries are not grouped by row: it cannot be streamed; save it with save_npz(file, X.tocsr()) (X.tocsc() to read it transposed), or read it whole with readSparse (the CLI: without --stream) (see eigengame fit --help)'],
    [['fit', 'dense.npy', '-k', '2', '--stream'], 'eigengame: --stream applies to sparse files (.npz, .mtx, .mtx.gz): dense.npy is not one (dense files are always streamed) (see eigengame fit --help)'],
    [['fit', 'real.mtx', '-k', '2', '--stream', '--solver', 'data'], 'eigengame: --stream fits by the covariance route (one pass): --solver data needs real.mtx whole; leave out --stream (see eigengame fit --help)'],
    [['cca', 'real.mtx', 'real.mtx', '-k', '1', '--stream'], 'eigengame: cca takes no --stream: it reads dense files (.npy, CSV, Parquet), always streamed; --stream is fit\'s, for sparse files (see eigengame cca --help)'],
  ])('%j is a usage error (exit 2, one line)', (argv, message) => {
    const result = run(argv);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.code).toBe(2);
  });

  it('duplicates are counted once summed, and a matrix a fit would refuse is refused (exit 1)', () => {
    writeFileSync(join(directory, 'twice.mtx'), '%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n1 1 2\n2 2 1\n');
    expect(JSON.parse(run(['info', 'twice.mtx', '--json']).stdout)).toMatchObject({ nonZeros: 2, density: 0.5 });
    writeFileSync(join(directory, 'bad-indptr.npz'), zipBytes(npzEntries({
      format: 'csr', shape: [2, 2], indptr: Int32Array.from([5, 1, 1]), indices: Int32Array.from([0]), values: Float64Array.from([1]),
    })));
    const result = run(['info', 'bad-indptr.npz']);
    expect(result.stderr).toBe('eigengame: bad-indptr.npz.indptr[0] must be 0, got 5\n');
    expect(result.code).toBe(1);
  });

  it('a damaged file fails with exit 1, naming the file and the line', () => {
    writeFileSync(join(directory, 'bad.mtx'), '%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n');
    const result = run(['info', 'bad.mtx']);
    expect(result.stderr).toBe('eigengame: bad.mtx, line 3: row index 3 is out of range: the matrix has 2 rows, numbered from 1 to 2\n');
    expect(result.code).toBe(1);
  });
});

describe('eigengame fit and transform on sparse files, against numpy\'s float64 answers', () => {
  it('fit of genes × cells read with --transpose: numpy\'s eigenvalues and eigenvectors of the cells × genes covariance', () => {
    const result = run(['fit', 'genes-by-cells.mtx.gz', '--transpose', '-k', '5', '--out', 'pca.json', '--json', '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ k: 5, d: 30, rows: 60, solver: 'sparse-covariance' });
    const model = JSON.parse(readFileSync(join(directory, 'pca.json'), 'utf8'));
    summary.explainedVariance.forEach((value: number, i: number) => expect(Math.abs(value - answers.pca.explainedVariance[i]) / answers.pca.explainedVariance[i]).toBeLessThan(1e-6));
    for (const cosine of absCosines(model.components, 30, answers.pca.components)) expect(cosine).toBeGreaterThan(1 - 1e-6);
    model.mean.forEach((value: number, c: number) => expect(value).toBeCloseTo(answers.mean[c], 12));
  });

  it('fit --stream of a file sorted by cell (10x Genomics\' order) read with --transpose: the model of the fit without --stream, to the bit', () => {
    const streamed = run(['fit', 'cells-sorted.mtx.gz', '--transpose', '--stream', '-k', '5', '--out', 'streamed.json', '--json', '--quiet']);
    expect(streamed.stderr).toBe('');
    expect(streamed.code).toBe(0);
    expect(JSON.parse(streamed.stdout)).toMatchObject({ k: 5, d: 30, rows: 60, solver: 'sparse-covariance', passes: 1 });
    expect(run(['fit', 'cells-sorted.mtx.gz', '--transpose', '-k', '5', '--solver', 'covariance', '--out', 'whole.json', '--quiet']).code).toBe(0);
    const model = JSON.parse(readFileSync(join(directory, 'streamed.json'), 'utf8'));
    const whole = JSON.parse(readFileSync(join(directory, 'whole.json'), 'utf8'));
    for (const field of ['components', 'explainedVariance', 'mean']) expect(model[field], field).toEqual(whole[field]);
    for (const cosine of absCosines(model.components, 30, answers.pca.components)) expect(cosine).toBeGreaterThan(1 - 1e-6);
  });

  it.each([
    [['cells.npz'], 'a csr .npz'], [['genes-by-cells-csc.npz', '--transpose'], 'a csc .npz of genes × cells read with --transpose'],
  ])('fit --stream of %j (%s): the model of the fit without --stream, to the bit; numpy\'s answers', (file) => {
    const streamed = run(['fit', ...file, '--stream', '-k', '5', '--out', 'streamed-npz.json', '--json', '--quiet']);
    expect(streamed.stderr).toBe('');
    expect(streamed.code).toBe(0);
    expect(JSON.parse(streamed.stdout)).toMatchObject({ k: 5, d: 30, rows: 60, solver: 'sparse-covariance', passes: 1 });
    expect(run(['fit', ...file, '-k', '5', '--solver', 'covariance', '--out', 'whole-npz.json', '--quiet']).code).toBe(0);
    const model = JSON.parse(readFileSync(join(directory, 'streamed-npz.json'), 'utf8'));
    const whole = JSON.parse(readFileSync(join(directory, 'whole-npz.json'), 'utf8'));
    for (const field of ['components', 'explainedVariance', 'mean']) expect(model[field], field).toEqual(whole[field]);
    for (const cosine of absCosines(model.components, 30, answers.pca.components)) expect(cosine).toBeGreaterThan(1 - 1e-6);
  });

  it('fit --stream of an .npz with an index out of range fails (exit 1), naming the member, the entry and its row', () => {
    writeFileSync(join(directory, 'bad-index.npz'), zipBytes(npzEntries({
      format: 'csr', shape: [3, 2], indptr: Int32Array.from([0, 1, 2, 3]), indices: Int32Array.from([0, 1, 2]), values: Float64Array.from([1, 2, 3]),
    })));
    const result = run(['fit', 'bad-index.npz', '--stream', '-k', '1', '--quiet']);
    expect(result.stderr).toBe('eigengame: bad-index.npz, entry indices.npy: entry 2 (row 2) has column 2, outside the shape\'s 2 columns (0 to 1)\n');
    expect(result.code).toBe(1);
  });

  it('fit --stream of a file not in row order fails (exit 1), naming the line and the remedy', () => {
    const result = run(['fit', 'genes-by-cells.mtx.gz', '--transpose', '--stream', '-k', '5', '--quiet']);
    expect(result.stderr).toMatch(
      /^eigengame: genes-by-cells\.mtx\.gz, line 59: an entry of row 3 \(its column index, the file being transposed\) after one of row 60: .*; read it whole with readSparse \(the CLI: without --stream\)\n$/,
    );
    expect(result.code).toBe(1);
  });

  it.each(['data', 'gram'])('fit --no-center --solver %s: numpy\'s singular values and right singular vectors (the truncated SVD)', (solver) => {
    const result = run(['fit', 'genes-by-cells.mtx.gz', '--transpose', '-k', '5', '--no-center', '--solver', solver, '--out', 'svd.json', '--json', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.solver).toBe(`sparse-${solver}`);
    const model = JSON.parse(readFileSync(join(directory, 'svd.json'), 'utf8'));
    summary.explainedVariance.forEach((value: number, i: number) => {
      const singular = Math.sqrt((answers.rows - 1) * value);
      expect(Math.abs(singular - answers.svd.singularValues[i]) / answers.svd.singularValues[i]).toBeLessThan(1e-6);
    });
    for (const cosine of absCosines(model.components, 30, answers.svd.components)) expect(cosine).toBeGreaterThan(1 - 1e-6);
  });

  it('transform of the sparse file: (X − mean) Vᵀ in float64 from numpy\'s dense X, as .npy and as CSV', () => {
    expect(run(['fit', 'genes-by-cells.mtx.gz', '--transpose', '-k', '3', '--out', 'pca3.json', '--quiet']).code).toBe(0);
    const model = JSON.parse(readFileSync(join(directory, 'pca3.json'), 'utf8'));
    const dense = readDenseTruth('genes-by-cells.mtx.gz');
    const expected = dense.map((row) => [0, 1, 2].map((j) => row.reduce((sum, value, c) => sum + (value - model.mean[c]) * model.components[j * 30 + c], 0)));
    const npy = run(['transform', 'pca3.json', 'genes-by-cells.mtx.gz', '--transpose', '--out', 'scores.npy']);
    expect(npy.stdout).toBe('60 rows × 3 scores written to scores.npy\n');
    const bytes = readFileSync(join(directory, 'scores.npy'));
    const headerLength = 10 + bytes.readUInt16LE(8);
    expect(bytes.subarray(0, headerLength).toString('latin1')).toMatch(/'descr': '<f8', 'fortran_order': False, 'shape': \(60, 3\)/);
    const scores = new Float64Array(bytes.buffer.slice(bytes.byteOffset + headerLength, bytes.byteOffset + bytes.byteLength));
    expect(scores.length).toBe(180);
    scores.forEach((value, i) => expect(value).toBeCloseTo(expected[Math.floor(i / 3)][i % 3], 10));
    expect(run(['transform', 'pca3.json', 'genes-by-cells.mtx.gz', '--transpose', '--out', 'scores.csv']).code).toBe(0);
    const lines = readFileSync(join(directory, 'scores.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('pc1,pc2,pc3');
    expect(lines.slice(1).map((line) => line.split(',').map(Number))).toEqual(Array.from({ length: 60 }, (_, r) => Array.from(scores.subarray(3 * r, 3 * r + 3))));
  });

  it('transform of a file whose columns are not the model\'s fails, naming both (--transpose forgotten)', () => {
    expect(run(['fit', 'genes-by-cells.mtx.gz', '--transpose', '-k', '2', '--out', 'pca2.json', '--quiet']).code).toBe(0);
    const result = run(['transform', 'pca2.json', 'genes-by-cells.mtx.gz', '--out', 's.npy']);
    expect(result.stderr).toBe('eigengame: genes-by-cells.mtx.gz has 60 columns, but the model was fitted to 30\n');
    expect(result.code).toBe(1);
  });
});
