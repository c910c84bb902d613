// Every code block of README.md and docs/*.md runs as pasted, from the packed package, in the host it is written for:
//   ```js         an ES module run by Node in a project with the package installed (and the data files the
//                 README's examples name: data.npy, data.csv, big.npy, classes.csv, data.parquet)
//   ```html       a page served next to node_modules, in Chromium
//   ```js worker  an edge function's module (export default { fetch }), bundled as Vercel's edge runtime bundles
//                 it, answering a POST of rows, with wasm code generation forbidden
//   ```js edge    top-level code for `eigengame/edge`, bundled the same way, its .wasm import a compiled module
//   ```sh         `npx eigengame …` lines, run in that project (the set-up commands, npm ci && …, are CI's own)
//   ```           the CLI's --help text, which must be what `eigengame --help` prints
//   ```output     right after a ```js block: what that example prints, compared with its stdout (whitespace
//                 collapsed); `output tol=ε` compares each number within ε (relative above 1, absolute below)
// A block of another kind fails the test: a new kind must say how it is checked. Every relative link between the
// documents must name a file that exists and, after #, one of its headings.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { EdgeRuntime } from 'edge-runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useChromium } from './hosts/chromium';
import { chromiumMissing, describeIfAvailable } from './hosts/requirements';
import { serve, type StaticServer } from './hosts/server';
import { npyBytes } from './helpers/npy';
import { sampledData } from './helpers/sampled';
import { gappedSpectrum } from '../scripts/planted.mjs';
import { covariance, pencilEigen, rowCosine } from './helpers/pencil-reference';

