// The package as users get it: the tarball `npm pack` makes, installed in a scratch project, imported by a plain
// ESM script and by a CommonJS `require`, and checked by TypeScript. Also the truth behind every host suite: the
// reference run of the conformance cases (test/hosts/cases.mjs) finds the planted eigenvectors and follows the
// golden trajectory.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { expectSameBits, golden, goldenFile, plantedTruth, reference, type CaseResults } from './reference';

const packed = inject('packed');
const casesUrl = new URL('./cases.mjs', import.meta.url).href;

function runNode(file: string, source: string): CaseResults {
  writeFileSync(join(packed.consumer, file), source);
  const output = execFileSync(process.execPath, [file], { cwd: packed.consumer, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(output) as CaseResults;
}

describe('the reference run of the conformance cases', () => {
  it('finds the planted eigenvectors', async () => {
    const { pca } = await reference();
    const { eigenvectors, k, d } = plantedTruth();
    for (let i = 0; i < k; i++) {
      let cos = 0;
      for (let c = 0; c < d; c++) cos += pca.components[i * d + c] * eigenvectors[i * d + c];
      expect(Math.abs(cos), `component ${i}`).toBeGreaterThan(0.9999);
    }
  });

  it('follows the golden trajectory of the seed rule', async () => {
    const { golden: run } = await reference();
    run!.trajectory.forEach((step, t) => {
      const expected = golden.steps[t] as { utilities: number[]; V: number[][] };
      step.utilities.forEach((u, i) => expect(Math.abs(u - expected.utilities[i]) / Math.abs(expected.utilities[i])).toBeLessThan(1e-4));
      expected.V.flat().forEach((v, i) => expect(Math.abs(step.V[i] - v)).toBeLessThan(1e-4));
    });
  });
});

describe('the packed tarball', () => {
  it(`holds the builds, the workers, the types and the README, and nothing of the tests (${packed.size} bytes)`, () => {
    console.log(`npm pack: ${packed.size} bytes, ${packed.files.length} files: ${packed.files.join(', ')}`);
    for (const file of [
      'package.json', 'README.md', 'LICENSE', 'dist/index.d.ts', 'dist/node.js', 'dist/node.cjs', 'dist/browser.js',
      'dist/edge.js', 'dist/workerd.js', 'dist/edge-light.js', 'dist/device.js', 'dist/device-node.js', 'dist/cli.js',
      'wasm/eigengame.simd.wasm', 'wasm/eigengame.threads.wasm', 'wasm/eigengame.relaxed.wasm',
      'wasm/eigengame.relaxed-threads.wasm',
    ]) expect(packed.files, file).toContain(file);
    expect(packed.files.filter((file) => !/^(dist|wasm)\//.test(file)).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(packed.files.filter((file) => /(^|\/)(test|src|assembly|bench|scripts)\/|\.map$|\.ts$/.test(file) && file !== 'dist/index.d.ts')).toEqual([]);
  });

  it('maps every exports condition to a file it holds', () => {
    const manifest = JSON.parse(readFileSync(join(packed.consumer, 'node_modules/eigengame/package.json'), 'utf8'));
    const targets: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(manifest.exports);
    expect(Object.keys(manifest.exports['.'])).toEqual(['types', 'workerd', 'edge-light', 'node', 'browser', 'worker', 'default']);
    for (const target of targets.filter((path) => !path.includes('*'))) {
      expect(packed.files, target).toContain(target.replace(/^\.\//, ''));
    }
    expect(manifest.sideEffects).toBe(false);
  });

  it("keeps the wasm and worker URLs literal for bundlers, and each host's specifics in its own entry", () => {
    const read = (file: string) => readFileSync(join(packed.consumer, 'node_modules/eigengame', file), 'utf8');
    const browser = read('dist/browser.js');
    expect(browser).toContain("new URL('../wasm/eigengame.simd.wasm', import.meta.url)");
    expect(browser).toContain("new URL('../wasm/eigengame.threads.wasm', import.meta.url)");
    expect(browser).toContain("new URL('../wasm/eigengame.relaxed.wasm', import.meta.url)");
    expect(browser).toContain("new URL('../wasm/eigengame.relaxed-threads.wasm', import.meta.url)");
    expect(browser).toContain("new Worker(new URL('./device.js', import.meta.url), { type: 'module'");
    expect(read('dist/node.js')).toContain("new URL('./device-node.js', import.meta.url)");
    expect(read('dist/workerd.js')).toMatch(/^import kernels from '\.\.\/wasm\/eigengame\.simd\.wasm';$/m);
    expect(read('dist/edge-light.js')).toMatch(/^import kernels from '\.\.\/wasm\/eigengame\.simd\.wasm\?module';$/m);
    const shared = packed.files.filter((file) => /^dist\/core-.*\.js$/.test(file));
    expect(shared.length).toBeGreaterThan(0);
    // Code (not comments) that would break a host it does not belong to.
    const code = (file: string) => read(file).replace(/\/\/.*$/gm, '');
    for (const file of ['dist/browser.js', 'dist/device.js', ...shared]) expect(code(file), file).not.toMatch(/['"]node:/);
    for (const file of ['dist/edge.js', 'dist/workerd.js', 'dist/edge-light.js', ...shared]) {
      expect(code(file), file).not.toMatch(/new Worker|import\.meta\.url|['"]node:/);
    }
    for (const file of ['dist/device.js', 'dist/device-node.js']) expect(code(file), file).not.toMatch(/^import (?!\{ parentPort \} from 'node:worker_threads')/m);
  });

  it('runs from a plain ESM script, on 2 worker devices, with the reference bits', async () => {
    const result = runNode('esm.mjs', `
      import * as eigengame from 'eigengame';
      import { readFileSync } from 'node:fs';
      const { runCases } = await import(${JSON.stringify(casesUrl)});
      const golden = JSON.parse(readFileSync(${JSON.stringify(goldenFile.pathname)}, 'utf8'));
      process.stdout.write(JSON.stringify(await runCases(eigengame, { devices: 2, golden })));
    `);
    expect(result.capabilities).toMatchObject({ host: 'node', threads: true });
    expect(result.startDevices).toEqual({ warm: 2 });
    expect(result.pca.backend).toMatchObject({ kind: 'workers', devices: 2 });
    expect(result.startDevices).toEqual({ warm: 2 });
    expect(result.golden!.backend).toMatchObject({ kind: 'workers', devices: 2 });
    expectSameBits(result, await reference());
  });

  it('runs from a CommonJS require, on 2 worker devices, with the reference bits', async () => {
    const result = runNode('cjs.cjs', `
      const eigengame = require('eigengame');
      const { readFileSync } = require('node:fs');
      import(${JSON.stringify(casesUrl)}).then(async ({ runCases }) => {
        const golden = JSON.parse(readFileSync(${JSON.stringify(goldenFile.pathname)}, 'utf8'));
        process.stdout.write(JSON.stringify(await runCases(eigengame, { devices: 2, golden })));
      });
    `);
    expect(result.pca.backend).toMatchObject({ kind: 'workers', devices: 2 });
    expect(result.startDevices).toEqual({ warm: 2 });
    expectSameBits(result, await reference());
  });

  it('installs the eigengame command', () => {
    const bin = join(packed.consumer, 'node_modules/.bin/eigengame');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(JSON.parse(readFileSync(join(packed.consumer, 'node_modules/eigengame/package.json'), 'utf8')).version);
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toMatch(/Usage: eigengame <command>/);
  });

  it('installs without install scripts (npm 11 warns about every package that has them)', () => {
    const project = join(packed.directory, 'plain-install');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'plain-install', private: true }));
    const installed = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', packed.tarball], { cwd: project, encoding: 'utf8' });
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stderr).not.toMatch(/install-scripts|eigengame@/);
    const { scripts } = JSON.parse(readFileSync(join(project, 'node_modules/eigengame/package.json'), 'utf8'));
    expect(Object.keys(scripts).filter((name) => /^(pre|post)?install$|^prepare$/.test(name))).toEqual([]);
  }, 60_000);

  it('type-checks a Node-only TypeScript consumer (no DOM lib)', () => {
    writeFileSync(join(packed.consumer, 'node-only.ts'), `
      import { init, pca, type KernelSource } from 'eigengame';
      export async function fit(rows: number[][], kernels: KernelSource) {
        await init({ module: kernels });
        return (await pca(rows, { k: 2 })).components;
      }
    `);
    writeFileSync(join(packed.consumer, 'tsconfig.node-only.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        lib: ['ES2022'], types: ['node'], typeRoots: [new URL('../../node_modules/@types', import.meta.url).pathname],
        skipLibCheck: false,
      },
      files: ['node-only.ts'],
    }));
    const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    const checked = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.node-only.json'], { cwd: packed.consumer, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  }, 60_000);

  it('type-checks a TypeScript consumer of every entry', () => {
    writeFileSync(join(packed.consumer, 'consumer.ts'), `
      import { capabilities, init, pca, EigenGame, type Backend, type Capabilities, type PCAModel } from 'eigengame';
      import * as edge from 'eigengame/edge';
      export async function fit(rows: number[][]): Promise<[PCAModel, Backend | null, Capabilities]> {
        await init();
        const model = await pca(rows, { k: 2, devices: 'auto' });
        const game = await EigenGame.create({ d: 3, k: 2 });
        game.dispose();
        await edge.init({ module: new WebAssembly.Module(new Uint8Array(8)) });
        return [model, model.backend, capabilities()];
      }
    `);
    writeFileSync(join(packed.consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false,
      },
      files: ['consumer.ts'],
    }));
    const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: packed.consumer, encoding: 'utf8' });
  }, 60_000);
});
