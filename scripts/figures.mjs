// The figures that README.md and docs/*.md quote, written from their sources rather than from memory: the package's
// size and files from `npm pack --dry-run --json`, the benchmark's numbers from bench/results.md (`npm run bench`).
//
// A document marks each place with `<!-- figures:NAME -->` … `<!-- /figures -->`; this script rewrites what lies
// between from the source named NAME:
//   pack      one line: the tarball's size, unpacked size, file count and its .wasm files
//   headline  a table of the headline numbers, each from its row of bench/results.md
//   bench     every table of bench/results.md, with its notes (its first heading left out)
//
//   node scripts/figures.mjs           rewrites the blocks
//   node scripts/figures.mjs --check   changes nothing; exits 1 naming each block whose figures differ from what it
//                                      would write (sizes in kB may differ by PACK_SIZE_TOLERANCE, every other
//                                      number and all text must be equal)
// The package is packed with --ignore-scripts: build it first (`npm run build`), as `npm test` does.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The packed size moves with every edit of the code or the README: the docs may lag it by this share. */
export const PACK_SIZE_TOLERANCE = 0.1;

/** The documents that may hold figures blocks. */
export function documents() {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
}

function pack() {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [tarball] = JSON.parse(output);
  const wasm = tarball.files.map((file) => file.path).filter((path) => path.endsWith('.wasm')).sort();
  const kB = (bytes) => `${Math.round(bytes / 1000)} kB`;
  return `\`npm pack\`: ${kB(tarball.size)} (${kB(tarball.unpackedSize)} unpacked), ${tarball.entryCount} files, of which ${wasm.length} `
    + `kernel builds: ${wasm.map((path) => `\`${path}\``).join(', ')}.`;
}

/** The rows of bench/results.md's tables, as arrays of cells. */
function benchRows() {
  return readFileSync(join(root, 'bench/results.md'), 'utf8').split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

const number = (text) => Number.parseFloat(String(text).replace(/[^\d.e+-]/g, ''));
const range = (values, digits, unit = '') => {
  const low = Math.min(...values).toFixed(digits);
  const high = Math.max(...values).toFixed(digits);
  return low === high ? `${low}${unit}` : `${low}–${high}${unit}`;
};

function headline() {
  const rows = benchRows();
  const find = (predicate, what) => {
    const found = rows.filter(predicate);
    if (found.length === 0) throw new Error(`bench/results.md has no row of ${what}`);
    return found;
  };
  const pcaRows = find((row) => row[1] === 'eigengame pca (defaults)' && row[3]?.endsWith('×'), 'pca (defaults) beside numpy');
  const ratios = pcaRows.map((row) => number(row[3]));
  const distances = find((row) => row[1] === 'eigengame pca (defaults)', 'pca (defaults)').map((row) => number(row[7]));
  const cosines = find((row) => row[1] === 'eigengame pca (defaults)', 'pca (defaults)').map((row) => number(row[8]));
  const stream = find((row) => row[1]?.startsWith('eigengame CLI'), 'the streamed file through the CLI')[0];
  const generalized = find((row) => /^(cca|pls|lda), /.test(row[0]) && row.length === 7, 'cca, pls and lda');
  const peers = find((row) => /slower$/.test(row[3] ?? ''), 'the JavaScript peers');
  const steps = find((row) => /^(simd|relaxed-simd)$/.test(row[1]) && row[4]?.endsWith('%'), 'one step of the game');
  const lines = [
    '| measured by `npm run bench` | result |',
    '| --- | --- |',
    `| \`pca\` on ${pcaRows.length} in-memory data sets, time against numpy's route | ${range(ratios, 2, '×')} |`,
    `| \`pca\` against float64 \`eigh\` on those sets: subspace distance, smallest \\|cos\\| | ≤ ${Math.max(...distances).toExponential(1)}, ${Math.min(...cosines).toFixed(6)} |`,
    `| a 512 MiB \`.npy\` streamed through the CLI, against numpy's blocked pass | ${stream[3]} |`,
    `| \`cca\`, \`pls\`, \`lda\` (${generalized.length} planted sets) against numpy/SciPy | ${range(generalized.map((row) => number(row[4])), 1, '×')} |`,
    `| the JavaScript PCA libraries (DruidJS, ml-pca) against \`pca\` | ${range(peers.map((row) => number(row[3])), 1, '× slower')} |`,
    `| one step of the game in one thread, share of the machine's wasm SIMD peak | ${range(steps.map((row) => number(row[4])), 0, ' %')} |`,
  ];
  return lines.join('\n');
}

function bench() {
  const text = readFileSync(join(root, 'bench/results.md'), 'utf8');
  return text.replace(/^# .*\n+/, '').replace(/^(#+) /gm, '#$1 ').trimEnd();
}

const SOURCES = { pack, headline, bench };
const BLOCK = /(<!-- figures:(\w+) -->)\n([\s\S]*?)\n?(<!-- \/figures -->)/g;

/** Each block of `markdown`: its name and what it holds. */
export function blocksOf(markdown) {
  return [...markdown.matchAll(BLOCK)].map((match) => ({ name: match[2], text: match[3] }));
}

/** Whether `documented` states the figures of `written`: the same text, sizes in kB within the tolerance. */
export function sameFigures(documented, written) {
  const split = (text) => text.split(/(\d[\d.]*(?: kB)?)/);
  const [a, b] = [split(documented), split(written)];
  if (a.length !== b.length) return false;
  return a.every((part, i) => {
    if (i % 2 === 0) return part === b[i];
    if (part.endsWith(' kB') && b[i].endsWith(' kB')) return Math.abs(number(part) - number(b[i])) <= PACK_SIZE_TOLERANCE * number(b[i]);
    return part === b[i];
  });
}

/** Rewrites every document's blocks (`check`: compares instead); returns the differences found. */
export function figures({ check = false } = {}) {
  const cache = new Map();
  const written = (name) => {
    if (!SOURCES[name]) throw new Error(`unknown figures block "${name}" (known: ${Object.keys(SOURCES).join(', ')})`);
    if (!cache.has(name)) cache.set(name, SOURCES[name]());
    return cache.get(name);
  };
  const differences = [];
  for (const document of documents()) {
    const path = join(root, document);
    const markdown = readFileSync(path, 'utf8');
    const updated = markdown.replace(BLOCK, (_, open, name, text, close) => {
      const fresh = written(name);
      if (!sameFigures(text, fresh)) differences.push({ document, name, documented: text, written: fresh });
      return `${open}\n${fresh}\n${close}`;
    });
    if (!check && updated !== markdown) writeFileSync(path, updated);
  }
  return differences;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const differences = figures({ check });
  for (const { document, name, documented, written } of differences) {
    console.log(`${document}: figures:${name} ${check ? 'differs from' : 'rewritten to'} what scripts/figures.mjs writes:\n--- documented\n${documented}\n+++ written\n${written}\n`);
  }
  if (check && differences.length > 0) process.exit(1);
}
