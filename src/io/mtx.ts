// Matrix Market coordinate files (NIST's format; what GEO and 10x Genomics publish as matrix.mtx.gz): a header
// `%%MatrixMarket matrix coordinate real|integer|pattern general|symmetric`, `%` comments, a size line `rows cols
// entries`, then one 1-based `i j [value]` line per entry. Parsed as the bytes arrive: only the entries are kept, in
// typed arrays that grow as needed (never the text), then sorted by row (counting sort, stable) into csr.
// Symmetric files store one triangle: each entry off the diagonal is mirrored. Errors name the line.

import { cooToCsr, type SparseFileOptions } from './npz';
import type { SparseMatrix } from './sparse';
import { chunksStream, decompressionStream, streamChunks } from './decompress';
import { turn } from '../hosts/turns';

/** Entries kept per line of text between two turns of the event loop, at most. */
const LINES_PER_TURN = 1 << 16;
/** The first allocation for entries (grown by doubling up to what the size line announces). */
const FIRST_CAPACITY = 1 << 16;
/** float32 holds every integer up to 2^24 exactly: integer files are kept as float32 until a value is larger. */
const FLOAT32_INTEGERS = 2 ** 24;
const MAX_ENTRIES = 2 ** 31 - 1;

type Field = 'real' | 'integer' | 'pattern';

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** The entries of a Matrix Market coordinate file, read line by line as its text arrives. */
export class MtxParser {
  line = 0;
  protected stage: 'header' | 'size' | 'entries' = 'header';
  private field: Field = 'real';
  protected symmetric = false;
  protected rows = 0;
  protected cols = 0;
  protected declared = 0;
  private sizeLine = 0;
  /** Entries read from the file (a mirrored one counts once). */
  private read = 0;
  /** Entries kept (mirrored ones twice). */
  private kept = 0;
  private row = new Int32Array(0);
  private col = new Int32Array(0);
  private values: Float32Array | Float64Array = new Float64Array(0);

  constructor(protected readonly name: string, protected readonly transpose: boolean) {}

  protected fail(message: string): never {
    throw new RangeError(`${this.name}, line ${this.line}: ${message}`);
  }

  /** One line of text, without its line end. */
  take(text: string): void {
    this.line++;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (this.stage === 'header') return this.header(line);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('%')) return;
    const tokens = trimmed.split(/\s+/);
    if (this.stage === 'size') return this.size(tokens);
    this.entry(tokens);
  }

  private header(line: string): void {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '%%MatrixMarket') {
      this.fail(`not a Matrix Market file: it should start with %%MatrixMarket, found ${JSON.stringify(line.slice(0, 40))}`);
    }
    const [object, format, field, symmetry] = words.slice(1).map((word) => word.toLowerCase());
    if (object !== 'matrix') this.fail(`the header names the object ${JSON.stringify(words[1] ?? '')}: eigengame reads matrices ("matrix")`);
    if (format === 'array') this.fail('the header says "array": a dense Matrix Market file; eigengame reads the sparse "coordinate" format (dense data reads faster as .npy)');
    if (format !== 'coordinate') this.fail(`the header names the format ${JSON.stringify(words[2] ?? '')}: eigengame reads "coordinate"`);
    if (field === 'complex') this.fail('the header says "complex": complex values have no principal components here (real, integer or pattern)');
    if (field !== 'real' && field !== 'integer' && field !== 'pattern' && field !== 'double') {
      this.fail(`the header names the field ${JSON.stringify(words[3] ?? '')}: eigengame reads real, integer or pattern`);
    }
    if (symmetry !== 'general' && symmetry !== 'symmetric') {
      this.fail(`the header names the symmetry ${JSON.stringify(words[4] ?? '')}: eigengame reads general or symmetric (not skew-symmetric or hermitian)`);
    }
    this.field = field === 'double' ? 'real' : field;
    this.symmetric = symmetry === 'symmetric';
    this.values = this.field === 'real' ? new Float64Array(0) : new Float32Array(0);
    this.stage = 'size';
  }

  private size(tokens: string[]): void {
    if (tokens.length !== 3 || !tokens.every((token) => /^\d+$/.test(token))) {
      this.fail(`the size line should be three whole numbers, rows columns entries; found ${JSON.stringify(tokens.join(' '))}`);
    }
    const [rows, cols, entries] = tokens.map(Number);
    if (rows > MAX_ENTRIES || cols > MAX_ENTRIES) this.fail(`a matrix of ${rows} × ${cols}: eigengame reads fewer than 2^31 rows and columns`);
    if (entries > MAX_ENTRIES) this.fail(`${entries} entries: eigengame's sparse matrices hold fewer than 2^31`);
    if (this.symmetric && rows !== cols) this.fail(`a symmetric matrix must be square, but the size line says ${rows} × ${cols}`);
    [this.rows, this.cols, this.declared, this.sizeLine] = [rows, cols, entries, this.line];
    this.stage = 'entries';
  }

  private entry(tokens: string[]): void {
    if (this.read === this.declared) this.fail(`an entry beyond the ${this.declared} that the size line (line ${this.sizeLine}) announces`);
    const wanted = this.field === 'pattern' ? 2 : 3;
    if (tokens.length !== wanted) {
      this.fail(`expected ${wanted === 2 ? 'two numbers, i j (a pattern file has no values)' : 'three numbers, i j value'}, found ${tokens.length}: ${JSON.stringify(tokens.join(' '))}`);
    }
    const i = this.index(tokens[0], 'row', this.rows);
    const j = this.index(tokens[1], 'column', this.cols);
    const value = this.field === 'pattern' ? 1 : this.value(tokens[2]);
    this.read++;
    const [r, c] = this.transpose ? [j, i] : [i, j];
    this.keep(r, c, value);
    if (this.symmetric && i !== j) this.keep(c, r, value);
  }

  private index(token: string, what: string, size: number): number {
    if (!/^\d+$/.test(token)) this.fail(`the ${what} index ${JSON.stringify(token)} is not a whole number`);
    const index = Number(token);
    if (index < 1 || index > size) this.fail(`${what} index ${token} is out of range: the matrix has ${size} ${what}s, numbered from 1 to ${size}`);
    return index - 1;
  }

  private value(token: string): number {
    if (NOT_FINITE.test(token)) this.fail(`the value ${JSON.stringify(token)} is not a finite number`);
    if (!(this.field === 'integer' ? INTEGER : REAL).test(token)) this.fail(`the value ${JSON.stringify(token)} is not ${this.field === 'integer' ? 'an integer' : 'a number'}`);
    const value = Number(token);
    if (!Number.isFinite(value)) this.fail(`the value ${token} is beyond float64's range`);
    if (this.values instanceof Float32Array && Math.abs(value) > FLOAT32_INTEGERS) this.values = Float64Array.from(this.values);
    return value;
  }

  protected keep(r: number, c: number, value: number): void {
    if (this.kept === this.row.length) this.grow();
    this.row[this.kept] = r;
    this.col[this.kept] = c;
    this.values[this.kept] = value;
    this.kept++;
  }

  /** Doubles the entries' room, up to what the size line allows (twice its count for a symmetric file). */
  private grow(): void {
    const most = Math.min(MAX_ENTRIES, this.symmetric ? 2 * this.declared : this.declared);
    if (this.kept >= most) this.fail(`more than ${MAX_ENTRIES} entries once mirrored: eigengame's sparse matrices hold fewer than 2^31`);
    const capacity = Math.min(most, Math.max(FIRST_CAPACITY, 2 * this.row.length));
    const row = new Int32Array(capacity);
    row.set(this.row);
    const col = new Int32Array(capacity);
    col.set(this.col);
    const values = this.values instanceof Float32Array ? new Float32Array(capacity) : new Float64Array(capacity);
    values.set(this.values);
    [this.row, this.col, this.values] = [row, col, values];
  }

  /** The matrix, once every line has been taken. */
  finish(): SparseMatrix {
    this.checkEnd();
    const [rows, cols] = this.transpose ? [this.cols, this.rows] : [this.rows, this.cols];
    return cooToCsr(this.name, rows, cols, this.row.subarray(0, this.kept), this.col.subarray(0, this.kept), this.values.subarray(0, this.kept));
  }

  /** Checks that the file is whole, once every line has been taken: a header, a size line, every entry it announces. */
  protected checkEnd(): void {
    if (this.stage === 'header') throw new RangeError(`${this.name} is empty: a Matrix Market file starts with a %%MatrixMarket line`);
    if (this.stage === 'size') throw new RangeError(`${this.name} ends at line ${this.line} before its size line (rows columns entries)`);
    if (this.read < this.declared) {
      throw new RangeError(`${this.name} ends at line ${this.line} after ${this.read} entries, but its size line (line ${this.sizeLine}) announces ${this.declared}: is it truncated?`);
    }
  }
}

