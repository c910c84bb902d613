// Decompression without a dependency: the platform's DecompressionStream (Node ≥ 18, current browsers, Deno, edge
// runtimes) inflates a zip entry ('deflate-raw') and a .gz file ('gzip'). Where it is missing, the error says so and
// what to do instead, rather than failing on an undefined name.

/** The formats used here. */
export type Compression = 'deflate-raw' | 'gzip';

/** A DecompressionStream for `format`, or an error naming `name` and what the runtime lacks. */
export function decompressionStream(format: Compression, name: string, remedy: string): TransformStream<Uint8Array, Uint8Array> {
  const Decompression = (globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).DecompressionStream;
  if (typeof Decompression !== 'function') {
    throw new Error(`${name}: this runtime has no DecompressionStream (Node ≥ 18 and current browsers have it), so ${format} data cannot be inflated: ${remedy}`);
  }
  try {
    return new Decompression(format);
  } catch (cause) {
    throw new Error(`${name}: this runtime's DecompressionStream does not take '${format}' (${(cause as Error).message}): ${remedy}`, { cause });
  }
}

/** Chunks as a ReadableStream, pulled one at a time (so that decompression goes no faster than its reader). */
export function chunksStream(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      // A copy: a reader may reuse its buffer once the chunk is handed on, and the stream holds it until read.
      else controller.enqueue(value.slice());
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** The chunks a ReadableStream gives, released however the iteration ends. */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (zip's and gzip's: polynomial 0xEDB88320) over `bytes`; start with 0. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
