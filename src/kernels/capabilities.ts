// What the host can run: SIMD, relaxed SIMD, threads (and why not), and so which kernel build a game gets. The one
// module that detects features; `init` (load.ts) can only narrow the arithmetic to plain SIMD.

import { currentHost } from '../hosts/host';
import type { Arithmetic, BuildName } from './exports';

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

/** What this host can run (SIMD, relaxed SIMD, worker devices, hardware threads) and, where worker devices cannot run, why. */
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

/** false once `init` asked for plain SIMD or was handed plain modules. */
let relaxedAllowed = true;

/** Called by `init`: whether relaxed SIMD may be used where the host validates it. */
export function allowRelaxedSimd(allowed: boolean): void {
  relaxedAllowed = allowed;
}

/** The arithmetic that games use from now on (see Capabilities.arithmetic). */
export function arithmetic(): Arithmetic {
  return relaxedAllowed && currentHost().loadsRelaxedKernels && hasRelaxedSimd() ? 'relaxed-simd' : 'simd';
}

/** The build that games on a plain (`shared` false) or shared memory run. */
export function kernelBuild(shared: boolean): BuildName {
  if (arithmetic() === 'relaxed-simd') return shared ? 'relaxed-threads' : 'relaxed';
  return shared ? 'threads' : 'simd';
}

