// Every code block of README.md runs as pasted, from the packed package, in the host it is written for:
//   ```js         an ES module run by Node in a project with the package installed (and the data files the
//                 README's examples name: data.npy, data.csv, big.npy)
//   ```html       a page served next to node_modules, in Chromium
//   ```js worker  an edge function's module (export default { fetch }), bundled as Vercel's edge runtime bundles
//                 it, answering a POST of rows, with wasm code generation forbidden
//   ```js edge    top-level code for `eigengame/edge`, bundled the same way, its .wasm import a compiled module
//   ```sh         `npx eigengame …` lines, run in that project (the set-up commands, npm ci && …, are CI's own)
//   ```           the CLI's --help text, which must be what `eigengame --help` prints
// A block of another kind fails the test: a new kind must say how it is checked.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

const packed = inject('packed');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

interface Block {
  info: string;
  code: string;
  line: number;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const fence = /^```(.*)\n([\s\S]*?)^```$/gm;
  for (let match; (match = fence.exec(markdown));) {
    found.push({ info: match[1].trim(), code: match[2], line: markdown.slice(0, match.index).split('\n').length });
  }
  return found;
}

const all = blocks(readme);
const ofKind = (info: string) => all.filter((block) => block.info === info);
const KINDS = ['js', 'html', 'js worker', 'js edge', 'sh', ''];

// The data files the README's examples read, written into the consumer project.
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
  writeFileSync(join(packed.consumer, 'classes.csv'), `${[...names, 'species'].join(',')}\n${classes.join('\n')}\n`);
});

describe('README.md', () => {
  it(`has only code blocks whose kind says how they are checked (${all.length} blocks)`, () => {
    expect(all.filter((block) => !KINDS.includes(block.info)).map(({ info, line }) => `line ${line}: ${info}`)).toEqual([]);
  });

  it.each(ofKind('js').map((block) => [block.line, block]))('the Node example at line %i runs', (line, block) => {
    const file = join(packed.consumer, `readme-${line}.mjs`);
    writeFileSync(file, block.code);
    const result = spawnSync(process.execPath, [file], { cwd: packed.consumer, encoding: 'utf8', timeout: 120_000 });
    expect(result.status, `${result.stderr}\n${block.code}`).toBe(0);
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
    const shown = ofKind('').filter((block) => block.code.startsWith('Usage: eigengame'));
    expect(shown.length).toBe(1);
    expect(shown[0].code).toBe(help);
  });
});

describe("README.md's edge examples, in Vercel's edge runtime (wasm code generation forbidden)", () => {
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

  /** Bundles `entry` (a module in the consumer project that imports the README's code) and serves one request. */
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

  it.each(ofKind('js worker').map((block) => [block.line, block]))('the edge function at line %i answers a POST of rows', async (line, block) => {
    const rows = [[2.5, 2.4, 0.1, 1], [0.5, 0.7, 0.3, 2], [2.2, 2.9, 0.2, 1], [1.9, 2.2, 0.5, 3], [3.1, 3.0, 0.4, 2]];
    const { status, body } = await serveOnce(`readme-${line}`, {
      'function.mjs': block.code,
      'entry.mjs': `import handler from './readme-${line}-function.mjs';
        addEventListener('fetch', (event) => event.respondWith(handler.fetch(event.request)));`,
    }, new Request('https://edge.test/', { method: 'POST', body: JSON.stringify(rows) }));
    expect(status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ components: expect.any(Array), ratio: expect.any(Array) });
  }, 60_000);

  it.each(ofKind('js edge').map((block) => [block.line, block]))('the eigengame/edge example at line %i runs', async (line, block) => {
    // Top-level code runs when the function first serves: its imports stay on top, the rest becomes the handler.
    const imports = block.code.split('\n').filter((text) => text.startsWith('import '));
    const body = block.code.split('\n').filter((text) => !text.startsWith('import ')).join('\n');
    const { status, body: answer } = await serveOnce(`readme-${line}`, {
      'entry.mjs': `${imports.join('\n')}
        addEventListener('fetch', (event) => event.respondWith((async () => {
          ${body}
          return new Response('ran');
        })().catch((error) => new Response(String(error && error.stack || error), { status: 500 }))));`,
    }, new Request('https://edge.test/'));
    expect(status, answer).toBe(200);
  }, 60_000);
});

describeIfAvailable("README.md's browser examples, in Chromium", chromiumMissing(), () => {
  const browser = useChromium();
  let server: StaticServer;
  const pages = Object.fromEntries(ofKind('html').map((block) => [`/readme-${block.line}.html`, block.code]));
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
