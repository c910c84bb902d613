// The eigengame command on sparse files (scipy's .npz, Matrix Market .mtx and .mtx.gz; the fixtures scipy wrote in
// test/fixtures/sparse): info tells their shape, stored entries, density and layout; --transpose reads genes × cells
// as cells × genes and is refused for dense files; the reading options of dense files are refused for sparse ones.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sparseFixture } from '../helpers/sparse-files';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'eigengame-cli-sparse-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
for (const name of ['csr.npz', 'csc-stored.npz', 'genes-by-cells.mtx.gz', 'real.mtx']) copyFileSync(sparseFixture(name), join(directory, name));
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
  ])('%j is a usage error (exit 2, one line)', (argv, message) => {
    const result = run(argv);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.code).toBe(2);
  });

  it('a damaged file fails with exit 1, naming the file and the line', () => {
    writeFileSync(join(directory, 'bad.mtx'), '%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n');
    const result = run(['info', 'bad.mtx']);
    expect(result.stderr).toBe('eigengame: bad.mtx, line 3: row index 3 is out of range: the matrix has 2 rows, numbered from 1 to 2\n');
    expect(result.code).toBe(1);
  });
});
