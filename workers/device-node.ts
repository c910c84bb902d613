// The device worker's entry in Node: a worker_threads worker that connects the device API (src/devices/device.ts) to its
// parent port with Comlink's Node adapter.

import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createDeviceApi } from '../src/devices/device';

if (!parentPort) throw new Error('dist/device-node.js is eigengame\'s device worker: it runs in a worker thread, not on its own');
Comlink.expose(createDeviceApi((code) => process.exit(code)), nodeEndpoint(parentPort));
