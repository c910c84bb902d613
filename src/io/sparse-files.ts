// Sparse matrices from the files users have: scipy's save_npz (.npz) and Matrix Market coordinate files (.mtx,
// .mtx.gz), told apart by the name's extension or, where the name says nothing (a Blob, bytes, a stream), by their
// first bytes. An .npz file is a zip whose directory is at its end: a stream is gathered in memory first. A Matrix
// Market file is parsed as its bytes arrive.

import { bufferFile, fileChunks, inputName, isByteFile, openBytes, type ByteFile, type ByteInput, type ByteStream } from './bytes';
import { gunzip, readMtxChunks } from './mtx';
import { readNpzFile, type SparseFileOptions } from './npz';
import type { SparseMatrix } from './sparse';
import { turn } from '../hosts/turns';

export type { SparseFileOptions };

/** The sparse file formats, as `readSparse`'s `format` option and `sparseFormatOfName` name them. */
export type SparseFileFormat = 'npz' | 'mtx' | 'mtx.gz';

/** The sparse format a name's extension says (.npz; .mtx; .mtx.gz), or undefined for any other. */
export function sparseFormatOfName(name: string): SparseFileFormat | undefined {
  if (/\.npz$/i.test(name)) return 'npz';
  if (/\.mtx$/i.test(name)) return 'mtx';
  return /\.mtx\.gz$/i.test(name) ? 'mtx.gz' : undefined;
}

/** The format of a file from its first bytes: a zip (PK\3\4), gzip (1f 8b) or a %%MatrixMarket line. */
export function formatOfBytes(head: Uint8Array): SparseFileFormat | undefined {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'npz';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'mtx.gz';
  return new TextDecoder('latin1').decode(head.subarray(0, 14)) === '%%MatrixMarket' ? 'mtx' : undefined;
}

/** Bytes enough to tell the formats apart. */
const HEAD_BYTES = 14;

/**
 * Reads a sparse matrix from a scipy `save_npz` file (csr, csc or coo; stored or deflated) or a Matrix Market
 * coordinate file (`.mtx`, or gzipped `.mtx.gz`; real, integer or pattern; general or symmetric). The format comes
 * from the name's extension, else from the first bytes. Any input a data source takes: a path (Node) or URL, a Blob
 * or File, bytes, a ReadableStream or an async iterable of byte chunks. `transpose` reads the file's columns as rows
 * (10x Genomics' and GEO's matrix.mtx.gz are genes × cells: transposed, cells × genes). Matrix Market files come
 * back as csr (sorted by row, each row's entries in the file's order); .npz files in the format they were saved in
 * (coo as csr). Duplicate entries are kept, for the fit to sum as scipy does.
 */
export async function readSparse(input: ByteInput, options: SparseFileOptions & { format?: SparseFileFormat } = {}): Promise<SparseMatrix> {
  const name = options.name ?? inputName(input);
  if (options.format !== undefined && !['npz', 'mtx', 'mtx.gz'].includes(options.format)) {
    throw new TypeError(`format must be 'npz', 'mtx' or 'mtx.gz', got ${JSON.stringify(options.format)}`);
  }
  const bytes = await openBytes(input, name);
  try {
    options.signal?.throwIfAborted();
    const { head, chunks } = await start(bytes);
    const named = options.format ?? sparseFormatOfName(name);
    const format = formatOfBytes(head) ?? named;
    if (format === undefined) {
      throw new RangeError(`${name}: neither its name nor its first bytes say a sparse format: .npz (scipy.sparse.save_npz), .mtx or .mtx.gz (Matrix Market); pass { format }`);
    }
    if (format === 'npz') {
      const file = isByteFile(bytes) ? bytes : bufferFile(await gather(chunks(), options.signal), name);
      return await readNpzFile(file, { ...options, name });
    }
    const text = format === 'mtx.gz' ? gunzip(chunks(), name) : chunks();
    return await readMtxChunks(text, name, { ...options, name });
  } finally {
    await bytes.close();
  }
}

/**
 * The first bytes of a file or stream, and its chunks from the start: a stream's first chunks, read to see its format,
 * are handed on before the rest.
 */
export async function start(bytes: ByteFile | ByteStream): Promise<{ head: Uint8Array; chunks: () => AsyncIterable<Uint8Array> }> {
  if (isByteFile(bytes)) return { head: await bytes.read(0, HEAD_BYTES), chunks: () => fileChunks(bytes) };
  const iterator = bytes.chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < HEAD_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    seen.push(next.value);
    length += next.value.byteLength;
  }
  const head = new Uint8Array(length);
  seen.reduce((at, chunk) => (head.set(chunk, at), at + chunk.byteLength), 0);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield* seen;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, chunks };
}

/** A stream's bytes gathered in one buffer. */
async function gather(chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk.slice());
    length += chunk.byteLength;
    await turn(signal);
  }
  const all = new Uint8Array(length);
  parts.reduce((at, part) => (all.set(part, at), at + part.byteLength), 0);
  return all;
}
