// eigengame cca | pls | lda: the model of the API's fit on the same file, --json, usage errors (exit code 2), and
// fit's file safety (an --out that is an input is refused before any work).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CCAModel, LDAModel, PLSModel, cca, lda, pls } from '../../src/entries/node';
import { npyBytes } from '../helpers/npy';
import { plantedClasses, plantedViews } from '../helpers/planted-pencils';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'eigengame-cli-generalized-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: directory, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const views = plantedViews({ n: 2000, dx: 8, dy: 5, correlations: [0.9, 0.6], seed: 4 });
writeFileSync(join(directory, 'x.npy'), npyBytes(views.x, views.n, views.dx, 'float64'));
writeFileSync(join(directory, 'y.npy'), npyBytes(views.y, views.n, views.dy, 'float64'));
const classes = plantedClasses({ n: 1500, d: 6, classes: 3, separation: 1, seed: 5 });
const header = [...Array.from({ length: 6 }, (_, c) => `f${c}`), 'species'];
const rowsText = Array.from({ length: classes.n }, (_, r) => [...classes.x.subarray(r * 6, (r + 1) * 6), classes.labels[r]].join(','));
writeFileSync(join(directory, 'classes.csv'), `${header.join(',')}\n${rowsText.join('\n')}\n`);

describe('eigengame cca | pls | lda', () => {
  it('cca of two files writes the model the API fits, and says what it found', async () => {
    const { code, stdout } = run(['cca', 'x.npy', 'y.npy', '-k', '2', '--out', 'cca.json', '--devices', '1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^x\.npy and y\.npy: 2000 rows, 8 \+ 5 columns, k = 2, .* on 1 in-thread device/m);
    expect(stdout).toMatch(/pair {2}canonical correlation\n {3}1 {2}0\.\d+/);
    const written = CCAModel.fromJSON(readFileSync(join(directory, 'cca.json'), 'utf8'));
    const fitted = await cca(views.X, views.Y, { k: 2 });
    for (let i = 0; i < 2; i++) expect(written.correlations[i]).toBeCloseTo(fitted.correlations[i], 6);
  });

  it('pls of one file by column lists prints --json', async () => {
    const joined = Array.from({ length: views.n }, (_, r) => [...views.x.subarray(r * 8, (r + 1) * 8), ...views.y.subarray(r * 5, (r + 1) * 5)]);
    writeFileSync(join(directory, 'xy.npy'), npyBytes(joined.flat(), views.n, 13, 'float64'));
    const { code, stdout } = run(['pls', 'xy.npy', '--x', '0,1,2,3,4,5,6,7', '--y', '8,9,10,11,12', '-k', '2', '--out', 'pls.json', '--json', '--quiet']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ model: 'pls.json', k: 2, rows: 2000, dx: 8, dy: 5, converged: true });
    const fitted = await pls(views.X, views.Y, { k: 2 });
    expect(summary.singularValues[0]).toBeCloseTo(fitted.singularValues[0], 6);
    expect(PLSModel.fromJSON(readFileSync(join(directory, 'pls.json'), 'utf8')).k).toBe(2);
  });

  it('lda of a CSV file by its label column', async () => {
    const { code, stdout } = run(['lda', 'classes.csv', '--labels', 'species', '-k', '2', '--out', 'lda.json']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/classes\.csv: 1500 rows, 6 columns, 3 classes, k = 2/);
    const written = LDAModel.fromJSON(readFileSync(join(directory, 'lda.json'), 'utf8'));
    const fitted = await lda(classes.X, classes.labels, { k: 2 });
    expect(written.classes).toEqual([0, 1, 2]);
    for (let i = 0; i < 2; i++) expect(written.eigenvalues[i]).toBeCloseTo(fitted.eigenvalues[i], 6);
  });

  it.each([
    [['cca', 'x.npy', 'y.npy'], /^eigengame: cca needs -k <k>, the number of pairs of directions \(see eigengame cca --help\)$/],
    [['cca', 'x.npy', '-k', '1'], /^eigengame: with one file, cca needs --x <columns> and --y <columns> \(see eigengame cca --help\)$/],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--x', '0'], /^eigengame: --x and --y name the columns of one file; with two files, X is the first and Y the second/],
    [['pls', 'x.npy', 'y.npy', '-k', '1', '--regularization', '0.1'], /^eigengame: pls takes no --regularization: its B is the identity/],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--regularization=-1'], /^eigengame: --regularization must be a decimal number ≥ 0 \(like 1e-6\), got "-1"/],
    [['lda', 'classes.csv', '-k', '1'], /^eigengame: lda needs --labels <column>/],
    [['lda', 'classes.csv', 'x.npy', '--labels', 'species', '-k', '1'], /^eigengame: lda takes one file, got 2 \(classes\.csv x\.npy\): eigengame lda <file> --labels <column> -k <k>/],
    [['lda', 'classes.csv', '--labels', 'species', '--columns', 'f0', '-k', '1'], /^eigengame: lda takes no --columns/],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--out', 'y.npy'], /^eigengame: --out y\.npy is the Y file y\.npy: eigengame never writes over its input$/],
    // Issue 20's cases: each was accepted, ignored or given the wrong exit code.
    [['cca', 'classes.csv', '--x', 'f0', '--y', 'f0', '-k', '1'], /^eigengame: --x and --y both hold classes\.csv's column 0 \("f0"\): a column belongs to one view only \(see eigengame cca --help\)$/],
    [['pls', 'classes.csv', '--x', 'f0,f1', '--y', '1', '-k', '1'], /^eigengame: --x and --y both hold classes\.csv's column 1 \("f1"\)/],
    [['lda', 'classes.csv', '--labels', 'species,f0', '-k', '1'], /^eigengame: --labels takes one column \(the classes\), got 2: "species,f0"; X is every other column/],
    [['lda', 'classes.csv', '--labels', 'species', '-k', '1', '--no-center'], /^eigengame: lda takes no --no-center: its scatter matrices are taken about the class means/],
    [['lda', 'classes.csv', '--labels', 'species', '-k', '1', '--tol', ''], /^eigengame: --tol must be a decimal number ≥ 0 \(like 1e-6\), got ""/],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--seed', ''], /^eigengame: --seed must be a whole number ≥ 0, got ""/],
    [['lda', 'classes.csv', '--labels', 'nosuch', '-k', '1'], /^eigengame: --labels: classes\.csv has no column named "nosuch"; it has "f0", "f1", "f2", "f3", "f4", "f5", "species" \(see eigengame lda --help\)$/],
    [['cca', 'x.npy', 'y.npy', '-k', '6'], /^eigengame: -k 6 is more than the 5 columns of the narrower file, y\.npy: give -k 5 or less \(see eigengame cca --help\)$/],
    [['cca', 'classes.csv', '--x', 'f0,f1', '--y', 'f2', '-k', '2'], /^eigengame: -k 2 is more than the 1 column of the narrower view: give -k 1 or less/],
    [['lda', 'classes.csv', '--labels', 'species', '-k', '3'], /^eigengame: k = 3 is larger than min\(classes − 1, d\) = 2: .*: give a smaller -k \(see eigengame lda --help\)$/],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--bogus'], /^eigengame: cca has no option --bogus \(see eigengame cca --help\)$/],
    [['pls', 'x.npy', '--x', 'a', '--y', '1', '-k', '1'], /^eigengame: --x: x\.npy has no header row, so column "a" cannot be found: name its columns by 0-based index/],
  ])('usage: %j', (args, message) => {
    const { code, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd()).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--no-center changes cca and pls: the uncentred cross-products of views far from the origin', async () => {
    const shift = (data: Float64Array, cols: number) => data.map((value, i) => value + 3 + (i % cols));
    writeFileSync(join(directory, 'xs.npy'), npyBytes(shift(views.x, 8), views.n, 8, 'float64'));
    writeFileSync(join(directory, 'ys.npy'), npyBytes(shift(views.y, 5), views.n, 5, 'float64'));
    for (const command of ['cca', 'pls'] as const) {
      const centred = JSON.parse(run([command, 'xs.npy', 'ys.npy', '-k', '1', '--out', `${command}-c.json`, '--json', '--quiet']).stdout);
      const uncentred = JSON.parse(run([command, 'xs.npy', 'ys.npy', '-k', '1', '--out', `${command}-u.json`, '--json', '--quiet', '--no-center']).stdout);
      const key = command === 'cca' ? 'correlations' : 'singularValues';
      // Centred, the shift changes nothing: the planted views' values.
      const planted = command === 'cca' ? (await cca(views.X, views.Y, { k: 1 })).correlations[0] : (await pls(views.X, views.Y, { k: 1 })).singularValues[0];
      expect(centred[key][0]).toBeCloseTo(planted, 5);
      // Uncentred, the means dominate: cca's top correlation is near 1, pls's singular value is about |mean x|·|mean y|.
      expect(uncentred[key][0]).not.toBeCloseTo(centred[key][0], 2);
    }
  }, 120_000);
});
