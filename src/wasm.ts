// Loading the kernel module and detecting what the host can run: the one place that knows about hosts.
//
// Two builds of the same AssemblyScript sources ship in ../wasm: `simd` imports a plain memory and runs
// everywhere WebAssembly SIMD does; `threads` imports a shared memory for hosts that can share it with workers.
// Both are located with `new URL(..., import.meta.url)` so bundlers can see them.

export type BuildName = 'simd' | 'threads';

/** The kernel exports, typed. Pointers are byte offsets into the module's memory. */
export interface KernelExports {
  heapBase(): number;
  project(x: number, rows: number, d: number, mean: number, v: number, players: number, p: number, ldp: number): void;
  backproject(x: number, rows: number, d: number, mean: number, p: number, ldp: number, players: number, g: number): void;
  dataTerm(
    x: number, rows: number, d: number, mean: number, v: number, players: number, p: number, ldp: number, g: number,
  ): void;
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

// The smallest module that uses a SIMD instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** Whether this host validates WebAssembly SIMD (every build needs it). */
export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/**
 * Why this host cannot run devices on workers, or null if it can: it needs SharedArrayBuffer, a page that is
 * cross-origin isolated (browsers hand out shared memory only then), and workers (Web Workers or worker_threads).
 */
export function threadsUnavailable(): string | null {
  // Browsers hide SharedArrayBuffer from pages that are not isolated: name the cause the page can fix.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)';
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return 'this host has no SharedArrayBuffer';
  }
  if (typeof Worker !== 'function' && !isNode()) return 'this host has no Web Workers';
  return null;
}

/** Whether this is Node (worker_threads, node:fs, node:os are there). */
export function isNode(): boolean {
  return typeof process === 'object' && typeof process.versions?.node === 'string';
}

/** Logical processors of the host (1 when it does not say). */
export async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  if (isNode()) return (await import('node:os')).availableParallelism();
  return 1;
}

const compiled = new Map<BuildName, Promise<WebAssembly.Module>>();

function wasmUrl(build: BuildName): URL {
  return build === 'simd'
    ? new URL('../wasm/eigengame.simd.wasm', import.meta.url)
    : new URL('../wasm/eigengame.threads.wasm', import.meta.url);
}

async function fetchModule(build: BuildName): Promise<WebAssembly.Module> {
  if (!hasSimd()) {
    throw new Error('eigengame needs WebAssembly SIMD, which this JavaScript host does not support');
  }
  const url = wasmUrl(build);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url.href}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** The compiled module of a build, compiled once per process. */
export function compiledModule(build: BuildName): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = fetchModule(build);
    compiled.set(build, module);
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/** A memory of `pages` pages for a build: shared (with the wasm32 maximum) for `threads`, plain otherwise. */
export function createMemory(build: BuildName, pages: number): WebAssembly.Memory {
  if (pages > MAX_PAGES) {
    throw new RangeError(`needs ${pages} pages of WebAssembly memory, more than the wasm32 limit of ${MAX_PAGES} (4 GiB)`);
  }
  try {
    return build === 'threads'
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
