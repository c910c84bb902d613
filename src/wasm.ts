// Loading the kernels and detecting what the host can run: the one module that knows about capabilities.
//
// Four builds of the same AssemblyScript sources ship in ../wasm, two memories × two kinds of arithmetic: `simd`
// imports a plain memory and runs everywhere WebAssembly SIMD does; `threads` imports a shared memory for hosts
// that can share it with workers; `relaxed` and `relaxed-threads` are the same with relaxed SIMD's fused
// multiply-add (`f32x4.relaxed_madd`) in the hot kernels, chosen only where the host validates relaxed SIMD.
// Where their files are and how to compile them is the installed host's business (host.ts); `init` lets the
// application hand them over instead (edge runtimes, custom hosting).

import { resolveLocation } from './bytes';
import { describe } from './describe';
import { currentHost } from './host';

export type BuildName = 'simd' | 'threads' | 'relaxed' | 'relaxed-threads';

/** The arithmetic of the kernels: plain SIMD (a multiply and an add, two roundings) or relaxed SIMD (fused). */
export type Arithmetic = 'simd' | 'relaxed-simd';

/** Whether a build imports a shared memory (the builds that devices on workers run). */
export function isSharedBuild(build: BuildName): boolean {
  return build === 'threads' || build === 'relaxed-threads';
}

/** The kernel exports, typed. Pointers are byte offsets into the module's memory. */
export interface KernelExports {
  heapBase(): number;
  subtractMean(x: number, rows: number, d: number, mean: number): number;
  firstNonFinite(x: number, count: number): number;
  columnSums(x: number, rows: number, d: number, sums: number): void;
  project(x: number, rows: number, d: number, v: number, players: number, p: number, ldp: number): void;
  backproject(x: number, rows: number, d: number, p: number, ldp: number, players: number, g: number): void;
  dataTerm(x: number, rows: number, d: number, v: number, players: number, p: number, ldp: number, g: number): void;
  gram(p: number, rows: number, ldp: number, k: number, m: number): void;
  addF32(dst: number, src: number, n: number): void;
  addF64(dst: number, src: number, n: number): void;
  divideF32(x: number, n: number, divisor: number): void;
  divideF64(x: number, n: number, divisor: number): void;
  utilities(m: number, k: number, u: number): void;
  direction(
    g: number, m: number, v: number, k: number, d: number, first: number, count: number,
    alpha: boolean, riemannian: boolean, out: number,
  ): void;
  sgd(params: number, delta: number, trace: number, n: number, learningRate: number, momentum: number, nesterov: boolean): void;
  adam(
    params: number, delta: number, firstMoment: number, secondMoment: number, n: number,
    learningRate: number, b1: number, b2: number, eps: number, epsRoot: number, correction1: number, correction2: number,
  ): void;
  normalizeRows(v: number, rows: number, d: number): void;
}

/** WebAssembly pages are 64 KiB; wasm32 addresses at most 65536 of them (4 GiB). */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

/** A module with one function that applies the SIMD instruction `op` to `operands` zero vectors. */
function probeModule(operands: number, op: number[]): Uint8Array<ArrayBuffer> {
  const zeros = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0x00, ...new Array<number[]>(operands).fill(zeros).flat(), ...op, 0x0b];
  const code = [0x01, body.length, ...body];
  // Header; type section: () -> v128; function section; code section.
  return new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, code.length, ...code]);
}

const SIMD_PROBE = probeModule(2, [0xfd, 0xe4, 0x01]); // f32x4.add
const RELAXED_SIMD_PROBE = probeModule(3, [0xfd, 0x85, 0x02]); // f32x4.relaxed_madd

/** Whether this host validates WebAssembly SIMD (every build needs it). */
export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Whether this host validates relaxed SIMD (fused multiply-add): Chrome ≥ 114, Firefox ≥ 146, Node ≥ 22. */
export function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
}

let postable: boolean | undefined;

