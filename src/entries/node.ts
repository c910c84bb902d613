// The package entry for Node (`node` condition, import and require): kernels from the package's files, devices on
// worker_threads.
import { installHost } from '../hosts/host';
import { nodeHost } from '../hosts/node';

installHost(nodeHost);

export * from '../api';
