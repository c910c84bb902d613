// Browsers (and other hosts with fetch and module Web Workers): kernels fetched next to the package, devices on
// module Web Workers running dist/device.js. The `new URL(…, import.meta.url)` expressions stay literal in the
// published files so that bundlers (Vite, webpack, rollup with an asset plugin) find the files and copy them.

import { fetchKernels, fetchLocation } from './bytes';
import { workerName, type BuildName, type DeviceWorker, type Host } from './host';

// Literal URLs relative to this file, one per build, so that bundlers see every file (rollup re-expresses them
// relative to dist/ in the package's bundles). Each host keeps its own copy: shared, they moved to a chunk that
// the other entries import, and a bundler of one entry would meet another host's code (tested on the tarball).
function kernelFile(build: BuildName): URL {
  switch (build) {
    case 'simd': return new URL('../../wasm/eigengame.simd.wasm', import.meta.url);
    case 'threads': return new URL('../../wasm/eigengame.threads.wasm', import.meta.url);
    case 'relaxed': return new URL('../../wasm/eigengame.relaxed.wasm', import.meta.url);
    case 'relaxed-threads': return new URL('../../wasm/eigengame.relaxed-threads.wasm', import.meta.url);
  }
}

export const webHost: Host = {
  name: 'browser',

  loadKernels: (build, url) => fetchKernels(url ?? kernelFile(build)),

  loadsRelaxedKernels: true,

  openFile: fetchLocation,

  workersUnavailable: () => (typeof Worker === 'function' ? null : 'this host has no Web Workers'),

  hardwareThreads: () => globalThis.navigator?.hardwareConcurrency || 1,

  async spawnWorker(device: number, url: URL | null): Promise<DeviceWorker> {
    const worker = url
      ? new Worker(url, { type: 'module', name: workerName(device) })
      : new Worker(new URL('../../dist/device.js', import.meta.url), { type: 'module', name: workerName(device) });
    return {
      endpoint: worker,
      onFailure(listener) {
        worker.addEventListener('error', (event) => listener(`threw ${event.message || 'an uncaught error (or its script failed to load)'}`));
        worker.addEventListener('messageerror', () => listener('sent a message that could not be read'));
      },
      terminate() {
        worker.terminate();
        return Promise.resolve();
      },
      keepAlive() {},
    };
  },
};
