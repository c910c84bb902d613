// What differs between the hosts eigengame runs on: where the package's own kernel files are and how to compile
// them, whether device workers can start, how many processors there are. Each package entry (src/entries/) installs
// one host before anything else runs, so no host's code (node: imports, Worker URLs, wasm imports) ends up in
// another host's bundle. The hosts are the bottom layer: they know the kernels' files by build name and nothing
// else of the package (feature probes, init and capabilities are src/kernels/).

import type { Endpoint } from 'comlink';
import type { ByteFile, ByteStream } from './bytes';

/** The kernel builds a host can load, by name (src/kernels/exports.ts says what each is). */
export type BuildName = 'simd' | 'threads' | 'relaxed' | 'relaxed-threads';

/** Limits a device worker starts with (where the host can set them). */
export interface WorkerLimits {
  /** The worker's JavaScript heap, in MiB: a worker that hoards memory is stopped, not the machine. */
  maxHeapMb?: number;
}

/** The parts of a device worker the pool uses, the same for Web Workers and worker_threads. */
export interface DeviceWorker {
  endpoint: Endpoint;
  /** Calls back once with the cause if the worker fails outside a call (uncaught error, exit). */
  onFailure(listener: (cause: string) => void): void;
  /** Stops the worker; resolves once its thread has exited (at once where the host does not tell). */
  terminate(): Promise<void>;
  /** Whether the worker keeps a Node process alive (no-op elsewhere). */
  keepAlive(on: boolean): void;
}

export interface Host {
  readonly name: 'node' | 'browser' | 'edge';
  /** Compiles a kernel build from `url`, or from the package's own file when `url` is null. */
  loadKernels(build: BuildName, url: URL | null): Promise<WebAssembly.Module>;
  /** Whether `loadKernels` can load the relaxed-SIMD builds itself (edge entries bundle only the plain build). */
  readonly loadsRelaxedKernels: boolean;
  /** Why this host cannot start device workers at all, or null if it can (shared memory is checked apart). */
  workersUnavailable(): string | null;
  /** Logical processors (1 when the host does not say). */
  hardwareThreads(): number;
  /** Opens a data file by path or URL: random access to local files (Node), a fetched stream elsewhere. */
  openFile(location: string | URL, name: string): Promise<ByteFile | ByteStream>;
  /** Starts device `device`'s worker from `url`, or from the package's own worker entry. */
  spawnWorker(device: number, url: URL | null, limits?: WorkerLimits): Promise<DeviceWorker>;
}

let installed: Host | null = null;

/** Called once by the package entry that was imported (last one wins: a test may install another). */
export function installHost(host: Host): void {
  installed = host;
}

export function currentHost(): Host {
  if (!installed) {
    throw new Error('eigengame was loaded without a host: import it from the package ("eigengame"), not from its files');
  }
  return installed;
}

/** The device workers' names, for debuggers and error messages. */
export const workerName = (device: number): string => `eigengame device ${device}`;
