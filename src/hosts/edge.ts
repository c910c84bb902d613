// Edge runtimes (Cloudflare workerd, Vercel's edge runtime and the like): no workers, and no compiling wasm from
// bytes at run time, so the kernels come in as a WebAssembly.Module that the host's bundler made from the .wasm
// file: imported by the entry itself (workerd, edge-light conditions) or handed to `init({ module })`.

import { fetchLocation } from './bytes';
import type { Host } from './host';

export function edgeHost(kernels: WebAssembly.Module | null): Host {
  return {
    name: 'edge',
    async loadKernels(build, url) {
      if (build === 'simd' && kernels && !url) return kernels;
      throw new Error(
        'eigengame/edge does not compile WebAssembly from bytes (edge runtimes forbid it): import eigengame.simd.wasm '
          + "as a module and call init({ module }) first (see the README's \"Quick start: edge\")",
      );
    },
    loadsRelaxedKernels: false,
    openFile: fetchLocation,
    workersUnavailable: () => 'edge runtimes have no workers',
    hardwareThreads: () => 1,
    spawnWorker: () => Promise.reject(new Error('edge runtimes have no workers')),
  };
}
