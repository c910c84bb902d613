// Edge runtimes: one thread, no workers, and no compiling wasm from bytes. The conformance cases run in
// - Cloudflare workerd, on a Worker bundled as wrangler bundles it (esbuild, conditions workerd/worker/browser, the
//   .wasm import kept as a module of the Worker), served by the real workerd binary;
// - Vercel's edge runtime (the edge-runtime package, with wasm code generation forbidden as in production), on a
//   function bundled as Vercel bundles it (conditions edge-light/worker/browser, `.wasm?module` imports bound to
//   WebAssembly.Module globals), and through `eigengame/edge` with `init({ module })`.
// Both must give the reference bits.

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { EdgeRuntime } from 'edge-runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectSameBits, goldenFile, reference, type CaseResults } from './reference';
import { describeIfAvailable } from './requirements';
import { WORKERD_VERSION, workerd as workerdPackage, workerdMissing } from './workerd';

const packed = inject('packed');
const repository = new URL('../..', import.meta.url).pathname;
const simdWasm = join(packed.consumer, 'node_modules/eigengame/wasm/eigengame.simd.wasm');

/** An edge function's source directory under the consumer project, with the conformance files it imports. */
function writeFunction(name: string, source: string): string {
  const directory = join(packed.consumer, name);
  mkdirSync(join(directory, 'test/hosts'), { recursive: true });
  mkdirSync(join(directory, 'scripts'), { recursive: true });
  copyFileSync(join(repository, 'test/hosts/cases.mjs'), join(directory, 'test/hosts/cases.mjs'));
  copyFileSync(join(repository, 'scripts/planted.mjs'), join(directory, 'scripts/planted.mjs'));
  copyFileSync(goldenFile, join(directory, 'golden.json'));
  writeFileSync(join(directory, 'function.mjs'), source);
  return directory;
}

