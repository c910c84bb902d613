// Node (and hosts that run Node's entry: Deno, Bun): kernels read from the package's files, devices on
// worker_threads running dist/device-node.js.

import { open, readFile, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { byteStream, fetchKernels, fetchStream, type ByteFile, type ByteStream } from './bytes';
import { workerName, type BuildName, type DeviceWorker, type Host, type WorkerLimits } from './host';

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

function directoryError(name: string): Error {
  return new Error(`${name} is a directory, not a data file`);
}

/** A regular file, read at any position. */
function randomAccessFile(handle: FileHandle, name: string, size: number): ByteFile {
  async function readInto(position: number, target: Uint8Array): Promise<number> {
    const length = Math.max(0, Math.min(target.byteLength, size - position));
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(target, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }
  return {
    name,
    size,
    async read(position, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - position)));
      return buffer.subarray(0, await readInto(position, buffer));
    },
    readInto,
    close: () => handle.close(),
  };
}

/** Bytes per read of a file that is not a regular file (what a pipe holds at once is far less). */
const STREAM_READ_BYTES = 1 << 16;

/** A FIFO, character device or other file that is not a regular one, read once from where it stands. */
function handleStream(handle: FileHandle, name: string): ByteStream {
  return byteStream(name, async () => {
    const buffer = new Uint8Array(STREAM_READ_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
    return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
  }, () => handle.close());
}

export const nodeHost: Host = {
  name: 'node',

  async loadKernels(build, url) {
    if (url && url.protocol !== 'file:') return fetchKernels(url);
    const file = url ?? kernelFile(build);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = (await readFile(file)) as Uint8Array<ArrayBuffer>;
    } catch (cause) {
      throw new Error(`could not read eigengame's kernels at ${file.pathname}: ${String(cause)}`);
    }
    return WebAssembly.compile(bytes);
  },

  loadsRelaxedKernels: true,

  async openFile(location, name) {
    const url = location instanceof URL ? location : null;
    if (url && url.protocol !== 'file:') return fetchStream(url, name);
    let handle: FileHandle;
    try {
      handle = await open(url ?? location, 'r');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EISDIR') throw directoryError(name);
      throw new Error(`${name}: could not open it: ${(cause as Error).message}`);
    }
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw directoryError(name);
      // Only a regular file can be read at any position, and only its size is its length: a FIFO or a character
      // device (/dev/zero, a terminal) says 0 and is read once, as a stream.
      return stats.isFile() ? randomAccessFile(handle, name, stats.size) : handleStream(handle, name);
    } catch (error) {
      await handle.close();
      throw error;
    }
  },

  workersUnavailable: () => null,

  hardwareThreads: () => availableParallelism(),

  async spawnWorker(device: number, url: URL | null, limits?: WorkerLimits): Promise<DeviceWorker> {
    const worker = new Worker(url ?? new URL('../../dist/device-node.js', import.meta.url), {
      name: workerName(device),
      // No flags: a worker runs our own bundled code, which needs none. Inherited (no execArgv option), the
      // application's loaders and preloads (tsx, --import, --require) would re-run in every worker (tsx: 60 → 185 ms
      // to start two); passed on explicitly, some flags make the Worker constructor throw ("invalid execArgv flags":
      // --expose-gc, --title) although allowedNodeEnvironmentFlags lists them. V8's feature flags
      // (--experimental-wasm-relaxed-simd) are process-wide and reach the workers anyway.
      execArgv: [],
      // A device that hoards memory is stopped by V8 (and reported as out of memory) instead of the machine.
      resourceLimits: limits?.maxHeapMb ? { maxOldGenerationSizeMb: limits.maxHeapMb } : undefined,
    });
    return {
      endpoint: nodeEndpoint(worker),
      onFailure(listener) {
        worker.on('error', (error: Error & { code?: string }) =>
          listener(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `threw ${String(error)}`));
        worker.on('exit', (code) => listener(`exited with code ${code}`));
      },
      terminate: () => worker.terminate().then(() => {}, () => {}),
      keepAlive: (on) => (on ? worker.ref() : worker.unref()),
    };
  },
};
