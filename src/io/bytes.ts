// Where a data source's bytes come from: random access for what can be read again (files, Blobs, buffers), a
// one-shot stream of chunks for the rest (ReadableStream, Node streams, fetch bodies, FIFOs). Sources (npy.ts,
// csv.ts) never hold more than a chunk or a batch of these bytes at once. Whoever opens bytes closes them, on every
// path: sources open a file for each operation and close it when the operation ends.

import { byteStream, readableStream, type ByteFile, type ByteStream } from '../hosts/bytes';
import { currentHost } from '../hosts/host';
import { turnDue, yieldToEventLoop } from '../hosts/turns';

export type { ByteFile, ByteStream };

/**
 * What a data source can be read from: a file path or URL (Node: file system; http(s) anywhere: fetched as a
 * stream), a Blob or File (browsers: what the user dropped or picked), bytes in memory, a ReadableStream of bytes,
 * or any async iterable of byte chunks (Node's Readable streams are).
 */
export type ByteInput =
  | string | URL | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Bytes per read when a source walks a file. */
export const CHUNK_BYTES = 1 << 20;

function isBlob(input: unknown): input is Blob {
  return typeof Blob === 'function' && input instanceof Blob;
}

function isReadableStream(input: unknown): input is ReadableStream<Uint8Array> {
  return typeof ReadableStream === 'function' && input instanceof ReadableStream;
}

/** The name errors use for an input: the file's name or path, else what kind of input it was. */
export function inputName(input: ByteInput): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.protocol === 'file:' ? decodeURIComponent(input.pathname) : input.href;
  if (typeof File === 'function' && input instanceof File) return input.name;
  if (isBlob(input)) return 'the Blob';
  if (isReadableStream(input)) return 'the stream';
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return 'the bytes';
  return 'the stream';
}

/** Opens an input for reading: random access where the input allows it, a stream otherwise. */
export async function openBytes(input: ByteInput, name = inputName(input)): Promise<ByteFile | ByteStream> {
  if (typeof input === 'string' || input instanceof URL) return currentHost().openFile(input, name);
  if (isBlob(input)) return blobFile(input, name);
  if (input instanceof ArrayBuffer) return bufferFile(new Uint8Array(input), name);
  if (ArrayBuffer.isView(input)) return bufferFile(new Uint8Array(input.buffer, input.byteOffset, input.byteLength), name);
  if (isReadableStream(input)) return readableStream(input, name);
  return iterableStream(input, name);
}

/**
 * Releases an input that a source never opened. A stream handed to a source is the source's to release (cancelled,
 * or its iterator ended, which destroys a Node stream); paths, Blobs and bytes hold nothing until opened.
 */
export async function releaseUnopened(input: ByteInput, name: string): Promise<void> {
  const stream = !(typeof input === 'string' || input instanceof URL || isBlob(input) || input instanceof ArrayBuffer || ArrayBuffer.isView(input));
  if (stream) await (await openBytes(input, name)).close();
}

/**
 * What the readers of bytes share (NpySource, CsvSource): the input and its name, the first look at it (a header or
 * the first records; for a stream, the stream itself, held for the batches), and letting go of a stream that was not
 * read to its end.
 */
export abstract class ByteReader<Start extends { stream: { bytes: ByteStream } | null }> {
  /** The name errors give the input (its path, its File name, or the `name` option). */
  readonly name: string;
  protected opened: Promise<Start> | null = null;
  protected consumed = false;

  constructor(protected readonly input: ByteInput, name: string | undefined) {
    this.name = name ?? inputName(input);
  }

  /** Releases a stream not read to its end (a file is never held between operations). */
  async close(): Promise<void> {
    if (this.consumed && !this.opened) return;
    this.consumed = true;
    if (!this.opened) return releaseUnopened(this.input, this.name);
    const opened = await this.opened.catch(() => null);
    await opened?.stream?.bytes.close();
  }
}

/**
 * Opens an input to read what comes first (a header, the first records): a file is closed again at once, since each
 * later operation opens its own; a stream, readable once, stays open for what follows, unless reading it failed.
 */
export async function readStart<T>(
  input: ByteInput, name: string, fromFile: (file: ByteFile) => Promise<T>, fromStream: (stream: ByteStream) => Promise<T>,
): Promise<T> {
  const bytes = await openBytes(input, name);
  if (isByteFile(bytes)) {
    try {
      return await fromFile(bytes);
    } finally {
      await bytes.close();
    }
  }
  try {
    return await fromStream(bytes);
  } catch (error) {
    await bytes.close();
    throw error;
  }
}

/** Opens an input that was random access when first opened (a file, Blob or bytes) again, for one operation. */
export async function reopenFile(input: ByteInput, name: string): Promise<ByteFile> {
  const bytes = await openBytes(input, name);
  if (isByteFile(bytes)) return bytes;
  await bytes.close();
  throw new Error(`${name} was a file when first opened, and is not one now`);
}

export function isByteFile(bytes: ByteFile | ByteStream): bytes is ByteFile {
  return 'read' in bytes;
}

function blobFile(blob: Blob, name: string): ByteFile {
  return {
    name,
    size: blob.size,
    read: async (position, length) => new Uint8Array(await blob.slice(position, position + length).arrayBuffer()),
    readInto: async (position, target) => copyInto(target, new Uint8Array(await blob.slice(position, position + target.byteLength).arrayBuffer())),
    close: async () => {},
  };
}

/** Bytes in memory as a file. */
export function bufferFile(bytes: Uint8Array, name: string): ByteFile {
  return {
    name,
    size: bytes.byteLength,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.byteLength, position + length)),
    readInto: async (position, target) => copyInto(target, bytes.subarray(position, Math.min(bytes.byteLength, position + target.byteLength))),
    close: async () => {},
  };
}

/** Copies `bytes` to the start of `target` and says how many there were. */
function copyInto(target: Uint8Array, bytes: Uint8Array): number {
  target.set(bytes);
  return bytes.byteLength;
}

/** Any async iterable's chunks (Node's Readable streams); closing ends its iterator (which destroys a Node stream). */
function iterableStream(input: AsyncIterable<Uint8Array>, name: string): ByteStream {
  const iterator = input[Symbol.asyncIterator]();
  return byteStream(name, async () => {
    const { done, value } = await iterator.next();
    return done ? null : value;
  }, async () => iterator.return?.());
}

/**
 * Chunks of a file's bytes [start, end), in order, giving the event loop its turns (bytes and Blobs read as
 * microtasks). `stopped` is asked before each read: a reader that lets go while a read is on its way (a pipe's
 * pull) is not read for once more, after it may have closed the file.
 */
export async function* fileChunks(file: ByteFile, start = 0, end = file.size, stopped = () => false): AsyncGenerator<Uint8Array> {
  for (let position = start; position < end;) {
    if (turnDue()) await yieldToEventLoop();
    if (stopped()) return;
    const chunk = await file.read(position, Math.min(CHUNK_BYTES, end - position));
    if (chunk.byteLength === 0) throw new Error(`${file.name}: the file ended at byte ${position}, before its size ${file.size} (was it truncated while reading?)`);
    position += chunk.byteLength;
    yield chunk;
  }
}

/**
 * Chunks re-cut to exactly `size` bytes each (the last may be shorter), for fixed-size records: each in the same
 * buffer (offset 0, so aligned for any typed view), overwritten once the next chunk is asked for.
 */
export async function* exactChunks(chunks: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const pending = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(size - filled, chunk.byteLength - offset);
      pending.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield pending;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield pending.subarray(0, filled);
}
