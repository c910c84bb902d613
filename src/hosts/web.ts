// Browsers (and other hosts with fetch and module Web Workers): kernels fetched next to the package, devices on
// module Web Workers running dist/device.js. The `new URL(…, import.meta.url)` expressions stay literal in the
// published files so that bundlers (Vite, webpack, rollup with an asset plugin) find the files and copy them.

import { fetchKernels, fetchLocation } from './bytes';
import { workerName, type DeviceWorker, type Host } from './host';
import { kernelFile } from './kernel-files';

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
