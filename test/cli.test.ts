// The eigengame command: every command and its exit codes (0 ok, 1 failure, 2 usage), and the streaming promise:
// a 1 GiB .npy fitted with a 64 MB JavaScript heap and a peak RSS far below the file's size, giving the components
// of the in-memory fit.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpySource, PCAModel, pca } from '../src/entries/node';
import { encodeNpyHeader } from '../src/npy';
import { gappedSpectrum, plantedData } from '../scripts/planted.mjs';
import { npyBytes } from './helpers/npy';
import { sampledData } from './helpers/sampled';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const probe = new URL('./helpers/rss-probe.mjs', import.meta.url).pathname;
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
writeFileSync(join(directory, 'data.csv'), `${header}\n${Array.from({ length: sample.rows }, (_, r) => Array.from(sample.data.subarray(r * d, (r + 1) * d)).join(',')).join('\n')}\n`);

describe('eigengame (CLI)', () => {
  it('--help documents the commands and the exit codes', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fit <file>/);
    expect(stdout).toMatch(/Exit codes: 0 success; 1 failure .*; 2 usage/s);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], /a command is needed: fit, transform or info/],
    [['fitt', 'data.npy'], /unknown command "fitt"/],
    [['fit', 'data.npy'], /fit needs -k <k>/],
    [['fit', 'data.npy', '-k', 'x'], /--k must be an integer ≥ 1, got "x"/],
    [['fit', 'data.npy', '-k', '2', '--bogus'], /Unknown option '--bogus'/],
    [['fit', 'data.npy', '-k', '2', '--devices', '0'], /--devices must be a positive integer or auto/],
    [['fit', 'data.bin', '-k', '2'], /cannot tell its format from its name/],
    [['transform', 'model.json', 'data.npy'], /transform needs --out/],
    [['transform', 'model.json', 'data.npy', '--out', 'x.txt'], /--out must end in \.npy, \.csv or \.tsv/],
    [['info'], /usage: eigengame info <file>/],
    [['info', 'data.npy', '--columns', '1,2'], /data\.npy is a \.npy file: columns only apply to CSV/],
  ])('usage errors exit with 2: %j', (args, message) => {
    const { code, stderr } = run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/see eigengame --help/);
  });

  it('failures exit with 1 and say what failed', () => {
    writeFileSync(join(directory, 'bad.csv'), 'a,b\n1,2\n3,oops\n');
    let result = run(['fit', 'bad.csv', '-k', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/eigengame: bad\.csv: line 3, column 2 \("b"\): "oops" is not a finite number/);
    result = run(['info', 'missing.npy']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing\.npy: could not open it: ENOENT/);
    result = run(['fit', 'data.npy', '-k', '30']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/k = 30 is larger than d = 24/);
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
    expect(fitted.stderr).toMatch(/^(epoch \d\/2|exact pass \d+), step \d+, [\d.]+k? rows\/s/m);
    const model = PCAModel.fromJSON(readFileSync(join(directory, 'model.json'), 'utf8'));
    const inMemory = await pca(sample, { k, devices: 1 });
    for (let i = 0; i < k; i++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += model.components[i * d + c] * inMemory.components[i * d + c];
      expect(Math.abs(dot)).toBeGreaterThan(0.999999);
    }
    const json = JSON.parse(run(['fit', 'data.csv', '-k', String(k), '--out', 'model-csv.json', '--json', '--devices', '1']).stdout);
    expect(json).toMatchObject({ model: 'model-csv.json', k, d, rows: 3000 });
    expect(PCAModel.fromJSON(readFileSync(join(directory, 'model-csv.json'), 'utf8')).components).toEqual(model.components);
    expect(run(['fit', 'data.npy', '-k', '2', '--quiet', '--out', 'q.json']).stdout).toBe('');
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

    const rssFile = join(directory, 'rss.txt');
    const fitted = run(['fit', 'big.npy', '-k', String(top), '--out', 'big-model.json', '--json'], {
      nodeFlags: ['--max-old-space-size=64', '--import', probe], env: { EIGENGAME_RSS_FILE: rssFile },
    });
    expect(fitted.code, fitted.stderr).toBe(0);
    const peakMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
    console.log(`1 GiB .npy: CLI fit in ${JSON.parse(fitted.stdout).seconds.toFixed(1)} s, peak RSS ${peakMiB.toFixed(0)} MiB`);
    expect(peakMiB).toBeLessThan(256);

    const streamed = PCAModel.fromJSON(readFileSync(join(directory, 'big-model.json'), 'utf8'));
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
