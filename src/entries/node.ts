// The package entry for Node (`node` condition, import and require): kernels from the package's files, devices on
// worker_threads.
import { installHost } from '../hosts/host';
import { nodeHost } from '../hosts/node';

installHost(nodeHost);

/** Installs Node's host, for a program that takes the API through this entry and must know it ran (the CLI). */
export function installNodeHost(): void {
  installHost(nodeHost);
}

export * from '../api';