async function bundle(directory: string, options: { conditions: string[]; format: 'esm' | 'iife'; plugin: Plugin }): Promise<string> {
  const outfile = join(directory, 'out', 'function.js');
  await build({
    entryPoints: [join(directory, 'function.mjs')], bundle: true, outfile, platform: 'neutral', target: 'es2022',
    mainFields: ['browser', 'module', 'main'], conditions: options.conditions, format: options.format,
    plugins: [options.plugin], logLevel: 'silent',
  });
  return readFileSync(outfile, 'utf8');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeIfAvailable(`Cloudflare workerd ${WORKERD_VERSION}`, workerdMissing(), () => {
  let workerd: ChildProcess | undefined;
  let origin = '';
  let stderr = '';

  beforeAll(async () => {
    const directory = writeFunction('workerd-app', `
      import * as eigengame from 'eigengame';
      import { runCases } from './test/hosts/cases.mjs';
      import golden from './golden.json';
      export default {
        async fetch(request) {
          if (new URL(request.url).pathname === '/compile-bytes') {
            return WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
              .then(() => new Response('compiled'), (error) => new Response(String(error)));
          }
          try {
            return Response.json(await runCases(eigengame, { devices: 'auto', golden }));
          } catch (error) {
            return new Response(String(error && error.stack || error), { status: 500 });
          }
        },
      };
    `);
    // What wrangler does with a .wasm import: the file becomes a wasm module of the Worker, imported by name.
    const wasmModules: Plugin = {
      name: 'wasm-modules',
      setup(esbuild) {
        esbuild.onResolve({ filter: /\.wasm$/ }, ({ path, resolveDir }) => {
          copyFileSync(join(resolveDir, path), join(directory, 'out', basename(path)));
          return { path: `./${basename(path)}`, external: true };
        });
      },
    };
    mkdirSync(join(directory, 'out'), { recursive: true });
    await bundle(directory, { conditions: ['workerd', 'worker', 'browser'], format: 'esm', plugin: wasmModules });
    const port = await freePort();
    writeFileSync(join(directory, 'out', 'config.capnp'), `
      using Workerd = import "/workerd/workerd.capnp";
      const config :Workerd.Config = (
        services = [(name = "main", worker = .worker)],
        sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
      );
      const worker :Workerd.Worker = (
        modules = [
          (name = "function.js", esModule = embed "function.js"),
          (name = "eigengame.simd.wasm", wasm = embed "eigengame.simd.wasm"),
        ],
        compatibilityDate = "${workerdPackage().compatibilityDate}",
      );
    `);
    workerd = spawn(workerdPackage().binary, ['serve', join(directory, 'out', 'config.capnp')], { stdio: ['ignore', 'ignore', 'pipe'] });
    workerd.stderr!.on('data', (chunk) => (stderr += chunk));
    origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (workerd.exitCode !== null) throw new Error(`workerd exited with code ${workerd.exitCode}: ${stderr}`);
      try {
        await fetch(`${origin}/ready`);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`workerd did not listen within 30 s: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 120_000);
  afterAll(() => {
    workerd?.kill();
  });

  it('forbids compiling wasm from bytes, as Cloudflare does', async () => {
    expect(await (await fetch(`${origin}/compile-bytes`)).text()).toMatch(/Wasm code generation disallowed/i);
  });

  it('a Worker importing the package answers a PCA request with the reference bits, in one thread', async () => {
    const response = await fetch(`${origin}/pca`);
    const body = await response.text();
    expect(response.status, body + stderr).toBe(200);
    const result = JSON.parse(body) as CaseResults;
    expect(result.capabilities).toMatchObject({ host: 'edge', threads: false, threadsUnavailable: 'edge runtimes have no workers' });
    expect(result.startDevices).toEqual({ refused: 'startDevices: device workers need threads, but edge runtimes have no workers' });
    expect(result.pca.backend).toEqual({ kind: 'in-thread', devices: 1, build: 'simd' });
    expect(result.warnings).toEqual([]);
    expectSameBits(result, await reference());
  }, 60_000);
});

describe("Vercel's edge runtime (wasm code generation forbidden)", () => {
  let module: WebAssembly.Module;
  beforeAll(async () => {
    module = await WebAssembly.compile(readFileSync(simdWasm));
  });

  /** What Vercel's bundler does with `import m from './x.wasm?module'`: a global bound to the compiled module. */
  const wasmBindings: Plugin = {
    name: 'wasm-bindings',
    setup(esbuild) {
      esbuild.onResolve({ filter: /\.wasm\?module$/ }, ({ path }) => ({ path: basename(path, '.wasm?module'), namespace: 'wasm-binding' }));
      esbuild.onLoad({ filter: /.*/, namespace: 'wasm-binding' }, ({ path }) => ({
        contents: `export default globalThis[${JSON.stringify(`wasm_${path.replace(/\W/g, '_')}`)}];`, loader: 'js',
      }));
    },
  };

  async function runEdgeFunction(name: string, source: string): Promise<{ status: number; body: string }> {
    const directory = writeFunction(name, `
      ${source}
      addEventListener('fetch', (event) => {
        event.respondWith(handle().then(
          (result) => Response.json(result),
          (error) => new Response(String(error && error.stack || error), { status: 500 }),
        ));
      });
    `);
    const code = await bundle(directory, { conditions: ['edge-light', 'worker', 'browser'], format: 'iife', plugin: wasmBindings });
    const runtime = new EdgeRuntime({
      codeGeneration: { strings: false, wasm: false },
      extend: (context) => Object.assign(context, { wasm_eigengame_simd: module }),
      initialCode: code,
    });
    const response = await runtime.dispatchFetch('https://edge.test/pca');
    await response.waitUntil();
    return { status: response.status, body: await response.text() };
  }

  it('forbids compiling wasm from bytes, as production does', async () => {
    const { status, body } = await runEdgeFunction('edge-probe', `
      async function handle() { await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); return {}; }
    `);
    expect(status).toBe(500);
    expect(body).toMatch(/Wasm code generation disallowed/i);
  });

  it('a function importing the package (edge-light) answers with the reference bits, in one thread', async () => {
    const { status, body } = await runEdgeFunction('edge-light-app', `
      import * as eigengame from 'eigengame';
      import { runCases } from './test/hosts/cases.mjs';
      import golden from './golden.json';
      const handle = () => runCases(eigengame, { devices: 'auto', golden });
    `);
    expect(status, body).toBe(200);
    const result = JSON.parse(body) as CaseResults;
    expect(result.capabilities).toMatchObject({ host: 'edge', threads: false });
    expect(result.startDevices).toEqual({ refused: 'startDevices: device workers need threads, but edge runtimes have no workers' });
    expect(result.pca.backend).toMatchObject({ kind: 'in-thread', devices: 1, build: 'simd' });
    expectSameBits(result, await reference());
  }, 60_000);

  it('eigengame/edge runs once init({ module }) has the kernels, and says so before', async () => {
    const { status, body } = await runEdgeFunction('edge-init-app', `
      import * as eigengame from 'eigengame/edge';
      import { runCases } from './test/hosts/cases.mjs';
      import golden from './golden.json';
      async function handle() {
        const before = await eigengame.pca([[1, 2], [3, 5], [4, 4]], { k: 1 }).then(() => 'ran', (error) => error.message);
        const fromBytes = await eigengame.init({ module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) })
          .then(() => 'compiled', (error) => error.message);
        const capabilities = await eigengame.init({ module: globalThis.wasm_eigengame_simd });
        return { before, fromBytes, initCapabilities: capabilities, ...(await runCases(eigengame, { golden })) };
      }
    `);
    expect(status, body).toBe(200);
    const result = JSON.parse(body) as CaseResults & { before: string; fromBytes: string; initCapabilities: unknown };
    expect(result.before).toMatch(/call init\(\{ module \}\) first/);
    expect(result.fromBytes).toMatch(/init: module could not be compiled \(edge runtimes forbid compiling bytes/);
    expect(result.initCapabilities).toMatchObject({ host: 'edge', simd: true, threads: false });
    expectSameBits(result, await reference());
  }, 60_000);
});
