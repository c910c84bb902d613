// Bytes as a host hands them over: a file read at any position (Node's files), or a stream of chunks read once
// (fetched bodies, ReadableStreams, FIFOs). The data readers (src/io/) are built on these two shapes; hosts open
// them (Host.openFile) and fetch them (web and edge hosts, and kernels fetched by URL).

import { turnDue, yieldToEventLoop } from './turns';

/** Bytes that can be read at any position, as often as needed. */
export interface ByteFile {
  readonly name: string;
  readonly size: number;
  /** Up to `length` bytes from `position` (fewer only at the end). */
  read(position: number, length: number): Promise<Uint8Array>;
  /**
   * Fills `target` with the bytes from `position` (fewer only at the end) and says how many came: for readers that
   * reuse their buffers, since fresh memory costs its page faults on every read (most of a plain read's time).
   */
  readInto(position: number, target: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

/** Bytes that arrive once, in order. */
export interface ByteStream {
  readonly name: string;
  /** The chunks, in order: iterate them once. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /**
   * Stops the stream and releases what it holds (a reader's lock, a file handle), whether it was read to its end,
   * left early or never read; calling it again does nothing.
   */
  close(): Promise<void>;
}

/** A stream of the chunks `read` returns (null at the end), released once by `release`. */
export function byteStream(name: string, read: () => Promise<Uint8Array | null>, release: () => Promise<unknown>): ByteStream {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      // A stream fed from memory (an async generator, a Blob's or a ReadableStream's chunks in memory) resolves every
      // read as a microtask: without a turn, reading it never lets timers or an abort run, and an endless one hangs.
      if (turnDue()) await yieldToEventLoop();
      const chunk = await read();
      if (chunk === null) return;
      yield chunk;
    }
  }
  let released: Promise<void> | null = null;
  return {
    name,
    chunks: chunks(),
    // A stream that failed has nothing left to release, and its error was reported by the read that met it: a
    // close in a `finally` must not replace that error with another.
    close: () => (released ??= release().then(() => {}, () => {})),
  };
}

/** A ReadableStream's chunks (browsers do not all make streams async-iterable yet); closing cancels it. */
export function readableStream(stream: ReadableStream<Uint8Array>, name: string): ByteStream {
  const reader = stream.getReader();
  return byteStream(name, async () => {
    const { done, value } = await reader.read();
    return done ? null : value;
  }, async () => {
    try {
      await reader.cancel();
    } finally {
      reader.releaseLock();
    }
  });
}

/** A URL, or a string relative to the page (absolute only where there is no page); null if it is not one. */
export function resolveLocation(location: string | URL): URL | null {
  try {
    return new URL(String(location), (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    return null;
  }
}

/** A URL (or a string relative to the page) fetched as a stream of chunks: how web and edge hosts open "files". */
export function fetchLocation(location: string | URL, name: string): Promise<ByteStream> {
  const url = resolveLocation(location);
  if (!url) throw new TypeError(`${name}: not a URL, and file paths can only be opened in Node`);
  return fetchStream(url, name);
}

/** A fetched URL as a stream of chunks. */
export async function fetchStream(url: URL, name: string): Promise<ByteStream> {
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`${name}: could not fetch it: HTTP ${response.status}`);
  }
  return readableStream(response.body, name);
}

/** Compiles a wasm file from a URL, streaming where the server sends the wasm MIME type. */
export async function fetchKernels(url: URL): Promise<WebAssembly.Module> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new Error(`could not fetch eigengame's kernels from ${url.href}: ${String(cause)}`);
  }
  if (!response.ok) throw new Error(`could not fetch eigengame's kernels from ${url.href}: HTTP ${response.status}`);
  const streams = typeof WebAssembly.compileStreaming === 'function'
    && response.headers.get('content-type')?.split(';')[0].trim() === 'application/wasm';
  return streams ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
}

