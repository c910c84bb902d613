// The zip container (PKWARE's APPNOTE), as far as .npz files need it: the central directory (found from the end of
// central directory record, with zip64's records where numpy writes them), each entry's local header, its bytes
// stored (method 0) or deflated (method 8, inflated by the platform's DecompressionStream), and its CRC-32 checked.
// Every error names the file, the entry and the byte offset where the file stopped making sense.

import { fileChunks, type ByteFile } from './bytes';
import { chunksStream, crc32, decompressionStream, streamChunks } from './decompress';
import { turn } from '../hosts/turns';

/** An entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated (others are refused when read). */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Where its local header starts. */
  localOffset: number;
  /** Where its central directory record starts (for messages). */
  centralOffset: number;
}

const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const END_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_END_BYTES = 56;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
/** The end record's comment is at most 65535 bytes: the record starts within this many bytes of the end. */
const END_SEARCH_BYTES = END_BYTES + 0xffff;

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A 64-bit little-endian size or offset, refused past 2^53 (no real file is that large). */
function uint64(data: DataView, at: number, what: string, name: string, offset: number): number {
  const value = data.getUint32(at, true) + data.getUint32(at + 4, true) * 2 ** 32;
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name}: the zip64 ${what} at byte ${offset + at} is ${value}, larger than any real file`);
  return value;
}

/** Reads exactly `length` bytes at `position`, or says the file is truncated there. */
async function readExactly(file: ByteFile, position: number, length: number, what: string): Promise<Uint8Array> {
  const bytes = length === 0 ? new Uint8Array(0) : await file.read(position, length);
  if (bytes.byteLength < length) {
    throw new RangeError(`${file.name} is truncated: ${what} at bytes ${position}–${position + length - 1} reaches past the end of the file (${file.size} bytes)`);
  }
  return bytes;
}

/** The entries of a zip file's central directory, in their order there. */
export async function zipEntries(file: ByteFile, kind: string): Promise<ZipEntry[]> {
  const name = file.name;
  if (file.size === 0) throw new RangeError(`${name} is empty`);
  const tailStart = Math.max(0, file.size - END_SEARCH_BYTES);
  const tail = await readExactly(file, tailStart, file.size - tailStart, 'the end of the file');
  const tailView = view(tail);
  let end = -1;
  for (let at = tail.byteLength - END_BYTES; at >= 0; at--) {
    if (tailView.getUint32(at, true) === END_SIGNATURE) {
      end = at;
      break;
    }
  }
  if (end < 0) {
    const head = await file.read(0, 4);
    const zip = head.byteLength === 4 && view(head).getUint32(0, true) === LOCAL_SIGNATURE;
    throw new RangeError(zip
      ? `${name} is truncated or damaged: it starts as a zip file but has no end of central directory record (PK\\5\\6) in its last ${tail.byteLength} bytes`
      : `${name} is not a ${kind} file: it is no zip archive (it does not start with PK\\3\\4 and has no end of central directory record)`);
  }
  const endOffset = tailStart + end;
  let count = tailView.getUint16(end + 10, true);
  let directorySize = tailView.getUint32(end + 12, true);
  let directoryOffset = tailView.getUint32(end + 16, true);
  if (tailView.getUint16(end + 4, true) !== 0 || tailView.getUint16(end + 6, true) !== 0) {
    throw new RangeError(`${name}: the end of central directory record at byte ${endOffset} names several disks: split zip archives are not supported`);
  }
  let directoryEnd = endOffset;
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorOffset = endOffset - ZIP64_LOCATOR_BYTES;
    const locator = locatorOffset >= 0 ? view(await readExactly(file, locatorOffset, ZIP64_LOCATOR_BYTES, 'the zip64 end of central directory locator')) : null;
    if (!locator || locator.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE) {
      throw new RangeError(`${name}: the end of central directory record at byte ${endOffset} defers to zip64 records, but there is no zip64 locator (PK\\6\\7) at byte ${locatorOffset}`);
    }
    const recordOffset = uint64(locator, 8, 'end of central directory offset', name, locatorOffset);
    if (recordOffset + ZIP64_END_BYTES > locatorOffset) {
      throw new RangeError(`${name}: the zip64 locator at byte ${locatorOffset} points to byte ${recordOffset}, where no zip64 end of central directory record fits`);
    }
    const record = view(await readExactly(file, recordOffset, ZIP64_END_BYTES, 'the zip64 end of central directory record'));
    if (record.getUint32(0, true) !== ZIP64_END_SIGNATURE) {
      throw new RangeError(`${name}: no zip64 end of central directory record (PK\\6\\6) at byte ${recordOffset}, where the zip64 locator points`);
    }
    count = uint64(record, 32, 'entry count', name, recordOffset);
    directorySize = uint64(record, 40, 'central directory size', name, recordOffset);
    directoryOffset = uint64(record, 48, 'central directory offset', name, recordOffset);
    directoryEnd = recordOffset;
  }
  if (directoryOffset + directorySize > directoryEnd) {
    throw new RangeError(`${name} is truncated or damaged: its central directory (bytes ${directoryOffset}–${directoryOffset + directorySize - 1}) reaches past where the records that describe it start (byte ${directoryEnd})`);
  }
  const directory = await readExactly(file, directoryOffset, directorySize, 'the central directory');
  return parseDirectory(name, directory, directoryOffset, count);
}

function parseDirectory(name: string, directory: Uint8Array, directoryOffset: number, count: number): ZipEntry[] {
  const data = view(directory);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const offset = directoryOffset + at;
    if (at + CENTRAL_BYTES > directory.byteLength) {
      throw new RangeError(`${name}: the central directory ends at byte ${directoryOffset + directory.byteLength} after ${i} of its ${count} entries`);
    }
    if (data.getUint32(at, true) !== CENTRAL_SIGNATURE) throw new RangeError(`${name}: bad signature at byte ${offset}: expected a central directory entry (PK\\1\\2), entry ${i + 1} of ${count}`);
    const nameLength = data.getUint16(at + 28, true);
    const extraLength = data.getUint16(at + 30, true);
    const commentLength = data.getUint16(at + 32, true);
    const next = at + CENTRAL_BYTES + nameLength + extraLength + commentLength;
    if (next > directory.byteLength) throw new RangeError(`${name}: the central directory entry at byte ${offset} reaches past the directory's end`);
    const entryName = new TextDecoder().decode(directory.subarray(at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLength));
    const entry: ZipEntry = {
      name: entryName,
      flags: data.getUint16(at + 8, true),
      method: data.getUint16(at + 10, true),
      crc: data.getUint32(at + 16, true),
      compressedSize: data.getUint32(at + 20, true),
      size: data.getUint32(at + 24, true),
      localOffset: data.getUint32(at + 42, true),
      centralOffset: offset,
    };
    readZip64Extra(name, entry, data, at + CENTRAL_BYTES + nameLength, extraLength, directoryOffset);
    entries.push(entry);
    at = next;
  }
  return entries;
}