/** Whether a shared WebAssembly.Memory can be posted to another thread (what the pool sends every device). */
function sharedMemoryPostable(): boolean {
  if (postable === undefined) {
    try {
      const channel = new MessageChannel();
      channel.port1.postMessage(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
      channel.port1.close();
      channel.port2.close();
      postable = true;
    } catch {
      postable = false;
    }
  }
  return postable;
}

/**
 * Why this host cannot run devices on workers, or null if it can: it needs SharedArrayBuffer, a page that is
 * cross-origin isolated (browsers hand out shared memory only then), workers, and shared memory that can be posted
 * to them.
 */
export function threadsUnavailable(): string | null {
  // Browsers hide SharedArrayBuffer from pages that are not isolated: name the cause the page can fix.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return 'this host has no SharedArrayBuffer';
  }
  const workers = currentHost().workersUnavailable();
  if (workers) return workers;
  if (!sharedMemoryPostable()) return 'this host cannot post shared WebAssembly memory to a worker';
  return null;
}

/** What this host can run, and so what eigengame will run on it. */
export interface Capabilities {
  /** Which package entry is running: 'node' (worker_threads), 'browser' (Web Workers), 'edge' (one thread). */
  host: 'node' | 'browser' | 'edge';
  /** WebAssembly SIMD: every build needs it. */
  simd: boolean;
  /** Relaxed SIMD (fused multiply-add) is validated by the host. */
  relaxedSimd: boolean;
  /**
   * The kernels' arithmetic: 'relaxed-simd' where the host validates it, can load the relaxed builds itself (not
   * the edge entries) and `init` did not ask for plain SIMD; 'simd' otherwise. The two round differently, so the
   * same seed gives the same bits only within one arithmetic (on any number of devices).
   */
  arithmetic: Arithmetic;
  /** Devices can run on workers over one shared memory; false: one in-thread device. */
  threads: boolean;
  /** Why `threads` is false (null when it is true). */
  threadsUnavailable: string | null;
  /** Logical processors: what `devices: 'auto'` starts from. */
  hardwareThreads: number;
}

export function capabilities(): Capabilities {
  const host = currentHost();
  const whyNot = threadsUnavailable();
  return {
    host: host.name,
    simd: hasSimd(),
    relaxedSimd: hasRelaxedSimd(),
    arithmetic: arithmetic(),
    threads: whyNot === null,
    threadsUnavailable: whyNot,
    hardwareThreads: host.hardwareThreads(),
  };
}

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
/** false once `init` asked for plain SIMD or was handed plain modules. */
let relaxedAllowed = true;

/** The arithmetic that games use from now on (see Capabilities.arithmetic). */
export function arithmetic(): Arithmetic {
  return relaxedAllowed && currentHost().loadsRelaxedKernels && hasRelaxedSimd() ? 'relaxed-simd' : 'simd';
}

/** The build that games on a plain (`shared` false) or shared memory run. */
export function kernelBuild(shared: boolean): BuildName {
  if (arithmetic() === 'relaxed-simd') return shared ? 'relaxed-threads' : 'relaxed';
  return shared ? 'threads' : 'simd';
}

/** Every function the kernels export: a module that lacks one is not ours (or is of another version). */
const KERNEL_NAMES: (keyof KernelExports)[] = [
  'heapBase', 'subtractMean', 'firstNonFinite', 'columnSums', 'project', 'backproject', 'dataTerm', 'gram', 'addF32', 'addF64', 'divideF32', 'divideF64',
  'utilities', 'direction', 'sgd', 'adam', 'normalizeRows',
];

export const FILE_NAMES: Record<BuildName, string> = {
  simd: 'eigengame.simd.wasm',
  threads: 'eigengame.threads.wasm',
  relaxed: 'eigengame.relaxed.wasm',
  'relaxed-threads': 'eigengame.relaxed-threads.wasm',
};

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
  relaxedAllowed = options.relaxedSimd !== false && options.module === undefined && options.threadsModule === undefined;
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

/** Compiles a wasm file from a URL, streaming where the server sends the wasm MIME type. */
export async function fetchKernels(url: URL): Promise<WebAssembly.Module> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new Error(`could not fetch eigengame's kernels from ${url.href}: ${String(cause)}`);
  }
  if (!response.ok) throw new Error(`could not fetch eigengame's kernels from ${url.href}: HTTP ${response.status}`);
  const streams = typeof WebAssembly.compileStreaming === 'function'
    && response.headers.get('content-type')?.split(';')[0].trim() === 'application/wasm';
  return streams ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
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
  const instance = await WebAssembly.instantiate(await compiledModule(build), { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
