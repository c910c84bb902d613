// Loading the kernels: compiling each build once (from the package's own files through the host, or from what the
// application hands `init`: edge runtimes, custom hosting), checking a module is the build it is given as, memories
// and instances. Where the files are and how to compile them is the installed host's business (src/hosts/).

import { describe } from '../describe';
import { resolveLocation } from '../hosts/bytes';
import { currentHost } from '../hosts/host';
import { allowRelaxedSimd, capabilities, hasSimd, kernelBuild, type Capabilities } from './capabilities';
import { warmUp } from './warm';
import { FILE_NAMES, KERNEL_NAMES, MAX_PAGES, PAGE_BYTES, isSharedBuild, type BuildName, type KernelExports } from './exports';

declare global {
  // TypeScript declares WebAssembly in its DOM lib only: a Node project compiled without that lib would not find the
  // namespace that KernelSource names. An empty interface merges with the DOM lib's declaration where it is present.
  namespace WebAssembly {
    interface Module {}
  }
}

/**
 * Kernels handed to `init`: a compiled WebAssembly.Module (what edge runtimes' bundlers make of an imported .wasm),
 * the file's bytes, a fetch Response, or where to fetch the file from (URL, or a string relative to the page).
 */
export type KernelSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | URL | string;

/** Options of `init`: the kernels and the worker script handed over, where the package cannot load its own files (edge runtimes, esbuild bundles). */
export interface InitOptions {
  /** The plain build, eigengame.simd.wasm (the only one edge runtimes need). */
  module?: KernelSource | Promise<KernelSource>;
  /** The shared-memory build, eigengame.threads.wasm, for devices on workers. */
  threadsModule?: KernelSource | Promise<KernelSource>;
  /** The device worker script (dist/device.js, or dist/device-node.js in Node) when it is hosted elsewhere. */
  workerUrl?: URL | string;
  /**
   * Use the relaxed-SIMD builds (fused multiply-add) where the host supports them (default true). false: always the
   * plain SIMD builds, e.g. for the same bits as a host without relaxed SIMD. Modules handed over as `module` or
   * `threadsModule` are plain builds, so giving them also means plain SIMD.
   */
  relaxedSimd?: boolean;
}

const compiled = new Map<BuildName, Promise<WebAssembly.Module>>();
let deviceWorkerUrl: URL | null = null;

function isModule(value: unknown): boolean {
  // A brand check, not instanceof: edge runtimes hand over modules made in another realm.
  return Object.prototype.toString.call(value) === '[object WebAssembly.Module]';
}

function toUrl(location: URL | string, option: string): URL {
  const url = resolveLocation(location);
  if (!url) throw new TypeError(`init: ${option} is not a valid URL: ${describe(location)}`);
  return url;
}

async function compileSource(build: BuildName, source: unknown, option: string): Promise<WebAssembly.Module> {
  // Checked as unknown: WebAssembly.Module's type matches any object, and callers may not use TypeScript.
  if (isModule(source)) return source as WebAssembly.Module;
  if (source instanceof URL || typeof source === 'string') return currentHost().loadKernels(build, toUrl(source, option));
  const isResponse = typeof Response === 'function' && source instanceof Response;
  if (!isResponse && !(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
    throw new TypeError(
      `init: ${option} must be a WebAssembly.Module, the bytes of ${FILE_NAMES[build]}, a Response or a URL; got ${describe(source)}`,
    );
  }
  try {
    return isResponse ? WebAssembly.compile(await (source as Response).arrayBuffer()) : await WebAssembly.compile(source as BufferSource);
  } catch (cause) {
    throw new Error(`init: ${option} could not be compiled (edge runtimes forbid compiling bytes: pass a WebAssembly.Module): ${String(cause)}`);
  }
}

/** Rejects a module that is not the build it is given as, before any game relies on it. */
function checkKernels(build: BuildName, module: WebAssembly.Module, option: string): void {
  const exported = new Set(WebAssembly.Module.exports(module).map(({ name }) => name));
  const missing = KERNEL_NAMES.filter((name) => !exported.has(name));
  const memory = WebAssembly.Module.imports(module).find(({ kind }) => kind === 'memory');
  if (missing.length > 0 || !memory) {
    throw new TypeError(
      `init: ${option} is not eigengame's ${FILE_NAMES[build]}${missing.length ? ` (it lacks ${missing.join(', ')})` : ''}`,
    );
  }
  if (build === 'simd') {
    try {
      new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES }) } });
    } catch (cause) {
      throw new TypeError(`init: ${option} is not eigengame's ${FILE_NAMES.simd} (is it ${FILE_NAMES.threads}?): ${String(cause)}`);
    }
  }
}

