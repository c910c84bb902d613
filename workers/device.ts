// The device worker's entry in browsers (and other web hosts): a module Web Worker that connects the device API
// (src/devices/device.ts) to its own message port with Comlink. Node runs workers/device-node.ts instead.

import * as Comlink from 'comlink';
import { createDeviceApi } from '../src/devices/device';

Comlink.expose(createDeviceApi(() => self.close()));
