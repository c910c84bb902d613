// CSV and TSV: one row per record, numbers in the chosen columns. RFC 4180 quoting ("a, b", "say ""hi"""), LF or
// CRLF line ends, a header row detected (a first record with a cell that is a word, not a number) or declared, columns
// chosen by name or index. The parser works on bytes, so it knows each record's byte offset: a file's first pass
// indexes where every block of rows starts, and later epochs read the blocks in any order. Every cell is checked;
// errors name the file, the line and the column.

import { ByteReader, fileChunks, readStart, reopenFile, type ByteFile, type ByteInput, type ByteStream } from './bytes';
import { describe } from '../describe';
import { turnDue, yieldToEventLoop } from '../hosts/turns';
import { checkBatchSize, type MatrixSource, type RowBatch, type SourceInfo } from './source';

/** How `CsvSource` (and `openSource` for a CSV/TSV file) reads its input. */
export interface CsvOptions {
  /** Name used in errors (default: the path, the File's name, or what kind of input it is). */
  name?: string;
  /** One character. Default: a tab for names ending in .tsv or .tab, else whichever of , tab ; the first line has most. */
  delimiter?: string;
  /**
   * Whether the first record names the columns; 'auto' (default): it does if one of its cells is a word, neither a
   * number (even one refused: hex, NaN, inf, NA) nor empty. A first record of numbers is data, its bad cells errors.
   */
  header?: boolean | 'auto';
  /** The columns to read: names (from the header) or 0-based indices. Default: all. */
  columns?: ReadonlyArray<string | number>;
}

interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
  /** Byte offset where the record starts. */
  offset: number;
}

/** Bytes of the start of the data that the delimiter is sniffed from (enough for the first line). */
const SNIFF_BYTES = 1 << 16;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
/**
 * The most a record may hold: bytes per field, bytes and fields per record. Far beyond any table of numbers, they
 * bound the memory a file without line ends (or with a quote never closed) can take before it is refused.
 */
const CSV_LIMITS = { fieldBytes: 1 << 20, recordBytes: 1 << 26, recordFields: 1 << 20 } as const;
/** Fields up to this long build faster from char codes than through a TextDecoder (and far from the limit on arguments). */
const SHORT_FIELD = 256;

