// The figures that README.md and docs/*.md quote, written from their sources rather than from memory: the package's
// size and files from `npm pack --dry-run --json`, the benchmark's numbers from bench/results.md (`npm run bench`).
//
// A document marks each place with `<!-- figures:NAME -->` … `<!-- /figures -->`; this script rewrites what lies
// between from the source named NAME:
//   pack      one line: the tarball's size, unpacked size, file count and its .wasm files
//   headline  a table of the headline numbers, each from its row of bench/results.md
//   bench     every table of bench/results.md, with its notes (its first heading left out)
//   sparse    pca on the sparse sets beside scikit-learn's arpack (and TruncatedSVD's randomized), from the rows of
//             bench/results.md's Sparse section
//   sklearn   cca, pls and lda of the built package (dist/, one in-thread device, plain SIMD) on the data sets of
//             test/fixtures/sklearn-generalized.json, beside scikit-learn's and scipy's answers stored there
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
  // The flat-tails table has the same columns but a residual and the variance captured (a share) in place of the
  // subspace distance and the smallest |cos|.
  const flat = (row) => row[8]?.endsWith('%');
  // Both tables have 10 columns; the sparse table's 11 (it has its own block, `sparse`).
  const dense = (row) => row.length === 10;
  const pcaRows = find((row) => row[1] === 'eigengame pca (defaults)' && row[3]?.endsWith('×') && dense(row) && !flat(row), 'pca (defaults) beside numpy');
  const ratios = pcaRows.map((row) => number(row[3]));
  const distances = pcaRows.map((row) => number(row[7]));
  const cosines = pcaRows.map((row) => number(row[8]));
  const flatRows = find((row) => row[1] === 'eigengame pca (defaults)' && row[3]?.endsWith('×') && dense(row) && flat(row), 'pca (defaults) on flat tails');
  const stream = find((row) => row[1]?.startsWith('eigengame CLI'), 'the streamed file through the CLI')[0];
  const sparseRows = find((row) => row[1] === 'eigengame pca (defaults)' && row.length === 11, 'pca (defaults) on the sparse sets');
  const generalized = find((row) => /^(cca|pls|lda), /.test(row[0]) && row.length === 7, 'cca, pls and lda');
  const peers = find((row) => /slower$/.test(row[3] ?? ''), 'the JavaScript peers');
  const steps = find((row) => /^(simd|relaxed-simd)$/.test(row[1]) && row[4]?.endsWith('%'), 'one step of the game');
  const lines = [
    '| measured by `npm run bench` | result |',
    '| --- | --- |',
    `| \`pca\` on ${pcaRows.length} in-memory data sets, time against numpy's route | ${range(ratios, 2, '×')} |`,
    `| \`pca\` against float64 \`eigh\` on those sets: subspace distance, smallest \\|cos\\| | ≤ ${Math.max(...distances).toExponential(1)}, ${Math.min(...cosines).toFixed(6)} |`,
    `| \`pca\` on ${flatRows.length} sets with a flat tail at k (single-cell-like k = 50, embeddings k = 128, k above the rank): time against numpy's route; largest residual, variance captured | ${range(flatRows.map((row) => number(row[3])), 2, '×')}; ≤ ${Math.max(...flatRows.map((row) => number(row[7]))).toExponential(1)}, ${Math.min(...flatRows.map((row) => number(row[8]))).toFixed(4)} % |`,
    `| \`pca\` on ${sparseRows.length} sparse sets (TF-IDF-like, not centred; single-cell-like, centred; k = 50), time against scikit-learn's arpack (pca's workers started first, as scikit-learn's threads); largest residual | ${range(sparseRows.map((row) => number(row[3])), 2, '×')}; ≤ ${Math.max(...sparseRows.map((row) => number(row[7]))).toExponential(1)} |`,
    `| a 512 MiB \`.npy\` streamed through the CLI, against numpy's blocked pass | ${stream[3]} |`,
    `| \`cca\`, \`pls\`, \`lda\` (${generalized.length} planted sets) against numpy/SciPy | ${range(generalized.map((row) => number(row[4])), 1, '×')} |`,
    `| the JavaScript PCA libraries (DruidJS, ml-pca) against \`pca\` | ${range(peers.map((row) => number(row[3])), 1, '× slower')} |`,
    `| one step of the game in one thread, share of the machine's wasm SIMD peak | ${range(steps.map((row) => number(row[4])), 0, ' %')} |`,
  ];
  return lines.join('\n');
}

