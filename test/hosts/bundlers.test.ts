// Apps built by users' bundlers from the packed tarball: the same small app (the conformance cases on 2 devices)
// built with Vite and with rollup (plus the standard asset plugin for `new URL(…, import.meta.url)`), served with
// COOP/COEP and run in Chromium. The bundlers must find the worker and the wasm files on their own.

import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { runPage, useChromium } from './chromium';
import { expectSameBits, expectedBuild, goldenFile, reference, type CaseResults } from './reference';
import { chromiumMissing, describeIfAvailable } from './requirements';
import { serve, type StaticServer } from './server';

const packed = inject('packed');
const repository = new URL('../..', import.meta.url).pathname;

const MAIN = `
import * as eigengame from 'eigengame';
import { runCases } from './test/hosts/cases.mjs';
import { report } from './test/hosts/page-harness.mjs';
import golden from './golden.js';
report(() => runCases(eigengame, { devices: 2, golden }));
`;
const INDEX = '<!doctype html><meta charset="utf-8"><title>eigengame app</title><script type="module" src="./main.js"></script>';

/** A consumer app's sources: index.html, main.js and the conformance files it imports, under the consumer project. */
function writeApp(name: string): string {
  const app = join(packed.consumer, name);
  mkdirSync(join(app, 'test/hosts'), { recursive: true });
  mkdirSync(join(app, 'scripts'), { recursive: true });
  cpSync(join(repository, 'test/hosts/cases.mjs'), join(app, 'test/hosts/cases.mjs'));
  cpSync(join(repository, 'test/hosts/page-harness.mjs'), join(app, 'test/hosts/page-harness.mjs'));
  cpSync(join(repository, 'scripts/planted.mjs'), join(app, 'scripts/planted.mjs'));
  // The golden file as a module of its own: every bundler reads JavaScript, not all of them JSON.
  writeFileSync(join(app, 'golden.js'), `export default ${readFileSync(goldenFile, 'utf8')};\n`);
  writeFileSync(join(app, 'main.js'), MAIN);
  writeFileSync(join(app, 'index.html'), INDEX);
  return app;
}

/** Every file under `directory`, relative to it. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1));
}

const builds: Record<string, (app: string) => Promise<string>> = {
  async vite(app) {
    const { build } = await import('vite');
    const outDir = join(app, 'dist');
    await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    return outDir;
  },
  async rollup(app) {
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const { importMetaAssets } = await import('@web/rollup-plugin-import-meta-assets');
    const outDir = join(app, 'dist');
    const bundle = await rollup({ input: join(app, 'main.js'), plugins: [nodeResolve({ browser: true }), importMetaAssets()] });
    await bundle.write({ dir: outDir, format: 'es' });
    await bundle.close();
    writeFileSync(join(outDir, 'index.html'), INDEX);
    return outDir;
  },
};

describeIfAvailable("an app on Vite's dev server", chromiumMissing(), () => {
  const browser = useChromium();
  let server: import('vite').ViteDevServer;

  beforeAll(async () => {
    const { createServer } = await import('vite');
    server = await createServer({
      root: writeApp('vite-dev-app'), configFile: false, logLevel: 'warn',
      server: {
        host: '127.0.0.1', port: 0, strictPort: false,
        headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
      },
    });
    await server.listen();
  }, 120_000);
  afterAll(() => server?.close());

  it('runs pca on 2 module Web Workers in Chromium with the reference bits', async () => {
    const result = await runPage<CaseResults>(browser(), server.resolvedUrls!.local[0]);
    expect(result.startDevices).toEqual({ warm: 2 });
    expect(result.pca.backend).toMatchObject({ kind: 'workers', devices: 2, build: expectedBuild(result.capabilities.arithmetic, 'workers') });
    expectSameBits(result, await reference(result.capabilities.arithmetic));
  }, 120_000);
});

for (const [bundler, buildApp] of Object.entries(builds)) {
  describeIfAvailable(`an app built with ${bundler}`, chromiumMissing(), () => {
    const browser = useChromium();
    let server: StaticServer;
    let output: string[] = [];

    beforeAll(async () => {
      const outDir = await buildApp(writeApp(`${bundler}-app`));
      output = filesUnder(outDir);
      server = await serve({ '/': outDir }, { isolated: true });
    }, 120_000);
    afterAll(() => server?.close());

    it('emits the four wasm builds and the device worker', () => {
      expect(output.filter((file) => file.endsWith('.wasm')).length, output.join(', ')).toBe(4);
      expect(output.some((file) => /device.*\.js$/.test(file)), output.join(', ')).toBe(true);
    });

    it('runs pca on 2 module Web Workers in Chromium with the reference bits', async () => {
      const result = await runPage<CaseResults>(browser(), `${server.origin}/index.html`);
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.startDevices).toEqual({ warm: 2 });
    expect(result.pca.backend).toMatchObject({ kind: 'workers', devices: 2, build: expectedBuild(result.capabilities.arithmetic, 'workers') });
      expect(result.mainThreadWaits).toBe(0);
      expectSameBits(result, await reference(result.capabilities.arithmetic));
    }, 120_000);
  });
}