/** Fields of 0xFFFFFFFF take their values from the zip64 extra field (id 1), in APPNOTE's order. */
function readZip64Extra(name: string, entry: ZipEntry, data: DataView, start: number, length: number, base: number): void {
  const fields = (['size', 'compressedSize', 'localOffset'] as const).filter((field) => entry[field] === 0xffffffff);
  if (fields.length === 0) return;
  for (let at = start; at + 4 <= start + length;) {
    const id = data.getUint16(at, true);
    const size = data.getUint16(at + 2, true);
    if (id === 1) {
      if (size < 8 * fields.length) throw new RangeError(`${name}: entry ${entry.name}'s zip64 extra field at byte ${base + at} is too short for its ${fields.length} values`);
      fields.forEach((field, i) => (entry[field] = uint64(data, at + 4 + 8 * i, `${field} of entry ${entry.name}`, name, base)));
      return;
    }
    at += 4 + size;
  }
  throw new RangeError(`${name}: entry ${entry.name} (central directory at byte ${entry.centralOffset}) defers its sizes to a zip64 extra field it does not have`);
}

/** Where an entry's data starts (after its local header), its method checked to be one this reader inflates. */
async function entryDataStart(file: ByteFile, entry: ZipEntry): Promise<number> {
  const name = `${file.name}, entry ${entry.name}`;
  if (entry.flags & 1) throw new RangeError(`${name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new RangeError(`${name} (central directory at byte ${entry.centralOffset}): compression method ${entry.method} is not supported (stored, 0, and deflated, 8, are)`);
  }
  const local = view(await readExactly(file, entry.localOffset, LOCAL_BYTES, `${entry.name}'s local header`));
  if (local.getUint32(0, true) !== LOCAL_SIGNATURE) throw new RangeError(`${name}: bad signature at byte ${entry.localOffset}: expected a local file header (PK\\3\\4)`);
  const start = entry.localOffset + LOCAL_BYTES + local.getUint16(26, true) + local.getUint16(28, true);
  if (entry.method === 0 && entry.compressedSize !== entry.size) throw new RangeError(`${name}: a stored entry of ${entry.compressedSize} bytes claims ${entry.size} once uncompressed`);
  return start;
}

/** An entry's bytes, inflated if deflated, checked against the central directory's size and CRC-32. */
export async function readZipEntry(file: ByteFile, entry: ZipEntry, signal?: AbortSignal): Promise<Uint8Array> {
  const name = `${file.name}, entry ${entry.name}`;
  const start = await entryDataStart(file, entry);
  const stored = await readExactly(file, start, entry.compressedSize, `${entry.name}'s data`);
  let bytes: Uint8Array;
  if (entry.method === 0) {
    bytes = stored;
  } else {
    bytes = await inflate(name, stored, start, entry.size, signal);
  }
  const crc = crc32(bytes);
  if (crc !== entry.crc) {
    throw new RangeError(`${name}: CRC-32 mismatch: its data (bytes ${start}–${start + entry.compressedSize - 1}) gives ${hex(crc)}, the central directory says ${hex(entry.crc)}: the file is damaged`);
  }
  return bytes;
}

/**
 * An entry's bytes as they are read, a chunk at a time (inflated as they come if deflated), for entries larger than
 * memory: its size and CRC-32 checked against the central directory once its last byte has come. Leaving the
 * iteration early cancels the inflater and the file's reading.
 */
export async function* zipEntryChunks(file: ByteFile, entry: ZipEntry, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const name = `${file.name}, entry ${entry.name}`;
  const start = await entryDataStart(file, entry);
  const end = start + entry.compressedSize;
  if (end > file.size) {
    throw new RangeError(`${file.name} is truncated: ${entry.name}'s data at bytes ${start}–${end - 1} reaches past the end of the file (${file.size} bytes)`);
  }
  let crc = 0;
  let count = 0;
  if (entry.method === 0) {
    for await (const chunk of fileChunks(file, start, end)) {
      crc = crc32(chunk, crc);
      count += chunk.byteLength;
      yield chunk;
    }
  } else {
    const remedy = 'save it with scipy.sparse.save_npz(file, X, compressed=False)';
    let left = false;
    const inflated = chunksStream(fileChunks(file, start, end, () => left)).pipeThrough(decompressionStream('deflate-raw', name, remedy));
    const chunks = streamChunks(inflated);
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await chunks.next();
        } catch (error) {
          if (signal?.aborted) throw error;
          throw new RangeError(`${name}: its deflated data (bytes ${start}–${end - 1}) is corrupt or cut short after ${count} inflated bytes: ${(error as Error).message}`, { cause: error });
        }
        if (next.done) break;
        const chunk = next.value;
        if (count + chunk.byteLength > entry.size) throw new RangeError(`${name}: its deflated data (from byte ${start}) inflates to more than the ${entry.size} bytes the central directory says`);
        crc = crc32(chunk, crc);
        count += chunk.byteLength;
        yield chunk;
      }
    } finally {
      // Left early (or failed): the inflater cancelled, and through it the file's reading (a pull on its way reads no more).
      left = true;
      await chunks.return(undefined);
    }
    if (count !== entry.size) throw new RangeError(`${name}: its deflated data (bytes ${start}–${end - 1}) inflates to ${count} bytes, the central directory says ${entry.size}`);
  }
  if (crc !== entry.crc) {
    throw new RangeError(`${name}: CRC-32 mismatch: its data (bytes ${start}–${end - 1}) gives ${hex(crc)}, the central directory says ${hex(entry.crc)}: the file is damaged`);
  }
}

