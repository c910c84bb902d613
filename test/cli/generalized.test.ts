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
    [['cca', 'x.npy', 'y.npy'], /^eigengame: cca needs -k <k>, the number of pairs of directions$/m],
    [['cca', 'x.npy', '-k', '1'], /^eigengame: with one file, cca needs --x <columns> and --y <columns>$/m],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--x', '0'], /^eigengame: --x and --y name the columns of one file; with two files, X is the first and Y the second$/m],
    [['pls', 'x.npy', 'y.npy', '-k', '1', '--regularization', '0.1'], /^eigengame: --regularization does not apply to pls/m],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--regularization=-1'], /^eigengame: --regularization must be a number ≥ 0, got "-1"$/m],
    [['lda', 'classes.csv', '-k', '1'], /^eigengame: lda needs --labels <column>/m],
    [['lda', 'classes.csv', 'x.npy', '--labels', 'species', '-k', '1'], /^eigengame: usage: eigengame lda <file> --labels <column> -k <k>/m],
    [['lda', 'classes.csv', '--labels', 'species', '--columns', 'f0', '-k', '1'], /^eigengame: --columns does not apply to lda/m],
    [['cca', 'x.npy', 'y.npy', '-k', '1', '--out', 'y.npy'], /^eigengame: --out y\.npy is the Y file y\.npy: eigengame never writes over its input$/m],
  ])('usage: %j', (args, message) => {
    const { code, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('a bad fit fails with exit code 1 and the method\'s message', () => {
    const { code, stderr } = run(['cca', 'x.npy', 'y.npy', '-k', '6', '--out', 'bad.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^eigengame: k = 6 is larger than min\(dx, dy\) = 5: cca has at most that many pairs of directions$/m);
  });
});
