// The device worker's entry: connects the device API (src/device.ts) to the worker's message port with Comlink.
// Browsers and Deno run it as a module Web Worker; Node runs it with worker_threads.

import * as Comlink from 'comlink';
import { createDeviceApi } from '../src/device';
import { isNode } from '../src/wasm';

if (isNode()) {
  const { parentPort } = await import('node:worker_threads');
  const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
  Comlink.expose(createDeviceApi((code) => process.exit(code)), nodeEndpoint(parentPort!));
} else {
  Comlink.expose(createDeviceApi(() => self.close()));
}
