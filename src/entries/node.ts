// The package entry for Node (`node` condition, import and require): kernels from the package's files, devices on
// worker_threads.
import { installHost } from '../host';
import { nodeHost } from '../host-node';

installHost(nodeHost);

export * from '../api';