/** The smallest |cos| between the rows of two k × d matrices (each an array of rows, or row-major). */
function smallestCosine(a, b, k, d) {
  const row = (m, i) => (Array.isArray(m[0]) ? m[i] : Array.from(m.slice(i * d, (i + 1) * d)));
  let smallest = 1;
  for (let i = 0; i < k; i++) {
    const [u, v] = [row(a, i), row(b, i)];
    const dot = u.reduce((sum, x, j) => sum + x * v[j], 0);
    const norms = Math.hypot(...u) * Math.hypot(...v);
    smallest = Math.min(smallest, Math.abs(dot) / norms);
  }
  return smallest;
}

async function sklearn() {
  const { cca, init, pls, lda } = await import(new URL('../dist/node.js', import.meta.url).href);
  // Plain SIMD on every host, so that the figures do not depend on whether the host validates relaxed SIMD.
  await init({ relaxedSimd: false });
  const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/sklearn-generalized.json'), 'utf8'));
  const { diabetes, wine, versions } = fixture;
  const matrix = (data, rows, cols) => ({ data: Float64Array.from(data), rows, cols });
  const [X, Y] = [matrix(diabetes.x, diabetes.n, diabetes.dx), matrix(diabetes.y, diabetes.n, diabetes.dy)];
  const options = { devices: 1 };
  const c = await cca(X, Y, { k: diabetes.cca.k, ...options });
  const p = await pls(X, Y, { k: diabetes.pls.k, ...options });
  const l = await lda(matrix(wine.x, wine.n, wine.d), wine.labels, { k: wine.lda.k, ...options });
  const values = (list, digits) => Array.from(list, (value) => value.toPrecision(digits)).join(', ');
  const exponent = (list) => Array.from(list, (value) => value.toExponential(6)).join(', ');
  const cos = (a, b, k, d) => smallestCosine(a, b, k, d).toFixed(8);
  const agree = l.predict(matrix(wine.x, wine.n, wine.d)).filter((label, r) => label === wine.lda.sklearn.predictions[r]).length;
  // Per direction, up to its sign (each library fixes signs its own way).
  const largestDifference = (a, b, k, d) => Math.max(...Array.from({ length: k }, (_, i) => {
    const [u, v] = [Array.from(a.slice(i * d, (i + 1) * d)), b.slice(i * d, (i + 1) * d)];
    const apart = (sign) => Math.max(...u.map((value, j) => Math.abs(value - sign * v[j])));
    return Math.min(apart(1), apart(-1));
  }));
  return [
    `scikit-learn ${versions.sklearn}, scipy ${versions.scipy}, numpy ${versions.numpy}; eigengame on one in-thread device, plain SIMD.`,
    '',
    '| data | eigengame | scikit-learn | scipy/numpy, float64 | agreement |',
    '| --- | --- | --- | --- | --- |',
    `| diabetes, ${diabetes.n} × (${diabetes.dx} + ${diabetes.dy}), \`cca(X, Y, { k: ${diabetes.cca.k} })\` vs \`CCA(n_components=${diabetes.cca.k})\` `
      + `| ρ = ${values(c.correlations, 7)} | ${values(diabetes.cca.sklearn.correlations, 7)} (NIPALS) | \`eigh(A, B)\`: ${values(diabetes.cca.exact.correlations, 7)} `
      + `| X weights' smallest \\|cos\\| ${cos(c.xWeights, diabetes.cca.sklearn.x, c.k, c.dx)} to scikit-learn's, ${cos(c.xWeights, diabetes.cca.exact.x, c.k, c.dx)} to scipy's |`,
    `| diabetes, \`pls(X, Y, { k: ${diabetes.pls.k} })\` vs \`PLSSVD(${diabetes.pls.k}, scale=False)\` | σ = ${exponent(p.singularValues)} | | \`svd(Cxy)\`: ${exponent(diabetes.pls.exact.singularValues)} `
      + `| X weights' smallest \\|cos\\| ${cos(p.xWeights, diabetes.pls.sklearn.x, p.k, p.dx)} to PLSSVD's |`,
    `| wine, ${wine.n} × ${wine.d}, ${l.classes.length} classes, \`lda(X, labels, { k: ${wine.lda.k} })\` vs \`LinearDiscriminantAnalysis(solver='eigen')\` `
      + `| λ = ${values(l.eigenvalues, 7)}; ratios ${values(l.explainedVarianceRatio, 5)} | ratios ${values(wine.lda.sklearn.explainedVarianceRatio, 5)} | \`eigh(Sb, Sw)\`: ${values(wine.lda.exact.eigenvalues, 7)} `
      + `| scalings within ${largestDifference(l.scalings, wine.lda.sklearn.scalings.flat(), l.k, l.d).toExponential(0)} of scikit-learn's, up to sign (both vᵀ Sw v = 1); ${agree} of ${wine.n} predictions the same |`,
  ].join('\n');
}