/** Reads a Matrix Market coordinate file's text, from its (decompressed) chunks, into csr. */
export async function readMtxChunks(chunks: AsyncIterable<Uint8Array>, name: string, options: SparseFileOptions = {}): Promise<SparseMatrix> {
  const parser = new MtxParser(name, options.transpose ?? false);
  for await (const _ of takeLines(chunks, parser, () => options.signal)) continue;
  return parser.finish();
}

/**
 * Hands the lines of a file's text, from its chunks, to `parser`, and pauses (yields) after each chunk and every
 * LINES_PER_TURN lines, the event loop's turn taken (`signal()`: the abort signal then). The caller sees the parser's state at every pause.
 */
export async function* takeLines(
  chunks: AsyncIterable<Uint8Array>, parser: MtxParser, signal: () => AbortSignal | undefined,
): AsyncGenerator<void> {
  const decoder = new TextDecoder('utf-8');
  let partial = '';
  let sinceTurn = 0;
  for await (const chunk of chunks) {
    const text = partial + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      parser.take(text.slice(start, end));
      start = end + 1;
      if (++sinceTurn === LINES_PER_TURN) {
        sinceTurn = 0;
        await turn(signal());
        yield;
      }
    }
    partial = text.slice(start);
    await turn(signal());
    yield;
  }
  partial += decoder.decode();
  if (partial !== '') parser.take(partial);
}

/** The chunks of a gzip file, inflated (its CRC and length checked by the inflater); errors name the file. */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const inflated = chunksStream(chunks).pipeThrough(decompressionStream('gzip', name, 'decompress it first (gunzip) and read the .mtx file'));
  let count = 0;
  try {
    for await (const chunk of streamChunks(inflated)) {
      count += chunk.byteLength;
      yield chunk;
    }
  } catch (error) {
    if (!isInflateError(error)) throw error;
    throw new RangeError(`${name}: its gzip data is damaged or truncated after ${count} decompressed bytes: ${(error as Error).message}`, { cause: error });
  }
}

/** An error of zlib (Node's codes) or of a browser's DecompressionStream (a TypeError), not one of ours. */
function isInflateError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('Z_')) || (error instanceof TypeError && !(error instanceof RangeError));
}