const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

/** Pieces of compressed data handed to the inflater at once: a turn of the event loop comes between them. */
const INFLATE_PIECE = 1 << 20;

/** Inflates raw deflate data into exactly `size` bytes (more or fewer is an error). */
async function inflate(name: string, compressed: Uint8Array, start: number, size: number, signal?: AbortSignal): Promise<Uint8Array> {
  const output = new Uint8Array(size);
  let filled = 0;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < compressed.byteLength; at += INFLATE_PIECE) yield compressed.subarray(at, at + INFLATE_PIECE);
  }
  const remedy = 'save it with scipy.sparse.save_npz(file, X, compressed=False)';
  const inflated = chunksStream(pieces()).pipeThrough(decompressionStream('deflate-raw', name, remedy));
  try {
    for await (const chunk of streamChunks(inflated)) {
      if (filled + chunk.byteLength > size) throw new RangeError(`${name}: its deflated data (from byte ${start}) inflates to more than the ${size} bytes the central directory says`);
      output.set(chunk, filled);
      filled += chunk.byteLength;
      await turn(signal);
    }
  } catch (error) {
    if (error instanceof RangeError || signal?.aborted) throw error;
    throw new RangeError(`${name}: its deflated data (bytes ${start}–${start + compressed.byteLength - 1}) is corrupt after ${filled} inflated bytes: ${(error as Error).message}`, { cause: error });
  }
  if (filled !== size) throw new RangeError(`${name}: its deflated data (bytes ${start}–${start + compressed.byteLength - 1}) inflates to ${filled} bytes, the central directory says ${size}`);
  return output;
}