/** A cell or name for a message: quoted, and cut short if long (a field can be a MiB). */
function quote(text: string): string {
  return text.length <= 64 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 64))}… (${text.length} characters)`;
}

/** Names for a message: the first few, quoted. */
function listed(names: string[]): string {
  const shown = names.slice(0, 20).map(quote).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

/** Splits bytes into records, across chunk boundaries; `push` returns the records each chunk completes. */
class RecordSplitter {
  private fields: string[] = [];
  private field = new Uint8Array(64);
  private length = 0;
  private state: 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' | 'after-quote' = 'start';
  private skipLF = false;
  private line: number;
  private recordLine: number;
  private recordOffset: number;
  private position: number;
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(private readonly name: string, private readonly delimiter: number, offset = 0, line = 1) {
    this.position = offset;
    this.recordOffset = offset;
    this.line = line;
    this.recordLine = line;
  }

  push(chunk: Uint8Array, out: CsvRecord[]): void {
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      throw new RangeError(`${this.name} has a NUL byte at byte offset ${this.position + nul}: it is binary data (or UTF-16 text), not CSV`);
    }
    for (let i = 0; i < chunk.length; i++, this.position++) {
      const byte = chunk[i];
      if (this.skipLF) {
        this.skipLF = false;
        if (byte === LF) {
          this.recordOffset = this.position + 1;
          continue;
        }
      }
      switch (this.state) {
        case 'quoted':
          if (byte === QUOTE) this.state = 'quote-in-quoted';
          else {
            if (byte === LF) this.line++;
            this.append(byte);
          }
          continue;
        case 'quote-in-quoted':
          if (byte === QUOTE) {
            this.append(QUOTE);
            this.state = 'quoted';
            continue;
          }
          this.state = 'after-quote';
          break;
        case 'start':
          if (byte === QUOTE) {
            this.state = 'quoted';
            continue;
          }
          break;
        default:
          break;
      }
      if (byte === this.delimiter) {
        this.endField();
      } else if (byte === LF || byte === CR) {
        this.endRecord(out);
        this.line++;
        this.skipLF = byte === CR;
        this.recordOffset = this.position + 1;
        this.recordLine = this.line;
      } else if (this.state === 'after-quote') {
        throw new RangeError(
          `${this.name}: line ${this.line}, column ${this.fields.length + 1}: unexpected ${JSON.stringify(String.fromCharCode(byte))} after a closing quote`,
        );
      } else {
        this.state = 'unquoted';
        this.append(byte);
      }
    }
  }

  /** Ends the input: the last record may lack its line end; a quote left open is an error. */
  finish(out: CsvRecord[]): void {
    if (this.state === 'quoted') throw new RangeError(`${this.name}: line ${this.recordLine}: a quoted field is never closed`);
    this.endRecord(out);
  }

  private append(byte: number): void {
    if (this.length === this.field.length) {
      if (this.length === CSV_LIMITS.fieldBytes) {
        throw new RangeError(
          `${this.name}: line ${this.recordLine}, column ${this.fields.length + 1}: a field longer than ${CSV_LIMITS.fieldBytes} bytes (1 MiB) is not read (is a quote or a line end missing?)`,
        );
      }
      const grown = new Uint8Array(this.field.length * 2);
      grown.set(this.field);
      this.field = grown;
    }
    this.field[this.length++] = byte;
  }

  private endField(): void {
    if (this.position - this.recordOffset > CSV_LIMITS.recordBytes) {
      throw new RangeError(`${this.name}: line ${this.recordLine}: a record longer than ${CSV_LIMITS.recordBytes} bytes (64 MiB) is not read (is a line end missing?)`);
    }
    if (this.fields.length === CSV_LIMITS.recordFields) {
      throw new RangeError(`${this.name}: line ${this.recordLine}: a record of more than ${CSV_LIMITS.recordFields} fields is not read (is a line end missing?)`);
    }
    const bytes = this.field.subarray(0, this.length);
    let ascii = bytes.length <= SHORT_FIELD;
    for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i] < 0x80;
    // Numbers are short ASCII.
    this.fields.push(ascii ? String.fromCharCode.apply(null, bytes as unknown as number[]) : this.utf8.decode(bytes));
    this.length = 0;
    this.state = 'start';
  }

  private endRecord(out: CsvRecord[]): void {
    const blank = this.fields.length === 0 && this.length === 0 && this.state === 'start';
    if (!blank) {
      this.endField();
      out.push({ fields: this.fields, line: this.recordLine, offset: this.recordOffset });
    }
    this.fields = [];
    this.length = 0;
    this.state = 'start';
  }
}

/**
 * Bytes split into records at once, between turns of the event loop: parsing them and converting their records
 * (which the consumer does as they come) takes a few milliseconds; a chunk can be any size.
 */
const PIECE_BYTES = 1 << 16;

/** Records from chunks of bytes. */
async function* records(
  name: string, delimiter: number, chunks: AsyncIterable<Uint8Array>, offset = 0, line = 1,
): AsyncGenerator<CsvRecord> {
  const splitter = new RecordSplitter(name, delimiter, offset, line);
  const out: CsvRecord[] = [];
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; at += PIECE_BYTES) {
      if (turnDue()) await yieldToEventLoop();
      splitter.push(chunk.subarray(at, at + PIECE_BYTES), out);
      yield* out;
      out.length = 0;
    }
  }
  splitter.finish(out);
  yield* out;
}

/**
 * A number as a CSV cell may write it: decimal digits with an optional sign, fraction and exponent, spaces around
 * (Number() alone would also take hex '0x10', binary '0b1', octal '0o7', 'Infinity' and a blank cell as 0).
 */
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** Cells written for a missing or non-finite number: refused as data, but never a column's name. */
const NOT_A_NUMBER = /^\s*[+-]?(?:nan|inf|infinity|na)\s*$/i;

/**
 * Whether a first record's cell says it is data, not a header: a number, even one the reader refuses (hex, NaN, inf,
 * NA), or an empty cell. A first record of such cells is data, so its bad cells are errors like any row's; only a
 * cell that can be nothing but a name (a word) makes it the header, and no row is dropped silently.
 */
function meantAsNumber(field: string): boolean {
  const text = field.trim();
  return text === '' || DECIMAL.test(text) || !Number.isNaN(Number(text)) || NOT_A_NUMBER.test(text);
}

/**
 * Whether a cell that Number() reads as a finite number is written in decimal. Number() reads exactly DECIMAL,
 * 'Infinity' (not finite), a blank cell (as 0) and unsigned hex, binary and octal ('0x10'), so a cell that starts
 * with a sign, a dot, a digit 1–9, or a 0 not followed by x, b or o is decimal; only the rare rest (leading spaces,
 * a blank) takes the regular expression. Per cell this costs less than the trim() it replaces.
 */
function isDecimal(field: string): boolean {
  const first = field.charCodeAt(0);
  if (first === 0x30) {
    const second = field.charCodeAt(1) | 0x20; // lower case
    return second !== 0x78 && second !== 0x62 && second !== 0x6f; // x, b, o
  }
  if ((first > 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e) return true; // 1-9 + - .
  return DECIMAL.test(field);
}

/** Which of , tab ; the first line (outside quotes) has most of; a comma when it has none. */
function sniffDelimiter(head: Uint8Array): number {
  const counts = new Map<number, number>([[0x2c, 0], [0x09, 0], [0x3b, 0]]);
  let quoted = false;
  for (const byte of head) {
    if (byte === QUOTE) quoted = !quoted;
    else if (!quoted && (byte === LF || byte === CR)) break;
    else if (!quoted && counts.has(byte)) counts.set(byte, counts.get(byte)! + 1);
  }
  let best = 0x2c;
  for (const [byte, count] of counts) if (count > counts.get(best)!) best = byte;
  return best;
}

interface CsvLayout {
  delimiter: number;
  header: string[] | null;
  /** The header record's line (0 without one). */
  headerLine: number;
  /** Fields every record must have. */
  fieldCount: number;
  /** Indices of the columns read. */
  selected: number[];
  /** Offset and line of the first data record. */
  dataOffset: number;
  dataLine: number;
}

/** Where each block of `batchSize` data rows starts, learnt by a full pass over a file. */
interface BlockIndex {
  batchSize: number;
  offsets: number[];
  lines: number[];
  rows: number;
}

/** A CSV stream read past its first records: the data records still to come, and the stream to close. */
interface OpenCsvStream {
  bytes: ByteStream;
  records: AsyncGenerator<CsvRecord>;
}

/** What a first look at the input tells: the layout; for a stream, the stream itself, held for the batches. */
interface CsvStart {
  layout: CsvLayout;
  stream: OpenCsvStream | null;
}

/**
 * Reads CSV/TSV from a file, Blob, buffer or stream in batches of rows. A file is opened by each operation and
 * closed when it ends (info() reads the first records and closes it; each batches() call opens its own handle and
 * closes it however the iteration ends); a stream, readable once, is held from info() until it is read, left or
 * closed.
 */
export class CsvSource extends ByteReader<CsvStart> implements MatrixSource {
  private index: BlockIndex | null = null;
  private buffer = new Float64Array(0);

  constructor(input: ByteInput, private readonly options: CsvOptions = {}) {
    super(input, options.name);
    const { delimiter, header, columns } = options;
    if (delimiter !== undefined && (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')) {
      throw new TypeError(`delimiter must be one character other than a quote or a line end, got ${JSON.stringify(delimiter)}`);
    }
    if (header !== undefined && header !== 'auto' && typeof header !== 'boolean') {
      throw new TypeError(`header must be true, false or 'auto', got ${describe(header)}`);
    }
    if (columns !== undefined && (!Array.isArray(columns) || columns.length === 0
      || !columns.every((c) => typeof c === 'string' || (Number.isInteger(c) && c >= 0)))) {
      const shown = Array.isArray(columns) ? `[${columns.map(describe).join(', ')}]` : describe(columns);
      throw new TypeError(`columns must be a non-empty array of column names or 0-based indices, got ${shown}`);
    }
  }

  async info(): Promise<SourceInfo> {
    const { layout, stream } = await this.open();
    return {
      format: 'csv',
      cols: layout.selected.length,
      rows: this.index?.rows ?? null,
      columnNames: layout.header && layout.selected.map((i) => layout.header![i]),
      dtype: 'text',
      rereadable: stream === null,
    };
  }

  async *batches(batchSize: number, blockOrder?: ArrayLike<number>): AsyncGenerator<RowBatch> {
    const { layout, stream } = await this.open();
    const cols = layout.selected.length;
    checkBatchSize(this.name, batchSize, cols);
    if (this.buffer.length < batchSize * cols) this.buffer = new Float64Array(batchSize * cols);
    if (stream) {
      yield* this.streamBatches(stream, layout, batchSize, blockOrder);
      return;
    }
    const file = await reopenFile(this.input, this.name);
    try {
      if (!blockOrder) {
        yield* this.indexingPass(file, layout, batchSize);
        return;
      }
      if (this.index?.batchSize !== batchSize) {
        for await (const _ of this.indexingPass(file, layout, batchSize)); // learns where the blocks start
      }
      yield* this.blocks(file, layout, this.index!, blockOrder);
    } finally {
      await file.close();
    }
  }

  private async *streamBatches(stream: OpenCsvStream, layout: CsvLayout, batchSize: number, blockOrder?: ArrayLike<number>) {
    if (blockOrder) throw new Error(`${this.name} is a stream: it can only be read once, in order`);
    if (this.consumed) throw new Error(`${this.name} is a stream and has been read (or closed) already`);
    this.consumed = true;
    try {
      yield* this.inOrder(stream.records, layout, batchSize, null);
    } finally {
      await stream.bytes.close();
    }
  }

  /** Every row in order, in batches, noting where each block of `batchSize` rows starts. */
  private async *indexingPass(file: ByteFile, layout: CsvLayout, batchSize: number) {
    const index: BlockIndex = { batchSize, offsets: [], lines: [], rows: 0 };
    const from = records(this.name, layout.delimiter, fileChunks(file, layout.dataOffset), layout.dataOffset, layout.dataLine);
    yield* this.inOrder(from, layout, batchSize, index);
    this.index = index;
  }

  /** The blocks of `index.batchSize` rows in the order asked for, each read from where the index says it starts. */
  private async *blocks(file: ByteFile, layout: CsvLayout, index: BlockIndex, blockOrder: ArrayLike<number>) {
    const { batchSize } = index;
    const cols = layout.selected.length;
    for (let i = 0; i < blockOrder.length; i++) {
      const block = blockOrder[i];
      if (!(Number.isInteger(block) && block >= 0 && block < index.offsets.length)) throw new RangeError(`${this.name}: there is no block ${describe(block)} of ${batchSize} rows`);
      const count = Math.min(batchSize, index.rows - block * batchSize);
      let rows = 0;
      const end = index.offsets[block + 1] ?? file.size;
      for await (const record of records(this.name, layout.delimiter, fileChunks(file, index.offsets[block], end), index.offsets[block], index.lines[block])) {
        this.convert(record, layout, rows++);
        if (rows === count) break;
      }
      if (rows !== count) throw new Error(`${this.name} changed since its first pass: block ${block} has ${rows} of its ${count} rows`);
      yield { data: this.buffer.subarray(0, count * cols), rows: count, cols, firstRow: block * batchSize };
    }
  }

  private async *inOrder(from: AsyncIterable<CsvRecord>, layout: CsvLayout, batchSize: number, index: BlockIndex | null) {
    const cols = layout.selected.length;
    let rows = 0;
    let firstRow = 0;
    for await (const record of from) {
      if (rows === 0 && index) {
        index.offsets.push(record.offset);
        index.lines.push(record.line);
      }
      this.convert(record, layout, rows++);
      if (rows === batchSize) {
        yield { data: this.buffer.subarray(0, rows * cols), rows, cols, firstRow };
        firstRow += rows;
        rows = 0;
      }
    }
    if (rows > 0) yield { data: this.buffer.subarray(0, rows * cols), rows, cols, firstRow };
    if (index) index.rows = firstRow + rows;
    if (firstRow + rows === 0) throw new RangeError(`${this.name} has no data rows${layout.header ? ' after its header' : ''}`);
  }

  /** Writes a record's selected cells into row `row` of the batch buffer, checking each. */
  private convert(record: CsvRecord, layout: CsvLayout, row: number): void {
    const { fields, line } = record;
    if (fields.length !== layout.fieldCount) {
      const reference = layout.header ? `the header (line ${layout.headerLine})` : `the first row (line ${layout.dataLine})`;
      throw new RangeError(`${this.name}: line ${line} has ${fields.length} fields, ${reference} has ${layout.fieldCount}`);
    }
    const cols = layout.selected.length;
    for (let j = 0; j < cols; j++) {
      const column = layout.selected[j];
      const field = fields[column];
      const value = Number(field);
      if (value - value !== 0 || !isDecimal(field)) throw this.badCell(layout, line, column, field);
      this.buffer[row * cols + j] = value;
    }
  }

  /** The error for a cell that is not a finite decimal number, naming the file, line, column and cell. */
  private badCell(layout: CsvLayout, line: number, column: number, field: string): RangeError {
    const text = field.trim();
    const quoted = quote(text);
    const what = text === '' ? 'is empty'
      : DECIMAL.test(text) ? `${quoted} is too large for a float64 number`
        : Number.isFinite(Number(text)) ? `${quoted} is not a decimal number` // hex, binary, octal
          : `${quoted} is not a finite number`;
    const named = layout.header ? ` (${quote(layout.header[column])})` : '';
    // A first record taken for data because its cells are numbers: say how to read it as the header it may be.
    const guessed = !layout.header && line === layout.dataLine && (this.options.header ?? 'auto') === 'auto'
      ? ` (line ${line} is read as data, as its other cells are numbers; if it names the columns, declare a header)` : '';
    return new RangeError(`${this.name}: line ${line}, column ${column + 1}${named}: ${what}${guessed}`);
  }

  private open() {
    this.opened ??= this.openNow();
    return this.opened;
  }

  /** Reads the layout: a file is closed again at once, a stream is kept open (past its first records) unless it is bad. */
  private openNow(): Promise<CsvStart> {
    return readStart<CsvStart>(
      this.input, this.name,
      async (file) => ({ layout: (await this.readLayout(fileChunks(file))).layout, stream: null }),
      async (bytes) => {
        const { layout, rest } = await this.readLayout(bytes.chunks);
        return { layout, stream: { bytes, records: rest } };
      },
    );
  }

  /** The delimiter, header and columns, from the first records of `chunks`; `rest` goes on with the data records. */
  private async readLayout(chunks: AsyncIterable<Uint8Array>): Promise<{ layout: CsvLayout; rest: AsyncGenerator<CsvRecord> }> {
    const name = this.name;
    // The first line decides the delimiter; the first two records, the header and the field count.
    const iterator = chunks[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    for (let lineEnded = false; headBytes < SNIFF_BYTES && !lineEnded;) {
      const next = await iterator.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.byteLength;
      lineEnded = next.value.includes(LF) || next.value.includes(CR);
    }
    if (headBytes === 0) throw new RangeError(`${name} is empty`);
    const joined = new Uint8Array(headBytes);
    head.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.byteLength), 0);
    const delimiter = this.options.delimiter?.charCodeAt(0)
      ?? (/\.(tsv|tab)$/i.test(name) ? 0x09 : sniffDelimiter(joined));
    async function* replay(): AsyncGenerator<Uint8Array> {
      yield joined;
      for (;;) {
        const { done, value } = await iterator.next();
        if (done) return;
        yield value;
      }
    }
    const fromStart = records(name, delimiter, replay());
    const first: CsvRecord[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await fromStart.next();
      if (next.done) break;
      first.push(next.value);
    }
    if (first.length === 0) throw new RangeError(`${name} is empty`);
    const option = this.options.header ?? 'auto';
    const hasHeader = option === 'auto' ? !first[0].fields.every(meantAsNumber) : option;
    if (hasHeader && first.length === 1) throw new RangeError(`${name} has no data rows after its header`);
    const header = hasHeader ? first[0].fields.map((field) => field.trim()) : null;
    const fieldCount = first[0].fields.length;
    const selected = (this.options.columns ?? Array.from({ length: fieldCount }, (_, i) => i)).map((column) => {
      if (typeof column === 'number') {
        if (column >= fieldCount) throw new RangeError(`${name}: there is no column ${column} (0-based); the data has ${fieldCount}`);
        return column;
      }
      if (!header) throw new RangeError(`${name}: column ${quote(column)} asked for by name, but the data has no header row`);
      const at = header.indexOf(column);
      if (at < 0) throw new RangeError(`${name}: no column named ${quote(column)}; the header has ${listed(header)}`);
      return at;
    });
    const data = first[hasHeader ? 1 : 0];
    const layout: CsvLayout = {
      delimiter, header, headerLine: hasHeader ? first[0].line : 0, fieldCount, selected, dataOffset: data.offset, dataLine: data.line,
    };
    async function* fromData(): AsyncGenerator<CsvRecord> {
      yield* first.slice(hasHeader ? 1 : 0);
      yield* fromStart;
    }
    return { layout, rest: fromData() };
  }
}