const packed = inject('packed');
const root = new URL('..', import.meta.url);
const documents = ['README.md', ...readdirSync(new URL('docs/', root)).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const texts = new Map(documents.map((document) => [document, readFileSync(new URL(document, root), 'utf8')]));

interface Block {
  document: string;
  info: string;
  code: string;
  line: number;
  /** The ```output block that follows a ```js block: what the example prints. */
  output?: { text: string; tolerance: number };
}

function blocks(document: string, markdown: string): Block[] {
  const found: Block[] = [];
  const fence = /^```(.*)\n([\s\S]*?)^```$/gm;
  for (let match; (match = fence.exec(markdown));) {
    found.push({ document, info: match[1].trim(), code: match[2], line: markdown.slice(0, match.index).split('\n').length });
  }
  return found;
}

const all = documents.flatMap((document) => blocks(document, texts.get(document)!));
const OUTPUT = /^output(?: tol=(\S+))?$/;
// Each output block belongs to the ```js block right before it in its document.
for (const [i, block] of all.entries()) {
  const match = OUTPUT.exec(block.info);
  const example = all[i - 1];
  if (match && example?.document === block.document && example.info === 'js' && !example.output) {
    example.output = { text: block.code, tolerance: match[1] === undefined ? 0 : Number(match[1]) };
    block.info = 'output';
  } else if (match) {
    block.info = 'output without a js block before it';
  }
}
const ofKind = (info: string) => all.filter((block) => block.info === info);
const where = (block: Block) => `${block.document}:${block.line}`;
const KINDS = ['js', 'html', 'js worker', 'js edge', 'sh', '', 'output'];

const NUMBER = /(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i;

/**
 * Whether an example printed what its document says: the same text with whitespace collapsed, every number within
 * `tolerance` of the documented one (relative to it above 1 in magnitude, absolute below).
 */
function printsAsDocumented(printed: string, documented: string, tolerance: number): boolean {
  const parts = (text: string) => text.trim().replace(/\s+/g, ' ').split(NUMBER);
  const [got, want] = [parts(printed), parts(documented)];
  if (got.length !== want.length) return false;
  return want.every((part, i) => (i % 2 === 0
    ? part === got[i]
    : Math.abs(Number(got[i]) - Number(part)) <= tolerance * Math.max(1, Math.abs(Number(part)))));
}

/** GitHub's anchor of a heading: its text lower-cased, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{M}\p{N}_ -]/gu, '').replace(/ /g, '-');
}

// The data files the documents' examples read, written into the consumer project.
beforeAll(() => {
  const d = 12;
  const sample = sampledData(2000, d, gappedSpectrum(d, 10, 0.2, 0.5), 11);
  writeFileSync(join(packed.consumer, 'data.npy'), npyBytes(sample.data, sample.rows, d));
  writeFileSync(join(packed.consumer, 'big.npy'), npyBytes(sample.data, sample.rows, d));
  const names = ['x', 'y', 'z', ...Array.from({ length: d - 3 }, (_, c) => `c${c + 3}`)];
  const lines = Array.from({ length: sample.rows }, (_, r) => Array.from(sample.data.subarray(r * d, (r + 1) * d)).join(','));
  writeFileSync(join(packed.consumer, 'data.csv'), `${names.join(',')}\n${lines.join('\n')}\n`);
  // lda's example: the same rows in three classes (a numeric label column), the classes' means apart.
  const classes = Array.from({ length: sample.rows }, (_, r) => {
    const species = r % 3;
    return [...Array.from(sample.data.subarray(r * d, (r + 1) * d), (value, c) => value + (c < 3 ? 2 * species : 0)), species].join(',');
  });
  copyFileSync(new URL('fixtures/parquet/table-zstd.parquet', import.meta.url), join(packed.consumer, 'data.parquet'));
  writeFileSync(join(packed.consumer, 'classes.csv'), `${[...names, 'species'].join(',')}\n${classes.join('\n')}\n`);
});

const fileName = (block: Block) => `${block.document.replace(/\W/g, '-')}-${block.line}`;

describe('README.md and docs/*.md', () => {
  it(`have only code blocks whose kind says how they are checked (${all.length} blocks in ${documents.length} documents)`, () => {
    expect(all.filter((block) => !KINDS.includes(block.info)).map((block) => `${where(block)}: ${block.info}`)).toEqual([]);
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const [document, text] of texts) {
      const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path, hash] = target.split('#');
        const file = path === '' ? document : new URL(path, new URL(document, root)).pathname.slice(new URL(root).pathname.length);
        const linked = texts.get(file) ?? (() => {
          try { return readFileSync(new URL(file, root), 'utf8'); } catch { return undefined; }
        })();
        if (linked === undefined) broken.push(`${document}: ${target} (no file ${file})`);
        else if (hash !== undefined && !linked.split('\n').some((line) => /^#+ /.test(line) && anchor(line.replace(/^#+ /, '')) === hash)) {
          broken.push(`${document}: ${target} (no heading #${hash} in ${file})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('README.md stays short and shows the two set-up commands CI runs, verbatim', () => {
    const readme = texts.get('README.md')!;
    expect(readme.split('\n').length).toBeLessThanOrEqual(350);
    const commands = ofKind('sh').filter((block) => block.document === 'README.md').map((block) => block.code.trim());
    expect(commands).toEqual(expect.arrayContaining(['npm ci && npm start', 'npm ci && npm test']));
    // .ci/run is CI: it must run what the README says.
    expect(readFileSync(new URL('.ci/run', root), 'utf8')).toMatch(/^npm ci\nnpm test$/m);
  });

  it('are written as reference, not as history', () => {
    const history = /\bused to\b|\(before,|\bthis round\b|\bearlier rounds\b|\bno longer (?:does|is|needs|has)\b|\bnow [a-z]+ instead\b/i;
    const found = [...texts].flatMap(([document, text]) => text.split('\n')
      .map((line, i) => ({ line, where: `${document}:${i + 1}` })).filter(({ line }) => history.test(line)));
    expect(found.map(({ where, line }) => `${where}: ${line}`)).toEqual([]);
  });

  it('compares printed output by its text and numbers within the stated tolerance', () => {
    expect(printsAsDocumented('Float64Array(2) [\n  0.55155605,\n  0.5 ] 2000', 'Float64Array(2) [ 0.551556, 0.5 ] 2000', 1e-6)).toBe(true);
    expect(printsAsDocumented('[ 0.5516 ] 2000', '[ 0.551556 ] 2000', 1e-6)).toBe(false);
    expect(printsAsDocumented('[ 0.551556 ] 2001', '[ 0.551556 ] 2000', 1e-6)).toBe(false);
    expect(printsAsDocumented('{ busy: 0 }', '{ idle: 0 }', 0)).toBe(false);
  });

  it.each(ofKind('js').map((block) => [where(block), block]))('the Node example at %s runs and prints what it documents', (_, block) => {
    const file = join(packed.consumer, `${fileName(block)}.mjs`);
    writeFileSync(file, block.code);
    const result = spawnSync(process.execPath, [file], { cwd: packed.consumer, encoding: 'utf8', timeout: 120_000 });
    expect(result.status, `${result.stderr}\n${block.code}`).toBe(0);
    if (block.output) {
      expect(printsAsDocumented(result.stdout, block.output.text, block.output.tolerance),
        `printed:\n${result.stdout}\ndocumented (tol ${block.output.tolerance}):\n${block.output.text}`).toBe(true);
    }
  }, 150_000);

  const cliLines = ofKind('sh').flatMap((block) => block.code.split('\n').map((text) => text.replace(/\s+#.*$/, '').trim()))
    .filter((text) => text.startsWith('npx eigengame '));
  it.each(cliLines)('the CLI example `%s` runs', (command) => {
    const bin = join(packed.consumer, 'node_modules/.bin/eigengame');
    const args = command.replace(/^npx eigengame /, '').split(/\s+/);
    const result = spawnSync(bin, args, { cwd: packed.consumer, encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stderr).toBe(0);
  }, 150_000);

  it('shows the CLI help as the command prints it', () => {
    const help = execFileSync(join(packed.consumer, 'node_modules/.bin/eigengame'), ['--help'], { encoding: 'utf8' });
    const shown = ofKind('').filter((block) => block.code.startsWith('Usage: eigengame <command>'));
    expect(shown.length).toBe(1);
    expect(shown[0].code).toBe(help);
  });
});

describe("The documents' edge examples, in Vercel's edge runtime (wasm code generation forbidden)", () => {
  const simd = join(packed.consumer, 'node_modules/eigengame/wasm/eigengame.simd.wasm');
  let kernels: WebAssembly.Module;
  beforeAll(async () => {
    kernels = await WebAssembly.compile(readFileSync(simd));
  });

  /** `.wasm` imports (with or without `?module`) bound to the compiled module, as the platforms' bundlers do. */
  const wasmModules: Plugin = {
    name: 'wasm-modules',
    setup(esbuild) {
      esbuild.onResolve({ filter: /\.wasm(\?module)?$/ }, ({ path }) => ({ path: basename(path), namespace: 'wasm-module' }));
      esbuild.onLoad({ filter: /.*/, namespace: 'wasm-module' }, () => ({ contents: 'export default globalThis.kernels;', loader: 'js' }));
    },
  };

  /** Bundles `entry` (a module in the consumer project that imports the document's code) and serves one request. */
  async function serveOnce(name: string, files: Record<string, string>, request: Request): Promise<{ status: number; body: string }> {
    for (const [file, source] of Object.entries(files)) writeFileSync(join(packed.consumer, `${name}-${file}`), source);
    const outfile = join(packed.consumer, `${name}-out.js`);
    await build({
      entryPoints: [join(packed.consumer, `${name}-entry.mjs`)], bundle: true, outfile, platform: 'neutral', target: 'es2022',
      mainFields: ['browser', 'module', 'main'], conditions: ['edge-light', 'worker', 'browser'], format: 'iife',
      plugins: [wasmModules], logLevel: 'silent',
    });
    const runtime = new EdgeRuntime({
      codeGeneration: { strings: false, wasm: false },
      extend: (context) => Object.assign(context, { kernels }),
      initialCode: readFileSync(outfile, 'utf8'),
    });
    const response = await runtime.dispatchFetch(request.url, request);
    await response.waitUntil();
    return { status: response.status, body: await response.text() };
  }

  it.each(ofKind('js worker').map((block) => [where(block), block]))('the edge function at %s answers a POST of rows with their components', async (_, block) => {
    const name = fileName(block);
    const rows = [[2.5, 2.4, 0.1, 1], [0.5, 0.7, 0.3, 2], [2.2, 2.9, 0.2, 1], [1.9, 2.2, 0.5, 3], [3.1, 3.0, 0.4, 2]];
    const { status, body } = await serveOnce(name, {
      'function.mjs': block.code,
      'entry.mjs': `import handler from './${name}-function.mjs';
        addEventListener('fetch', (event) => event.respondWith(handler.fetch(event.request)));`,
    }, new Request('https://edge.test/', { method: 'POST', body: JSON.stringify(rows) }));
    expect(status, body).toBe(200);
    const answer = JSON.parse(body) as { components: number[]; ratio: number[] };
    // Against float64: the top 3 eigenpairs of the rows' covariance, the ratios as shares of its trace.
    const d = 4;
    const c = covariance(Float64Array.from(rows.flat()), rows.length, d);
    const identity = Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
    const exact = pencilEigen(c, identity, d, 3);
    const trace = c[0] + c[5] + c[10] + c[15];
    expect(answer.ratio.length).toBe(3);
    expect(answer.components.length).toBe(3 * d);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(answer.ratio[i] - exact.values[i] / trace), `ratio ${i}`).toBeLessThan(1e-6);
      expect(rowCosine(answer.components, exact.vectors, i, d), `|cos| of component ${i}`).toBeGreaterThan(0.99999);
    }
  }, 60_000);

  it.each(ofKind('js edge').map((block) => [where(block), block]))('the eigengame/edge example at %s runs', async (_, block) => {
    const name = fileName(block);
    // Top-level code runs when the function first serves: its imports stay on top, the rest becomes the handler.
    const imports = block.code.split('\n').filter((text) => text.startsWith('import '));
    const body = block.code.split('\n').filter((text) => !text.startsWith('import ')).join('\n');
    const { status, body: answer } = await serveOnce(name, {
      'entry.mjs': `${imports.join('\n')}
        addEventListener('fetch', (event) => event.respondWith((async () => {
          ${body}
          return new Response('ran');
        })().catch((error) => new Response(String(error && error.stack || error), { status: 500 }))));`,
    }, new Request('https://edge.test/'));
    expect(status, answer).toBe(200);
  }, 60_000);
});

describeIfAvailable("The documents' browser examples, in Chromium", chromiumMissing(), () => {
  const browser = useChromium();
  let server: StaticServer;
  const pages = Object.fromEntries(ofKind('html').map((block) => [`/${fileName(block)}.html`, block.code]));
  beforeAll(async () => {
    server = await serve({ '/': packed.consumer }, { isolated: true, pages });
  });
  afterAll(() => server.close());

  it.each(Object.keys(pages))('the page %s runs without an error and logs its result', async (path) => {
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      const logged = page.waitForEvent('console', { predicate: (message) => /Float32Array|Float64Array/.test(message.text()), timeout: 60_000 });
      await page.goto(`${server.origin}${path}`);
      await logged;
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
