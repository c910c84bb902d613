// The eigengame command: every command and its exit codes (0 ok, 1 failure, 2 usage); its files: it never writes
// over an input, checks every output before the work and replaces it only once complete (a failed or interrupted
// command leaves the old file as it was and no temporary file); and the streaming promise: a 1 GiB .npy fitted with
// a 64 MB JavaScript heap and a peak RSS far below the file's size, giving the components of the in-memory fit.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync,
  symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { UsageError, checkOutputs } from '../../src/cli/files';
import { NpySource, PCAModel, pca } from '../../src/entries/node';
import { encodeNpyHeader } from '../../src/io/npy';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';
import { npyBytes } from '../helpers/npy';
import { jacobiEigen } from '../helpers/reference';
import { sampledData } from '../helpers/sampled';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const probe = new URL('../helpers/rss-probe.mjs', import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'eigengame-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(args: string[], options: { nodeFlags?: string[]; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [...(options.nodeFlags ?? []), cli, ...args], {
    cwd: directory, encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const d = 24;
const k = 3;
const sample = sampledData(3000, d, gappedSpectrum(d, k, 0.2, 0.5), 5);
writeFileSync(join(directory, 'data.npy'), npyBytes(sample.data, sample.rows, d));
const header = Array.from({ length: d }, (_, c) => `x${c}`).join(',');
const csvText = `${header}\n${Array.from({ length: sample.rows }, (_, r) => Array.from(sample.data.subarray(r * d, (r + 1) * d)).join(',')).join('\n')}\n`;
writeFileSync(join(directory, 'data.csv'), csvText);
writeFileSync(join(directory, 'data.bin'), npyBytes(sample.data, sample.rows, d));

describe('eigengame (CLI)', () => {
  it('--help documents the commands and the exit codes', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fit <file>/);
    expect(stdout).toMatch(/Exit codes: 0 success; 1 failure .*; 2 usage/s);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], /^eigengame: a command is needed: fit, transform, info, cca, pls or lda \(see eigengame --help\)$/],
    [['fitt', 'data.npy'], /^eigengame: unknown command "fitt"/],
    [['fit', 'data.npy'], /^eigengame: fit needs -k <k>, the number of components \(see eigengame fit --help\)$/],
    [['fit', 'data.npy', '-k', 'x'], /^eigengame: -k must be a whole number ≥ 1, got "x" \(see eigengame fit --help\)$/],
    [['fit', 'data.npy', '-k', '2', '--bogus'], /^eigengame: fit has no option --bogus \(see eigengame fit --help\)$/],
    [['fit', 'data.npy', '-k', '2', '--devices', '0'], /^eigengame: --devices must be a whole number ≥ 1 or auto, got "0"/],
    [['fit', 'data.csv', '-k', '2', '--tol', ''], /^eigengame: --tol must be a decimal number ≥ 0 \(like 1e-6\), got "" \(see eigengame fit --help\)$/],
    [['fit', 'data.csv', '-k', '2', '--seed', ''], /^eigengame: --seed must be a whole number ≥ 0, got ""/],
    [['fit', 'data.npy', '-k', '30'], /^eigengame: -k 30 is more than data\.npy's 24 columns: give -k 24 or less \(see eigengame fit --help\)$/],
    [['fit', 'data.csv', '-k', '2', '--columns', 'x1,nosuch'], /^eigengame: --columns: data\.csv has no column named "nosuch"; it has "x0", "x1", .* and 12 more \(see eigengame fit --help\)$/],
    [['fit', 'data.csv', '-k', '2', '--batch', '100000000'], /^eigengame: --batch 100000000: data\.csv: a batch of 100000000 rows × 24 columns would take 9600000000 bytes, more than 1073741824: give a smaller --batch/],
    [['fit', 'data.bin', '-k', '2'], /^eigengame: data\.bin: cannot tell its format from its name: pass --format npy, csv, parquet, npz or mtx \(see eigengame fit --help\)$/],
    [['transform', 'model.json', 'data.npy'], /transform needs --out/],
    [['transform', 'model.json', 'data.npy', '--out', 'x.txt'], /--out must end in \.npy, \.csv or \.tsv/],
    [['info'], /^eigengame: info takes one file, got 0: eigengame info <file> \[options\]/],
    [['info', 'data.npy', '--columns', '1,2'], /^eigengame: data\.npy is a \.npy file: --columns only apply to CSV/],
    [['info', 'data.npy', '--delimiter', ';'], /^eigengame: data\.npy is a \.npy file: --delimiter only apply to CSV/],
  ])('usage errors exit with 2, in one line that says what to do: %j', (args, message) => {
    const { code, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd()).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('<command> --help shows that command\'s usage and options only', () => {
    const fit = run(['fit', '--help']);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/^Usage: eigengame fit <file> -k <k> \[options\]\n/);
    expect(fit.stdout).toMatch(/^ {2}--solver <s> /m);
    expect(fit.stdout).not.toMatch(/Commands:|--labels|--regularization|--x /);
    const info = run(['info', '--help']).stdout;
    expect(info).toMatch(/^Usage: eigengame info <file>/);
    expect(info).not.toMatch(/--tol|--out|-k,/);
    expect(run(['lda', '--help']).stdout).not.toMatch(/--no-center|--columns/);
    expect(run(['--help']).stdout).toMatch(/Run eigengame <command> --help for a command's options/);
  });

  it('failures exit with 1 and say what failed', () => {
    writeFileSync(join(directory, 'bad.csv'), 'a,b\n1,2\n3,oops\n');
    let result = run(['fit', 'bad.csv', '-k', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/eigengame: bad\.csv: line 3, column 2 \("b"\): "oops" is not a finite number/);
    result = run(['info', 'missing.npy']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing\.npy: could not open it: ENOENT/);
  });

  it('a CSV whose first line is numbers with an empty cell is read as data: the cell is an error, no row is dropped', () => {
    writeFileSync(join(directory, 'gap.csv'), '1,,3\n4,5,6\n7,8,9\n');
    const result = run(['info', 'gap.csv']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^eigengame: gap\.csv: line 1, column 2: is empty \(line 1 is read as data/m);
    writeFileSync(join(directory, 'named.csv'), '1,2,3\n4,5,6\n7,8,9\n');
    expect(JSON.parse(run(['info', 'named.csv', '--json', '--header', 'yes']).stdout)).toMatchObject({ rows: 2, columnNames: ['1', '2', '3'] });
    expect(JSON.parse(run(['info', 'named.csv', '--json']).stdout)).toMatchObject({ rows: 3, columnNames: null });
  });

  it('info describes .npy and CSV files', () => {
    expect(JSON.parse(run(['info', 'data.npy', '--json']).stdout)).toMatchObject({ format: 'npy', dtype: 'float32', rows: 3000, cols: d });
    const csv = JSON.parse(run(['info', 'data.csv', '--json', '--columns', 'x3,x1']).stdout);
    expect(csv).toMatchObject({ format: 'csv', rows: 3000, cols: 2, columnNames: ['x3', 'x1'] });
    expect(run(['info', 'data.npy']).stdout).toMatch(/data\.npy: npy, float32, 3000 rows × 24 columns/);
  });

  it('fit writes a model (the same from .npy and CSV), prints the table, and plain progress lines when not a TTY', async () => {
    const fitted = run(['fit', 'data.npy', '-k', String(k), '--out', 'model.json', '--devices', '1']);
    expect(fitted.code).toBe(0);
    expect(fitted.stdout).toMatch(/data\.npy: 3000 rows × 24 columns, k = 3/);
    expect(fitted.stdout).toMatch(/component {2}variance {6}ratio {4}cumulative/);
    expect(fitted.stderr).toMatch(/^pass 1, batch \d+, [\d.]+k? rows\/s/m);
    // Rows per second only while rows are read: a round reads none.
    expect(fitted.stderr).not.toMatch(/^round .*rows\/s/m);
    const model = PCAModel.fromJSON(readFileSync(join(directory, 'model.json'), 'utf8'));
    const inMemory = await pca(sample, { k, devices: 1 });
    for (let i = 0; i < k; i++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += model.components[i * d + c] * inMemory.components[i * d + c];
      expect(Math.abs(dot)).toBeGreaterThan(0.999999);
    }
    const json = JSON.parse(run(['fit', 'data.csv', '-k', String(k), '--out', 'model-csv.json', '--json', '--devices', '1']).stdout);
    expect(json).toMatchObject({ model: 'model-csv.json', k, d, rows: 3000, converged: true });
    expect(PCAModel.fromJSON(readFileSync(join(directory, 'model-csv.json'), 'utf8')).components).toEqual(model.components);
    expect(run(['fit', 'data.npy', '-k', '2', '--quiet', '--out', 'q.json']).stdout).toBe('');
  });

  it('a fit stopped by a cap says so: converged false in --json, the limit on stderr, the verdict in the summary', () => {
    const json = run(['fit', 'data.npy', '-k', String(k), '--tol', '0', '--out', 'capped.json', '--json', '--devices', '1']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ converged: false });
    expect(json.stderr).toMatch(/eigengame: pca stopped after .*before every component's residual was within tol/);
    expect(JSON.parse(readFileSync(join(directory, 'capped.json'), 'utf8'))).toMatchObject({ converged: false });
    const human = run(['fit', 'data.npy', '-k', String(k), '--tol', '0', '--out', 'capped.json', '--devices', '1']);
    expect(human.stdout).toMatch(/^not converged: the components are approximate/m);
  });

  it('transform writes the scores as .npy and as CSV', async () => {
    const model = PCAModel.fromJSON(readFileSync(join(directory, 'model.json'), 'utf8'));
    const expected = model.transform(sample);
    expect(run(['transform', 'model.json', 'data.csv', '--out', 'scores.npy']).code).toBe(0);
    const scores: number[] = [];
    for await (const batch of new NpySource(join(directory, 'scores.npy')).batches(1000)) scores.push(...batch.data);
    expect(scores.length).toBe(3000 * k);
    scores.forEach((value, i) => expect(value).toBeCloseTo(expected.data[i], 4));
    expect(run(['transform', 'model.json', 'data.npy', '--out', 'scores.csv']).code).toBe(0);
    const lines = readFileSync(join(directory, 'scores.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('pc1,pc2,pc3');
    expect(lines[1].split(',').map(Number)).toEqual(Array.from(expected.data.subarray(0, k)));
    writeFileSync(join(directory, 'narrow.csv'), '1,2\n3,4\n');
    const mismatch = run(['transform', 'model.json', 'narrow.csv', '--out', 'x.npy']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/narrow\.csv has 2 columns, but the model was fitted to 24/);
  });
});

/** The top `count` eigenvectors (rows) and eigenvalues of XᵀX / (n − 1) in float64, about `mean` (zeros: uncentred). */
function float64Reference(data: ArrayLike<number>, rows: number, cols: number, count: number, centred: boolean) {
  const mean = new Float64Array(cols);
  if (centred) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c] / rows;
  const products = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const a = data[r * cols + i] - mean[i];
      for (let j = 0; j < cols; j++) products[i * cols + j] += (a * (data[r * cols + j] - mean[j])) / (rows - 1);
    }
  }
  const { values, vectors } = jacobiEigen(products, cols); // descending, eigenvectors as rows
  return {
    values: Array.from(values.subarray(0, count)),
    vectors: Array.from({ length: count }, (_, i) => vectors.subarray(i * cols, (i + 1) * cols)),
  };
}

function expectComponents(model: PCAModel, reference: { values: number[]; vectors: Float64Array[] }, cosine: number, variance: number) {
  reference.vectors.forEach((vector, i) => {
    let dot = 0;
    for (let c = 0; c < model.d; c++) dot += model.components[i * model.d + c] * vector[c];
    expect(Math.abs(dot), `component ${i}`).toBeGreaterThan(cosine);
    expect(Math.abs(model.explainedVariance[i] / reference.values[i] - 1), `variance ${i}`).toBeLessThan(variance);
  });
}

const readModelFile = (name: string) => PCAModel.fromJSON(readFileSync(join(directory, name), 'utf8'));

describe('eigengame fit: each option changes what it says', () => {
  it('--no-center gives the components of the uncentred XᵀX / (n − 1) (float64 reference), and a zero mean', () => {
    // Data far from the origin: the uncentred top direction is about the mean's, far from the centred one.
    const shifted = Float32Array.from(sample.data, (value, i) => value + 2 + (i % d) / d);
    writeFileSync(join(directory, 'shifted.npy'), npyBytes(shifted, sample.rows, d));
    expect(run(['fit', 'shifted.npy', '-k', String(k), '--no-center', '--devices', '1', '--quiet', '--out', 'uncentred.json']).code).toBe(0);
    expect(run(['fit', 'shifted.npy', '-k', String(k), '--devices', '1', '--quiet', '--out', 'centred.json']).code).toBe(0);
    const uncentred = readModelFile('uncentred.json');
    const centred = readModelFile('centred.json');
    // Variances measured within 1.3e-6 of float64 (the third, the smallest): held to 1e-5.
    expectComponents(uncentred, float64Reference(shifted, sample.rows, d, k, false), 1 - 1e-6, 1e-5);
    expectComponents(centred, float64Reference(shifted, sample.rows, d, k, true), 1 - 1e-6, 1e-5);
    expect(Array.from(uncentred.mean)).toEqual(new Array(d).fill(0));
    let dot = 0;
    for (let c = 0; c < d; c++) dot += uncentred.components[c] * centred.components[c];
    expect(Math.abs(dot)).toBeLessThan(0.5);
  }, 120_000);

  it('--seed: the same seed gives the same bytes (on 1 or 2 devices), another seed other bits of the same components', () => {
    const fit = (seed: string, devices: string, out: string) => {
      expect(run(['fit', 'data.npy', '-k', String(k), '--seed', seed, '--devices', devices, '--quiet', '--out', out]).code).toBe(0);
      return readFileSync(join(directory, out), 'utf8');
    };
    const first = fit('5', '1', 'seed-a.json');
    expect(fit('5', '1', 'seed-b.json')).toBe(first);
    expect(fit('5', '2', 'seed-c.json')).toBe(first);
    const other = fit('6', '1', 'seed-d.json');
    expect(other).not.toBe(first);
    expectComponents(PCAModel.fromJSON(other), float64Reference(sample.data, sample.rows, d, k, true), 1 - 1e-6, 1e-5);
    expectComponents(PCAModel.fromJSON(first), float64Reference(sample.data, sample.rows, d, k, true), 1 - 1e-6, 1e-5);
  }, 120_000);

  it('--solver: covariance reads the file once, data once per round; both give the float64 components', () => {
    const reference = float64Reference(sample.data, sample.rows, d, k, true);
    for (const [solver, onePass] of [['covariance', true], ['data', false]] as const) {
      const fitted = run(['fit', 'data.npy', '-k', String(k), '--solver', solver, '--devices', '1', '--json', '--out', `${solver}.json`]);
      expect(fitted.code, fitted.stderr).toBe(0);
      const summary = JSON.parse(fitted.stdout);
      expect(summary.solver).toBe(solver);
      if (onePass) expect(summary.passes).toBe(1);
      else expect(summary.passes).toBeGreaterThan(2);
      expectComponents(readModelFile(`${solver}.json`), reference, 1 - 1e-5, 1e-5);
    }
  }, 120_000);

  it('--solver gram is refused for a dense file, which is streamed (usage error, exit 2)', () => {
    const refused = run(['fit', 'data.npy', '-k', String(k), '--solver', 'gram', '--out', 'gram.json']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--solver gram plays on the rows' n × n Gram matrix, which needs every row in memory: data\.npy is streamed/);
    expect(existsSync(join(directory, 'gram.json'))).toBe(false);
  });

  it('--delimiter reads a file in that delimiter (\\t and tab for a tab): the model of the CSV', () => {
    for (const [name, delimiter, character] of [['data-pipe.txt', '|', '|'], ['data-tab.txt', 'tab', '\t'], ['data-tab2.txt', '\\t', '\t']]) {
      writeFileSync(join(directory, name), csvText.replaceAll(',', character));
      const described = JSON.parse(run(['info', name, '--delimiter', delimiter, '--json']).stdout);
      expect(described).toMatchObject({ rows: 3000, cols: d, columnNames: Array.from({ length: d }, (_, c) => `x${c}`) });
    }
    // Without it, none of , tab ; is found: each line is one cell, which is no number.
    const sniffed = run(['info', 'data-pipe.txt', '--json']);
    expect(sniffed.code).toBe(1);
    expect(sniffed.stderr).toMatch(/^eigengame: data-pipe\.txt: line 2, column 1 \("x0\|x1\|.* is not a finite number$/m);
    expect(run(['fit', 'data-pipe.txt', '-k', String(k), '--delimiter', '|', '--devices', '1', '--quiet', '--out', 'pipe-model.json']).code).toBe(0);
    expect(run(['fit', 'data.csv', '-k', String(k), '--devices', '1', '--quiet', '--out', 'comma-model.json']).code).toBe(0);
    expect(readModelFile('pipe-model.json').components).toEqual(readModelFile('comma-model.json').components);
  }, 120_000);

  // A terminal (a pseudo-terminal from util-linux's script): the bar is redrawn in place, once per batch read.
  it.runIf(spawnSync('script', ['--version']).status === 0)('--batch sets the rows per batch read, and a terminal shows the bar', () => {
    const onTerminal = (args: string) => {
      const result = spawnSync('script', ['-qec', `"${process.execPath}" "${cli}" ${args}`, '/dev/null'], { cwd: directory, encoding: 'utf8', timeout: 120_000 });
      expect(result.status, result.stdout).toBe(0);
      return result.stdout.split('\r').filter((draw) => /pass 1, batch/.test(draw));
    };
    const draws = onTerminal(`fit data.npy -k ${k} --batch 500 --devices 1 --out tty.json`);
    // 3000 rows in batches of 500: six draws of the bar, the last full.
    expect(draws.map((draw) => Number(/batch (\d+)/.exec(draw)![1]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(draws[0]).toMatch(/^\[█{4}░{20}\] {2}17% {2}pass 1, batch 1 {2}[\d.]+k? rows\/s/);
    expect(draws[5]).toMatch(/^\[█{24}\] 100% {2}pass 1, batch 6 /);
    expect(onTerminal(`fit data.npy -k ${k} --devices 1 --out tty.json`).map((draw) => /batch (\d+)/.exec(draw)![1])).toEqual(['1']);
  }, 240_000);
});

describe('eigengame (CLI) never loses a file', () => {
  const bytesOf = (name: string) => readFileSync(join(directory, name));
  // A digest: vitest's toEqual on a megabyte Buffer takes seconds.
  const digestOf = (name: string) => createHash('sha256').update(bytesOf(name)).digest('hex');
  const temporaryFiles = () => readdirSync(directory, { recursive: true }).filter((name) => /\.eigengame-\d+-[0-9a-f]+\.tmp$/.test(String(name)));
  beforeAll(async () => {
    writeFileSync(join(directory, 'safe-model.json'), JSON.stringify((await pca(sample, { k, devices: 1 })).toJSON()));
    symlinkSync('data.npy', join(directory, 'link.npy'));
    linkSync(join(directory, 'data.npy'), join(directory, 'hard.npy'));
    mkdirSync(join(directory, 'folder'));
  });

  it.each([
    ['fit', 'data.npy', 'data.npy'],
    ['fit', 'data.npy', './data.npy'],
    ['fit', 'data.npy', 'link.npy'],
    ['fit', 'data.npy', 'hard.npy'],
    ['fit', 'data.csv', join(directory, 'data.csv')],
    ['transform', 'data.npy', 'data.npy'],
    ['transform', 'data.npy', 'folder/../link.npy'],
    ['transform', 'data.csv', 'data.csv'],
  ])('%s of %s refuses --out %s: it is the input file, left as it was', (command, input, out) => {
    const before = digestOf(input);
    const args = command === 'fit' ? ['fit', input, '-k', '2', '--out', out] : ['transform', 'safe-model.json', input, '--out', out];
    const { code, stdout, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr).toContain(`eigengame: --out ${out} is the input file ${input}: eigengame never writes over its input\n`);
    expect(stdout).toBe('');
    expect(digestOf(input)).toBe(before);
  });

  it('transform refuses an --out that is its model file', () => {
    writeFileSync(join(directory, 'model-named.csv'), bytesOf('safe-model.json'));
    const { code, stderr } = run(['transform', 'model-named.csv', 'data.npy', '--out', 'model-named.csv']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--out model-named\.csv is the model file model-named\.csv: eigengame never writes over its input/);
    expect(digestOf('model-named.csv')).toBe(digestOf('safe-model.json'));
  });

  it.each([
    ['missing/model.json', /^eigengame: --out missing\/model\.json: the directory missing does not exist$/m],
    ['missing/deeper/model.json', /^eigengame: --out missing\/deeper\/model\.json: the directory missing\/deeper does not exist$/m],
    ['data.npy/model.json', /^eigengame: --out data\.npy\/model\.json: data\.npy is not a directory$/m],
    ['folder', /^eigengame: --out folder is a directory: give a file name$/m],
    ['out/', /^eigengame: --out out\/ ends in a slash: give a file name$/m],
  ])('fit checks --out %s before it fits: exit 2, nothing fitted or created', (out, message) => {
    const { code, stderr } = run(['fit', 'data.npy', '-k', String(k), '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/rows\/s/);
    expect(readdirSync(directory)).not.toContain('missing');
    expect(readdirSync(directory)).not.toContain('out');
  });

  it('fit refuses an --out in a directory it cannot write: exit 2 before any work', () => {
    // Root writes through any permission bits; /proc/sys refuses even root.
    let folder = '/proc/sys';
    if (process.getuid?.() !== 0) {
      folder = join(directory, 'locked');
      mkdirSync(folder);
      chmodSync(folder, 0o555);
    }
    const { code, stderr } = run(['fit', 'data.npy', '-k', String(k), '--out', join(folder, 'model.json')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`eigengame: --out ${join(folder, 'model.json')}: cannot write in the directory ${folder} (EACCES)\n`);
  });

  it('transform checks --out before it reads the data', () => {
    const { code, stderr } = run(['transform', 'safe-model.json', 'data.npy', '--out', 'missing/scores.npy']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^eigengame: --out missing\/scores\.npy: the directory missing does not exist$/m);
    expect(readdirSync(directory)).not.toContain('missing');
  });

  it.each([
    [['fit', 'folder', '-k', '2']],
    [['fit', 'folder', '-k', '2', '--format', 'npy']],
    [['info', 'folder']],
    [['transform', 'folder', 'data.npy', '--out', 'scores.npy']],
    [['transform', 'safe-model.json', 'folder', '--out', 'scores.npy']],
  ])('an input that is a directory is reported as one: %j', (args) => {
    const { code, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^eigengame: folder is a directory, not a file$/m);
  });

  it('a fit that fails mid-way leaves the old --out byte for byte, and no temporary file', () => {
    const data = Float32Array.from(sample.data);
    data[2500 * d + 5] = Number.NaN;
    writeFileSync(join(directory, 'nan.npy'), npyBytes(data, sample.rows, d));
    writeFileSync(join(directory, 'old-model.json'), 'the previous model');
    const { code, stderr } = run(['fit', 'nan.npy', '-k', String(k), '--out', 'old-model.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/nan\.npy: row 2500, column 5 is NaN/);
    expect(bytesOf('old-model.json').toString()).toBe('the previous model');
    expect(temporaryFiles()).toEqual([]);
  });

  it('a transform that fails part-way leaves the old --out byte for byte, and no temporary file', () => {
    const lines = csvText.split('\n');
    lines[2501] = lines[2501].replace(/^[^,]+/, 'oops');
    writeFileSync(join(directory, 'bad-row.csv'), lines.join('\n'));
    writeFileSync(join(directory, 'old-scores.csv'), 'the previous scores');
    const { code, stderr } = run(['transform', 'safe-model.json', 'bad-row.csv', '--out', 'old-scores.csv']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad-row\.csv: line 2502, column 1 \("x0"\): "oops" is not a finite number/);
    expect(bytesOf('old-scores.csv').toString()).toBe('the previous scores');
    expect(temporaryFiles()).toEqual([]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('an interrupted fit (%s) exits with 1 and leaves the old --out as it was, and no temporary file', async (signal) => {
    // Fitted to no tolerance: thousands of rounds, interrupted at its first progress line.
    const wide = sampledData(20000, 64, gappedSpectrum(64, k, 0.2, 0.5), 6);
    writeFileSync(join(directory, 'wide.npy'), npyBytes(wide.data, wide.rows, 64));
    writeFileSync(join(directory, 'old-model.json'), 'the previous model');
    const child = spawn(process.execPath, [cli, 'fit', 'wide.npy', '-k', String(k), '--tol', '0', '--max-steps', '1000000', '--devices', '1', '--out', 'old-model.json'], { cwd: directory });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!child.killed && /rows\/s/.test(stderr)) child.kill(signal);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^eigengame: interrupted by ${signal}$`, 'm'));
    expect(stdout).toBe('');
    expect(bytesOf('old-model.json').toString()).toBe('the previous model');
    expect(temporaryFiles()).toEqual([]);
  }, 60_000);

  it.runIf(process.platform === 'linux').each(['SIGINT', 'SIGTERM'] as const)('a second %s stops at once a command that the first cannot stop (blocked opening a FIFO no one reads)', async (signal) => {
    const fifo = join(directory, `unread-${signal}`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [cli, 'fit', 'data.npy', '-k', String(k), '--devices', '1', '--quiet', '--out', fifo], { cwd: directory });
    // A build where the second signal does not stop it would leave it blocked for ever: it is killed when the test ends.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, killedBy) => resolve([code, killedBy])));
    // Once the fit is done, the command waits in open() for a reader that never comes: the first signal aborts, but the
    // blocked open cannot end. Seen in /proc: a thread of the process sleeps in the kernel's FIFO open (wait_for_partner).
    const blocked = () => readdirSync(`/proc/${child.pid}/task`).some((task) => {
      try {
        return readFileSync(`/proc/${child.pid}/task/${task}/wchan`, 'utf8') === 'wait_for_partner';
      } catch {
        return false;
      }
    });
    let exited = false;
    closed.then(() => (exited = true));
    while (!exited && !blocked()) await new Promise((resolve) => setTimeout(resolve, 50));
    // The first signal is handled (the command aborts and stays blocked), then the second ends it. Two signals sent
    // before the first is handled would merge into one, so one is sent every half second until the process ends.
    const sender = setInterval(() => child.kill(signal), 500);
    child.kill(signal);
    const [code, killedBy] = await closed;
    clearInterval(sender);
    expect(stderr).toBe(`eigengame: ${signal} again: stopped at once\n`);
    expect([code, killedBy]).toEqual([null, signal]);
  }, 120_000);

  it('replaces an existing --out whole, keeping its permissions, and writes through a symbolic link to it', () => {
    writeFileSync(join(directory, 'private.json'), 'the previous model');
    chmodSync(join(directory, 'private.json'), 0o600);
    symlinkSync('private.json', join(directory, 'private-link.json'));
    expect(run(['fit', 'data.npy', '-k', String(k), '--devices', '1', '--quiet', '--out', 'private-link.json']).code).toBe(0);
    expect(lstatSync(join(directory, 'private-link.json')).isSymbolicLink()).toBe(true);
    expect(statSync(join(directory, 'private.json')).mode & 0o777).toBe(0o600);
    expect(PCAModel.fromJSON(bytesOf('private.json').toString()).k).toBe(k);
    expect(temporaryFiles()).toEqual([]);
  });

  it('refuses two outputs at the same file (for a command with several)', async () => {
    const outputs = [{ option: '--out', path: join(directory, 'two.json') }, { option: '--scores', path: join(directory, 'folder/../two.json') }];
    const message = `--scores ${outputs[1].path} and --out ${outputs[0].path} are the same file: each output needs its own`;
    await expect(checkOutputs(outputs, [])).rejects.toThrow(new UsageError(message));
    writeFileSync(join(directory, 'two.json'), 'the previous model');
    await expect(checkOutputs(outputs, [])).rejects.toThrow(new UsageError(message));
  });

  it('names its temporary file after a long output name cut to fit', () => {
    const long = `${'m'.repeat(250)}.json`;
    expect(run(['fit', 'data.npy', '-k', String(k), '--devices', '1', '--quiet', '--out', long]).code).toBe(0);
    expect(PCAModel.fromJSON(bytesOf(long).toString()).k).toBe(k);
  });

  it('writes a FIFO (or device) --out directly: there is no file to replace', () => {
    expect(spawnSync('mkfifo', [join(directory, 'pipe')]).status).toBe(0);
    // The reader is stopped if the command fails before it opens the FIFO (it would wait for a writer forever).
    const script = `cat pipe > piped.json & reader=$!; "${process.execPath}" "${cli}" fit data.npy -k ${k} --devices 1 --quiet --out pipe; status=$?; [ $status -eq 0 ] || kill $reader; wait; exit $status`;
    const piped = spawnSync('sh', ['-c', script], {
      cwd: directory, encoding: 'utf8', timeout: 60_000,
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(lstatSync(join(directory, 'pipe')).isFIFO()).toBe(true);
    expect(PCAModel.fromJSON(bytesOf('piped.json').toString()).k).toBe(k);
  });

  it('reads a FIFO once: info counts its rows, transform writes a .npy of its CSV scores in one pass', () => {
    expect(spawnSync('mkfifo', [join(directory, 'in.csv')]).status).toBe(0);
    // The writer is stopped if the command fails before it opens the FIFO (it would wait for a reader forever).
    const through = (args: string) => spawnSync('sh', ['-c', `cat data.csv > in.csv & writer=$!; "${process.execPath}" "${cli}" ${args}; status=$?; [ $status -eq 0 ] || kill $writer; wait; exit $status`], {
      cwd: directory, encoding: 'utf8', timeout: 60_000,
    });
    const described = through('info in.csv --json');
    expect(described.status, described.stderr).toBe(0);
    expect(JSON.parse(described.stdout)).toMatchObject({ rows: 3000, cols: d, bytes: null });
    const piped = through('transform model.json in.csv --out piped-scores.npy');
    expect(piped.status, piped.stderr).toBe(0);
    expect(run(['transform', 'model.json', 'data.npy', '--out', 'file-scores.npy']).code).toBe(0);
    expect(bytesOf('piped-scores.npy').equals(bytesOf('file-scores.npy'))).toBe(true);
  });
});

describe('a 1 GiB .npy through the CLI', () => {
  it('is fitted with a 64 MB heap and a small RSS, and gives the in-memory fit\'s components', async () => {
    const cols = 256;
    const rows = (1 << 30) / (cols * 4);
    const top = 8;
    const spectrum = Float64Array.from({ length: top }, (_, i) => 0.85 ** i);
    const { eigenvectors } = plantedData({ n: cols + 1, d: cols, spectrum: Float64Array.from({ length: cols }, (_, i) => (i < top ? spectrum[i] : 0.01)), seed: 9 });
    // Rows x = Σ √λⱼ zⱼ uⱼ + uniform noise of variance 0.05 per column: written 65536 rows at a time.
    const path = join(directory, 'big.npy');
    const file = openSync(path, 'w');
    writeSync(file, encodeNpyHeader('float32', rows, cols));
    let state = 12345;
    const uniform = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return ((state >>> 0) + 0.5) / 4294967296;
    };
    const scales = spectrum.map(Math.sqrt);
    const noise = Math.sqrt(3 * 0.05) * 2;
    const block = 65536;
    const buffer = new Float32Array(block * cols);
    for (let first = 0; first < rows; first += block) {
      for (let r = 0; r < block; r++) {
        const row = buffer.subarray(r * cols, (r + 1) * cols);
        for (let c = 0; c < cols; c++) row[c] = (uniform() - 0.5) * noise + 1;
        for (let j = 0; j < top; j++) {
          const z = scales[j] * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
          const u = eigenvectors.subarray(j * cols, (j + 1) * cols);
          for (let c = 0; c < cols; c++) row[c] += z * u[c];
        }
      }
      writeSync(file, new Uint8Array(buffer.buffer));
    }
    closeSync(file);

    // The peak RSS holds what the environment brings (Node, V8, the wasm memories, one thread per device: `auto` is the
    // machine's cores) and what the streaming costs. The same fit of the file's first 65,536 rows (64 MiB) in the same
    // environment measures the first, so the bound is on what a 16× longer file adds: nothing, if rows are streamed.
    const head = new Uint8Array(block * cols * 4);
    const bigFile = openSync(path, 'r');
    readSync(bigFile, head, 0, head.byteLength, encodeNpyHeader('float32', rows, cols).byteLength);
    closeSync(bigFile);
    writeFileSync(join(directory, 'small.npy'), npyBytes(new Float32Array(head.buffer), block, cols));
    const peakOf = (file: string) => {
      const rssFile = join(directory, `rss-${file}.txt`);
      const fitted = run(['fit', file, '-k', String(top), '--out', `${file}-model.json`, '--json'], {
        nodeFlags: ['--max-old-space-size=64', '--import', probe], env: { EIGENGAME_RSS_FILE: rssFile },
      });
      expect(fitted.code, fitted.stderr).toBe(0);
      return { peakMiB: Number(readFileSync(rssFile, 'utf8')) / 1024, seconds: JSON.parse(fitted.stdout).seconds as number };
    };
    const small = peakOf('small.npy');
    const big = peakOf('big.npy');
    console.log(`1 GiB .npy: CLI fit in ${big.seconds.toFixed(1)} s, peak RSS ${big.peakMiB.toFixed(0)} MiB (64 MiB file: ${small.peakMiB.toFixed(0)} MiB)`);
    // Measured here: 138 MiB for both files. 64 MiB is a sixteenth of the file, far below reading it whole.
    expect(big.peakMiB - small.peakMiB).toBeLessThan(64);

    const streamed = PCAModel.fromJSON(readFileSync(join(directory, 'big.npy-model.json'), 'utf8'));
    const data = new Float32Array(readFileSync(path).buffer.slice(128));
    const inMemory = await pca({ data, rows, cols }, { k: top });
    for (let i = 0; i < top; i++) {
      let dot = 0;
      let truth = 0;
      for (let c = 0; c < cols; c++) {
        dot += streamed.components[i * cols + c] * inMemory.components[i * cols + c];
        truth += streamed.components[i * cols + c] * eigenvectors[i * cols + c];
      }
      expect(Math.abs(dot), `component ${i} vs the in-memory fit`).toBeGreaterThan(0.99999);
      expect(Math.abs(truth), `component ${i} vs the population`).toBeGreaterThan(0.999);
    }
    rmSync(path);
  }, 600_000);
});
