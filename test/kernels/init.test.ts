// init() and capabilities() in Node: every kind of kernel source, and a clear error for each wrong one.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { DevicePool } from '../../src/devices/pool';
import { capabilities, init, pca } from '../../src/entries/node';

const wasm = (name: string) => new URL(`../../wasm/eigengame.${name}.wasm`, import.meta.url);
const rows = [[1, 2, 0], [3, 5, 1], [4, 4, 2], [0, 1, 5]];
const directory = mkdtempSync(join(tmpdir(), 'eigengame-init-'));
/** The name of the custom section that marks a module handed to init. */
const MARKER_SECTION = 'eigengame-test';

describe('capabilities', () => {
  it('reports the Node host with SIMD and threads', () => {
    expect(capabilities()).toMatchObject({ host: 'node', simd: true, threads: true, threadsUnavailable: null });
    expect(capabilities().hardwareThreads).toBeGreaterThanOrEqual(1);
  });

  it('detects relaxed SIMD where the host validates it (Node 20: only behind a flag)', () => {
    const probe = (flags: string[], options = '') => execFileSync(process.execPath, [...flags, '--input-type=module', '-e', `
      import { init } from ${JSON.stringify(new URL('../../dist/node.js', import.meta.url).href)};
      const found = await init(${options});
      process.stdout.write(found.relaxedSimd + ' ' + found.arithmetic);
    `], { encoding: 'utf8' });
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) expect(probe([])).toBe('false simd');
    const flag = ['--experimental-wasm-relaxed-simd'];
    expect(probe(flag)).toBe('true relaxed-simd');
    // Asked for plain SIMD, or handed plain modules: the plain builds.
    expect(probe(flag, '{ relaxedSimd: false }')).toBe('true simd');
    const simd = JSON.stringify(wasm('simd').href);
    expect(probe(flag, `{ module: new URL(${simd}) }`)).toBe('true simd');
  });

  it('rejects a relaxedSimd option that is not a boolean', async () => {
    await expect(init({ relaxedSimd: 'yes' as never })).rejects.toThrow(/relaxedSimd must be a boolean, got "yes"/);
  });
});

describe('init', () => {
  it('with no options compiles the builds this host uses and returns the capabilities', async () => {
    expect(await init()).toEqual(capabilities());
  });

  /** The build's bytes with a custom section naming `marker`: the same kernels, and a module one can recognise. */
  function marked(name: string, marker: string): Uint8Array<ArrayBuffer> {
    const encode = (text: string) => Array.from(new TextEncoder().encode(text));
    const body = [MARKER_SECTION.length, ...encode(MARKER_SECTION), ...encode(marker)];
    if (body.length > 127) throw new Error('a marker this long needs a longer LEB128 size');
    return Uint8Array.from([...readFileSync(wasm(name)), 0, body.length, ...body]);
  }
  const markerOf = (module: WebAssembly.Module) =>
    WebAssembly.Module.customSections(module, MARKER_SECTION).map((section) => new TextDecoder().decode(section)).join();
  const fileOf = (bytes: Uint8Array<ArrayBuffer>, marker: string) => {
    const path = join(directory, `${marker.replace(/\W+/g, '-')}.wasm`);
    writeFileSync(path, bytes);
    return pathToFileURL(path);
  };

  it.each([
    ['a WebAssembly.Module', (bytes: Uint8Array<ArrayBuffer>) => new WebAssembly.Module(bytes)],
    ['bytes', (bytes: Uint8Array<ArrayBuffer>) => bytes],
    ['an ArrayBuffer', (bytes: Uint8Array<ArrayBuffer>) => bytes.slice().buffer],
    ['a file URL', (bytes: Uint8Array<ArrayBuffer>, marker: string) => fileOf(bytes, marker)],
    ['a file URL string', (bytes: Uint8Array<ArrayBuffer>, marker: string) => fileOf(bytes, marker).href],
    ['a Response', (bytes: Uint8Array<ArrayBuffer>) => new Response(bytes)],
    ['a promise of a Module', (bytes: Uint8Array<ArrayBuffer>) => WebAssembly.compile(bytes)],
  ])('takes the kernels as %s, and runs those it was given', async (label, source) => {
    const instantiated = vi.spyOn(WebAssembly, 'instantiate');
    const started = vi.spyOn(DevicePool.prototype, 'start');
    try {
      const threads = `threads from ${label}`;
      await init({ module: source(marked('simd', label), label), threadsModule: fileOf(marked('threads', threads), threads) });
      // The in-thread device instantiates the module handed to init, the workers get the threads module.
      await pca(rows, { k: 1, devices: 1 });
      expect(instantiated.mock.calls.map(([module]) => markerOf(module as WebAssembly.Module))).toContain(label);
      const model = await pca(rows, { k: 1, devices: 2 });
      expect(model.backend).toMatchObject({ kind: 'workers', devices: 2 });
      expect(started.mock.calls.map(([module]) => markerOf(module))).toEqual([threads]);
    } finally {
      instantiated.mockRestore();
      started.mockRestore();
    }
  });

  it.each([
    [{ module: 42 }, /init: module must be a WebAssembly.Module, the bytes of eigengame.simd.wasm, a Response or a URL; got 42/],
    [{ module: {} }, /got \[object Object\]/],
    [{ modul: wasm('simd') }, /init: unknown option modul \(known: module, threadsModule, workerUrl, relaxedSimd\)/],
    [{ module: new Uint8Array([1, 2, 3]) }, /init: module could not be compiled/],
    [{ module: wasm('threads') }, /init: module is not eigengame's eigengame.simd.wasm \(is it eigengame.threads.wasm\?\)/],
    [{ module: new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) }, /init: module is not eigengame's eigengame.simd.wasm \(it lacks heapBase, subtractMean, firstNonFinite/],
    [{ threadsModule: new URL('file:///nowhere/eigengame.threads.wasm') }, /could not read eigengame's kernels at \/nowhere\/eigengame.threads.wasm/],
    [{ workerUrl: 'not a url' }, /init: workerUrl is not a valid URL: "not a url"/],
  ])('rejects %o', async (options, message) => {
    await expect(init(options as never)).rejects.toThrow(message);
  });

  it('rejects options that are not an object', async () => {
    await expect(init(null as never)).rejects.toThrow(/init: options must be an object, got null/);
  });

  it('a worker script that does not exist fails the pool with the cause, and the package\'s own works again', async () => {
    await init({ workerUrl: new URL('file:///nowhere/device.js') });
    await expect(pca(rows, { k: 1, devices: 2 })).rejects.toThrow(/device \d+ .*(Cannot find module|ERR_MODULE_NOT_FOUND|nowhere)/);
    await init({ workerUrl: new URL('../../dist/device-node.js', import.meta.url) });
    expect((await pca(rows, { k: 1, devices: 2 })).backend).toMatchObject({ kind: 'workers' });
  });
});