/**
 * Prepares the kernels before the first game: compiles the builds this host will use (so a missing or blocked
 * file fails here, with its URL), or takes them from `options` (edge runtimes: `init({ module })` with
 * eigengame.simd.wasm imported as a WebAssembly.Module; custom hosting: URLs). Optional on hosts that can load the
 * package's own files (Node, browsers, the `workerd` and `edge-light` entries). Resolves to the host's capabilities.
 */
export async function init(options: InitOptions = {}): Promise<Capabilities> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`init: options must be an object, got ${describe(options)}`);
  const known = new Set(['module', 'threadsModule', 'workerUrl', 'relaxedSimd']);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new TypeError(`init: unknown option ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  if (!hasSimd()) throw new Error('eigengame needs WebAssembly SIMD, which this JavaScript host does not support');
  if (options.relaxedSimd !== undefined && typeof options.relaxedSimd !== 'boolean') {
    throw new TypeError(`init: relaxedSimd must be a boolean, got ${describe(options.relaxedSimd)}`);
  }
  if (options.workerUrl !== undefined) deviceWorkerUrl = toUrl(options.workerUrl, 'workerUrl');
  allowRelaxedSimd(options.relaxedSimd !== false && options.module === undefined && options.threadsModule === undefined);
  const given = { simd: options.module, threads: options.threadsModule };
  for (const build of ['simd', 'threads'] as const) {
    const option = build === 'simd' ? 'module' : 'threadsModule';
    if (given[build] === undefined) continue;
    const module = await compileSource(build, await given[build]!, option);
    checkKernels(build, module, option);
    compiled.set(build, Promise.resolve(module));
  }
  const found = capabilities();
  if (options.module === undefined) await compiledModule(kernelBuild(false));
  if (found.threads && options.threadsModule === undefined) await compiledModule(kernelBuild(true));
  return found;
}

/** The compiled module of a build: the one given to `init`, or the package's own, compiled once per process. */
export function compiledModule(build: BuildName): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = hasSimd()
      ? currentHost().loadKernels(build, null)
      : Promise.reject(new Error('eigengame needs WebAssembly SIMD, which this JavaScript host does not support'));
    compiled.set(build, module);
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/** The device worker script given to `init`, if any (null: the package's own). */
export function workerUrl(): URL | null {
  return deviceWorkerUrl;
}

/** A memory of `pages` pages for a build: shared (with the wasm32 maximum) for the threads builds, plain otherwise. */
export function createMemory(build: BuildName, pages: number): WebAssembly.Memory {
  if (pages > MAX_PAGES) {
    throw new RangeError(`needs ${pages} pages of WebAssembly memory, more than the wasm32 limit of ${MAX_PAGES} (4 GiB)`);
  }
  try {
    return isSharedBuild(build)
      ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
  } catch (cause) {
    throw new RangeError(`could not allocate ${pages * PAGE_BYTES} bytes of WebAssembly memory: ${String(cause)}`);
  }
}

/** Instantiates a build on a memory. Instances hold no state of their own, so many can share one memory. */
export async function instantiate(build: BuildName, memory: WebAssembly.Memory): Promise<KernelExports> {
  const module = await compiledModule(build);
  warmUp(module, () => createMemory(build, 2));
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
