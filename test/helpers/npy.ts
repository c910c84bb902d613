// Builds .npy bytes for tests: numpy's layout for 2-D little-endian arrays, any header version.
import { encodeNpyHeader } from '../../src/io/npy';

export function npyBytes(values: ArrayLike<number>, rows: number, cols: number, dtype: 'float32' | 'float64' = 'float32', version = 1): Uint8Array {
  let header = encodeNpyHeader(dtype, rows, cols);
  if (version !== 1) {
    // Versions 2 and 3 have a 4-byte header length: re-pad the same dict text after the 12-byte preamble.
    const text = new TextDecoder().decode(header.subarray(10)).trimEnd();
    const padded = text + ' '.repeat((64 - ((12 + text.length + 1) % 64)) % 64) + '\n';
    header = new Uint8Array(12 + padded.length);
    header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
    new DataView(header.buffer).setUint32(8, padded.length, true);
    header.set(new TextEncoder().encode(padded), 12);
  }
  const size = dtype === 'float32' ? 4 : 8;
  const bytes = new Uint8Array(header.length + rows * cols * size);
  bytes.set(header);
  const view = new DataView(bytes.buffer, header.length);
  for (let i = 0; i < rows * cols; i++) {
    if (dtype === 'float32') view.setFloat32(i * 4, values[i], true);
    else view.setFloat64(i * 8, values[i], true);
  }
  return bytes;
}

/** A ReadableStream that hands out `bytes` in chunks of the given sizes (cycled). */
export function chunkedStream(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let turn = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      const size = Math.max(1, sizes[turn++ % sizes.length]);
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** Every row of a source, concatenated. */
export async function readAll(source: { batches(batchSize: number): AsyncGenerator<{ data: Float32Array | Float64Array }> }, batchSize = 7): Promise<number[]> {
  const values: number[] = [];
  for await (const batch of source.batches(batchSize)) values.push(...batch.data);
  return values;
}