/** A sparse table's row: its data cell names the non-zeros; its method cell says which method. */
function sparse() {
  const rows = benchRows().filter((row) => /non-zeros/.test(row[0]) && row.length === 11);
  const sets = [...new Set(rows.map((row) => row[0]))];
  if (sets.length === 0) throw new Error('bench/results.md has no rows of the sparse sets');
  const lines = [
    '| sparse data, k | `pca`: time, route | scikit-learn\'s arpack: time | `pca` / arpack | `pca` with its workers started inside the clock: time, / arpack | `pca`: residual, captured, \\|cos\\| separated | arpack: residual, captured, \\|cos\\| separated | TruncatedSVD randomized: time, captured, \\|cos\\| separated |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const set of sets) {
    const of = (test) => rows.find((row) => row[0] === set && test(row[1]));
    const ours = of((method) => method === 'eigengame pca (defaults)');
    const cold = of((method) => method.startsWith('eigengame pca (defaults), device workers started inside'));
    const arpack = of((method) => /arpack/.test(method));
    const randomized = of((method) => /randomized/.test(method));
    const time = (row) => row[2].replace(/ \(.*\)$/, '');
    const failed = (row) => !row || row[2].startsWith('failed') || row[2].startsWith('did not');
    const accuracy = (row) => `${row[7]}, ${row[8]}, ${row[9]}`;
    const pcaCells = failed(ours) ? [ours ? ours[2] : 'not run', '', ''] : [`${time(ours)}, ${ours[6]}`, failed(arpack) ? '' : ours[3], accuracy(ours)];
    const coldCell = failed(cold) ? (cold?.[2] ?? 'not run') : `${time(cold)}, ${cold[3]}`;
    lines.push(`| ${set} | ${pcaCells[0]} | ${failed(arpack) ? (arpack?.[2] ?? 'not run') : time(arpack)} | ${pcaCells[1]} | ${coldCell} | ${pcaCells[2]} | ${failed(arpack) ? '' : accuracy(arpack)} | ${randomized && !failed(randomized) ? `${time(randomized)}, ${randomized[8]}, ${randomized[9]}` : 'not for centred data'} |`);
  }
  const text = readFileSync(join(root, 'bench/results.md'), 'utf8');
  const section = text.slice(text.indexOf('## Sparse'));
  const run = /This run: ([^.]*?), (commit [^.]*)\./.exec(section.replace(/\s+/g, ' '));
  const load = /when the table began: ([\d.]+); when it ended: ([\d.]+)/.exec(section.replace(/\s+/g, ' '));
  if (!run || !load) throw new Error("bench/results.md's Sparse section names no run or no load average");
  lines.push('', `From bench/results.md's Sparse section: a run of ${run[1]} (${run[2]}), each time the median of fresh-process fits, the `
    + `machine's load average ${load[1]} at its start and ${load[2]} at its end on 2 cores (compare the ratios). The centred native `
    + "method is what scikit-learn ≥ 1.4's `PCA(svd_solver='arpack')` does with sparse input: `svds` on an implicitly centred LinearOperator. "
    + "`pca`'s device workers are started by `startDevices()` before the clock (as scikit-learn's BLAS threads start at its import), but in the column that says otherwise.");
  return lines.join('\n');
}

function bench() {
  const text = readFileSync(join(root, 'bench/results.md'), 'utf8');
  return text.replace(/^# .*\n+/, '').replace(/^(#+) /gm, '#$1 ').trimEnd();
}

const SOURCES = { pack, headline, bench, sklearn, sparse };
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

/** Rewrites every document's blocks (`check`: compares instead); resolves to the differences found. */
export async function figures({ check = false } = {}) {
  const cache = new Map();
  const differences = [];
  for (const document of documents()) {
    const path = join(root, document);
    const markdown = readFileSync(path, 'utf8');
    for (const { name } of blocksOf(markdown)) {
      if (!SOURCES[name]) throw new Error(`${document}: unknown figures block "${name}" (known: ${Object.keys(SOURCES).join(', ')})`);
      if (!cache.has(name)) cache.set(name, await SOURCES[name]());
    }
    const updated = markdown.replace(BLOCK, (_, open, name, text, close) => {
      const fresh = cache.get(name);
      if (!sameFigures(text, fresh)) differences.push({ document, name, documented: text, written: fresh });
      return `${open}\n${fresh}\n${close}`;
    });
    if (!check && updated !== markdown) writeFileSync(path, updated);
  }
  return differences;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const differences = await figures({ check });
  for (const { document, name, documented, written } of differences) {
    console.log(`${document}: figures:${name} ${check ? 'differs from' : 'rewritten to'} what scripts/figures.mjs writes:\n--- documented\n${documented}\n+++ written\n${written}\n`);
  }
  if (check && differences.length > 0) process.exit(1);
}
