// The command line, read in one place: which options each command takes, what each option's value must look like,
// and each command's help. Every argument is checked here before any file is opened, and what can only be checked
// against a file (column names, k against the columns) is checked by the helpers at the end, before any work: a
// malformed argument is a UsageError (exit code 2) whose one line names the argument and says what to do.

import { UsageError } from './files';

/** A malformed argument: its message ends with a pointer to the command's help. */
export class ArgumentError extends UsageError {}

export type CommandName = 'fit' | 'transform' | 'info' | 'cca' | 'pls' | 'lda';
export const COMMANDS: readonly CommandName[] = ['fit', 'transform', 'info', 'cca', 'pls', 'lda'];

/** A column as the command line names it: a header name, or a 0-based index. */
export type Column = string | number;

/** Every option's value, checked and typed; an option not given is undefined (flags: false). */
export interface Arguments {
  k?: number;
  devices?: number | 'auto';
  batch?: number;
  solver?: 'auto' | 'covariance' | 'data' | 'gram';
  tol?: number;
  maxSteps?: number;
  seed?: number;
  noCenter: boolean;
  out?: string;
  columns?: Column[];
  delimiter?: string;
  header?: 'auto' | 'yes' | 'no';
  format?: 'npy' | 'csv' | 'parquet' | 'npz' | 'mtx';
  transpose: boolean;
  stream: boolean;
  x?: Column[];
  y?: Column[];
  labels?: Column;
  regularization?: number;
  quiet: boolean;
  json: boolean;
}

type Parsed = Partial<Arguments>;

interface OptionSpec {
  /** The value's placeholder in the help; none for a flag. */
  value?: string;
  short?: string;
  /** Reads the value (a flag has none) into the arguments, or throws an ArgumentError. */
  read(into: Parsed, text: string, flag: string): void;
}

const integer = (minimum: number) => (text: string, flag: string): number => {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= minimum)) throw new ArgumentError(`${flag} must be a whole number ≥ ${minimum}, got ${JSON.stringify(text)}`);
  return value;
};

/** A decimal number ≥ 0 (no hex, no Infinity, no empty text, which Number() would read as 0). */
function nonNegative(text: string, flag: string): number {
  const value = /^[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new ArgumentError(`${flag} must be a decimal number ≥ 0 (like 1e-6), got ${JSON.stringify(text)}`);
  return value;
}

function choice<T extends string>(choices: readonly T[]) {
  return (text: string, flag: string): T => {
    if (!(choices as readonly string[]).includes(text)) throw new ArgumentError(`${flag} must be ${listOf(choices)}, got ${JSON.stringify(text)}`);
    return text as T;
  };
}

function listOf(words: readonly string[]): string {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** A comma-separated list of columns: names, or 0-based indices (digits only). */
function columns(text: string, flag: string): Column[] {
  const items = text.split(',').map((item) => item.trim());
  const empty = items.findIndex((item) => item === '');
  if (empty >= 0) {
    throw new ArgumentError(`${flag} ${JSON.stringify(text)} has an empty column name (item ${empty + 1}): list columns as name,name or 0-based indices like 0,3`);
  }
  return items.map((item) => (/^\d+$/.test(item) ? Number(item) : item));
}

/** The delimiter: one character other than a quote or a line end; `\t` and `tab` stand for a tab. */
function delimiter(text: string, flag: string): string {
  const character = text === '\\t' || text === 'tab' ? '\t' : text;
  if ([...character].length !== 1 || character.length !== 1 || character === '"' || character === '\n' || character === '\r') {
    throw new ArgumentError(`${flag} must be one character other than a quote or a line end (\\t or tab for a tab), got ${JSON.stringify(text)}`);
  }
  return character;
}

function path(text: string, flag: string): string {
  if (text === '') throw new ArgumentError(`${flag} needs a file name, got ""`);
  return text;
}

const OPTIONS: Record<string, OptionSpec> = {
  k: { value: '<k>', short: 'k', read: (into, text, flag) => (into.k = integer(1)(text, flag)) },
  devices: {
    value: '<n|auto>',
    read: (into, text, flag) => {
      if (text === 'auto') into.devices = 'auto';
      else if (/^\d+$/.test(text) && Number(text) >= 1 && Number.isSafeInteger(Number(text))) into.devices = Number(text);
      else throw new ArgumentError(`${flag} must be a whole number ≥ 1 or auto, got ${JSON.stringify(text)}`);
    },
  },
  batch: { value: '<rows>', read: (into, text, flag) => (into.batch = integer(2)(text, flag)) },
  solver: { value: '<s>', read: (into, text, flag) => (into.solver = choice(['auto', 'covariance', 'data', 'gram'] as const)(text, flag)) },
  tol: { value: '<t>', read: (into, text, flag) => (into.tol = nonNegative(text, flag)) },
  'max-steps': { value: '<n>', read: (into, text, flag) => (into.maxSteps = integer(1)(text, flag)) },
  seed: { value: '<s>', read: (into, text, flag) => (into.seed = integer(0)(text, flag)) },
  'no-center': { read: (into) => (into.noCenter = true) },
  out: { value: '<file>', read: (into, text, flag) => (into.out = path(text, flag)) },
  columns: { value: '<a,b,...>', read: (into, text, flag) => (into.columns = columns(text, flag)) },
  delimiter: { value: '<c>', read: (into, text, flag) => (into.delimiter = delimiter(text, flag)) },
  header: { value: '<auto|yes|no>', read: (into, text, flag) => (into.header = choice(['auto', 'yes', 'no'] as const)(text, flag)) },
  format: { value: '<f>', read: (into, text, flag) => (into.format = choice(['npy', 'csv', 'parquet', 'npz', 'mtx'] as const)(text, flag)) },
  transpose: { read: (into) => (into.transpose = true) },
  stream: { read: (into) => (into.stream = true) },
  x: { value: '<a,b,...>', read: (into, text, flag) => (into.x = columns(text, flag)) },
  y: { value: '<a,b,...>', read: (into, text, flag) => (into.y = columns(text, flag)) },
  labels: {
    value: '<column>',
    read: (into, text, flag) => {
      const list = columns(text, flag);
      if (list.length !== 1) throw new ArgumentError(`${flag} takes one column (the classes), got ${list.length}: ${JSON.stringify(text)}; X is every other column`);
      into.labels = list[0];
    },
  },
  regularization: { value: '<e>', read: (into, text, flag) => (into.regularization = nonNegative(text, flag)) },
  quiet: { read: (into) => (into.quiet = true) },
  json: { read: (into) => (into.json = true) },
};

type OptionName = keyof typeof OPTIONS;

interface CommandSpec {
  /** The positional arguments, as the usage line names them. */
  files: string[];
  /** The usage line's options, after the files. */
  usage: string;
  summary: string;
  /** The options it takes and their help lines (the option's placeholder is added). */
  options: [OptionName, string][];
  /** Options of other commands that it refuses, with the reason (any other unknown option gets the plain line). */
  refused?: Partial<Record<OptionName, string>>;
}

const FIT_CONTROL: [OptionName, string][] = [
  ['devices', 'parallel devices, workers on one shared memory (default: auto = the machine\'s cores)'],
  ['batch', 'rows per minibatch (default 4096, fewer for wide rows)'],
];
const GAME: [OptionName, string][] = [
  ['tol', 'stop once every component\'s residual ‖Cv − λv‖ is at most t·λ₁ (default 1e-6)'],
  ['max-steps', 'the most rounds of the players (default 10000)'],
  ['seed', 'seed of the initial vectors (default 0); the same seed and file give the same bits'],
];
const READING: [OptionName, string][] = [
  ['delimiter', 'CSV delimiter: one character; \\t or tab for a tab (default: tab for .tsv, else the commonest of , tab ;)'],
  ['header', 'does a CSV file\'s first line name the columns? (default auto: yes if a cell is a word)'],
  ['format', 'npy, csv, parquet, npz or mtx (default: from its extension: .npy; .csv, .tsv, .tab, .txt; .parquet, .parq, .pq; .npz; .mtx, .mtx.gz)'],
];
/** Sparse files: scipy's save_npz and Matrix Market. */
const SPARSE: [OptionName, string] = ['transpose', 'read a sparse file\'s (.npz, .mtx, .mtx.gz) columns as rows: a genes × cells matrix.mtx.gz as cells × genes'];
/** fit of a sparse file larger than memory. */
const STREAM: [OptionName, string] = [
  'stream',
  'read a sparse file in one pass, a batch of rows at a time, for files larger than memory: a Matrix Market file (.mtx, .mtx.gz) whose entries come grouped by row in row order (with --transpose, by column: 10x Genomics\' order), or an .npz of a csr matrix (csc with --transpose); the covariance route only',
];
const STREAM_FIT_ONLY = 'fit streams a sparse file (--stream); transform and info read a sparse file whole';
const NOT_SPARSE = 'it reads dense files (.npy, CSV, Parquet), always streamed; --stream is fit\'s, for sparse files';
const COLUMNS: [OptionName, string] = ['columns', 'CSV or Parquet columns to read, by name or 0-based index (default: all)'];
const REPORTING: [OptionName, string][] = [
  ['quiet', 'no progress and no summary (errors still go to stderr)'],
  ['json', 'print the result as JSON on stdout'],
];
const MODEL_OUT: [OptionName, string] = ['out', 'where to write the model as JSON (default: model.json)'];
const TWO_VIEWS: [OptionName, string][] = [
  ['x', 'with one file: X\'s columns, by header name or 0-based index'],
  ['y', 'with one file: Y\'s columns (no column in both)'],
];
const NO_COLUMNS = 'name X\'s and Y\'s columns with --x and --y';
const DENSE_ONLY = 'it reads dense files (.npy, CSV, Parquet); fit, transform and info read sparse ones';

const SPECS: Record<CommandName, CommandSpec> = {
  fit: {
    files: ['<file>'],
    usage: '-k <k> [options]',
    summary: 'Find the top k principal components of a file\'s rows (μ-EigenGame, streamed) and write the model as JSON.',
    options: [
      ['k', 'number of components (required)'],
      ...FIT_CONTROL,
      ['solver', 'auto (default), covariance (one pass: the d × d covariance), data (a pass per round: for columns too many for the covariance) or gram (sparse files with fewer rows than columns: players of n values)'],
      ...GAME,
      ['no-center', 'do not subtract the column means: components of the uncentred XᵀX / (n − 1)'],
      MODEL_OUT, COLUMNS, ...READING, SPARSE, STREAM, ...REPORTING,
    ],
    refused: { labels: 'it is lda\'s', x: 'it is cca\'s and pls\'s', y: 'it is cca\'s and pls\'s' },
  },
  transform: {
    files: ['<model.json>', '<file>'],
    usage: '--out <file.npy|file.csv> [options]',
    summary: 'Project a file\'s rows onto the components of a model written by eigengame fit.',
    options: [
      ['out', 'where to write the scores (required): .npy (float64) or .csv/.tsv with a pc1,pc2,… header, one row of k per input row'],
      COLUMNS, ...READING, SPARSE, ...REPORTING,
    ],
    refused: { k: 'k is the model\'s', stream: STREAM_FIT_ONLY },
  },
  info: {
    files: ['<file>'],
    usage: '[options]',
    summary: 'Describe a file: format, type, rows, columns, column names; for a sparse file its stored entries and density.',
    options: [COLUMNS, ...READING, SPARSE, ...REPORTING],
    refused: { stream: STREAM_FIT_ONLY },
  },
  cca: {
    files: ['<x-file>', '<y-file>'],
    usage: '-k <k> [options], or cca <file> --x <columns> --y <columns> -k <k> [options]',
    summary: 'Canonical correlation analysis (γ-EigenGame) of two files\' rows read in lock step, or of two sets of columns of one file; writes the model as JSON.',
    options: [
      ['k', 'number of pairs of directions (required; at most the narrower view\'s columns)'],
      ...TWO_VIEWS,
      ['regularization', 'ε added to each view\'s covariance (default 0)'],
      ...FIT_CONTROL, ...GAME,
      ['no-center', 'do not subtract the column means'],
      MODEL_OUT, ...READING, ...REPORTING,
    ],
    refused: { columns: NO_COLUMNS, solver: 'cca has one route', labels: 'it is lda\'s', transpose: DENSE_ONLY, stream: NOT_SPARSE },
  },
  pls: {
    files: ['<x-file>', '<y-file>'],
    usage: '-k <k> [options], or pls <file> --x <columns> --y <columns> -k <k> [options]',
    summary: 'PLS-SVD (γ-EigenGame): the top singular vectors of X and Y\'s cross-covariance, from two files or two sets of columns of one file; writes the model as JSON.',
    options: [
      ['k', 'number of pairs of directions (required; at most the narrower view\'s columns)'],
      ...TWO_VIEWS, ...FIT_CONTROL, ...GAME,
      ['no-center', 'do not subtract the column means'],
      MODEL_OUT, ...READING, ...REPORTING,
    ],
    refused: { columns: NO_COLUMNS, solver: 'pls has one route', labels: 'it is lda\'s', regularization: 'its B is the identity', transpose: DENSE_ONLY, stream: NOT_SPARSE },
  },
  lda: {
    files: ['<file>'],
    usage: '--labels <column> -k <k> [options]',
    summary: 'Linear discriminant analysis (γ-EigenGame) of a file\'s rows by the classes in one of its columns; writes the model as JSON.',
    options: [
      ['labels', 'the column that holds each row\'s class (a number), by header name or 0-based index (required); X is every other column'],
      ['k', 'number of discriminant directions (required; at most classes − 1 and X\'s columns)'],
      ['regularization', 'ε added to the within-class covariance (default 0)'],
      ...FIT_CONTROL, ...GAME,
      MODEL_OUT, ...READING, ...REPORTING,
    ],
    refused: {
      'no-center': 'its scatter matrices are taken about the class means, so there is no centring to turn off',
      columns: 'X is every column but --labels', x: 'X is every column but --labels', y: 'X is every column but --labels', solver: 'lda has one route',
      transpose: DENSE_ONLY, stream: NOT_SPARSE,
    },
  },
};

/** What the command line asks for. */
export type Request =
  | { kind: 'help'; command: CommandName | null }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandName; files: string[]; args: Arguments };

/** Reads the command line: a request, or an ArgumentError (`command` says whose help it points to). */
export function parseCommandLine(argv: readonly string[]): Request {
  const positionals: string[] = [];
  const given: { name: string; flag: string; value: string | undefined }[] = [];
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h' || token === '--help') help = true;
    else if (token === '--version') version = true;
    else if (!isOption(token)) positionals.push(token);
    else {
      const option = optionToken(token);
      // An option that takes a value and has none inline takes the next argument, unless that is an option itself.
      if (option.value === undefined && OPTIONS[option.name]?.value !== undefined && i + 1 < argv.length && !isOption(argv[i + 1])) {
        option.value = argv[++i];
      }
      given.push(option);
    }
  }
  const [first, ...files] = positionals;
  const command = COMMANDS.find((name) => name === first) ?? null;
  if (help) {
    if (first !== undefined && command === null) throw new ArgumentError(`unknown command ${JSON.stringify(first)}: the commands are ${listOf(COMMANDS)}`);
    return { kind: 'help', command };
  }
  if (version) return { kind: 'version' };
  if (first === undefined) throw new ArgumentError(`a command is needed: ${listOf(COMMANDS)}`);
  if (command === null) throw new ArgumentError(`unknown command ${JSON.stringify(first)}: the commands are ${listOf(COMMANDS)}`);
  const args = readOptions(command, given);
  checkFiles(command, files);
  if (command === 'cca' || command === 'pls') {
    const twoFiles = files.length === 2;
    if (twoFiles && (args.x !== undefined || args.y !== undefined)) throw new ArgumentError('--x and --y name the columns of one file; with two files, X is the first and Y the second');
    if (!twoFiles && (args.x === undefined || args.y === undefined)) throw new ArgumentError(`with one file, ${command} needs --x <columns> and --y <columns>`);
  }
  return { kind: 'run', command, files, args };
}

/** An option rather than a value: --name, --name=value, or a one-letter option (-k, -k3); '-' alone is a file (stdin). */
function isOption(token: string): boolean {
  return /^--./.test(token) || /^-[A-Za-z]/.test(token);
}

/** An option's name, the flag as written (for messages) and its inline value: --name=value, -k3, -k=3. */
function optionToken(token: string): { name: string; flag: string; value: string | undefined } {
  if (token.startsWith('--')) {
    const equals = token.indexOf('=');
    const name = token.slice(2, equals < 0 ? undefined : equals);
    return { name, flag: `--${name}`, value: equals < 0 ? undefined : token.slice(equals + 1) };
  }
  const letter = token[1];
  const long = Object.keys(OPTIONS).find((option) => OPTIONS[option].short === letter);
  if (!long) return { name: token, flag: token, value: undefined };
  const rest = token.slice(2).replace(/^=/, '');
  return { name: long, flag: `-${letter}`, value: rest === '' ? undefined : rest };
}

/** The help a command's errors point to. */
export function helpPointer(argv: readonly string[]): string {
  const command = COMMANDS.find((name) => argv.includes(name));
  return command ? `eigengame ${command} --help` : 'eigengame --help';
}

function checkFiles(command: CommandName, files: string[]): void {
  const spec = SPECS[command];
  const twoViews = command === 'cca' || command === 'pls';
  const counts = twoViews ? [1, 2] : [spec.files.length];
  if (!counts.includes(files.length)) {
    const wanted = twoViews ? 'one file (with --x and --y) or two' : spec.files.length === 1 ? 'one file' : `${spec.files.length} files`;
    throw new ArgumentError(`${command} takes ${wanted}, got ${files.length}${files.length ? ` (${files.join(' ')})` : ''}: eigengame ${command} ${spec.files.join(' ')} ${spec.usage}`);
  }
  const empty = files.find((file) => file === '');
  if (empty !== undefined) throw new ArgumentError(`${command}: a file name is empty`);
}

function readOptions(command: CommandName, given: { name: string; flag: string; value: string | undefined }[]): Arguments {
  const spec = SPECS[command];
  const allowed = new Set(spec.options.map(([name]) => name));
  const into: Parsed = { noCenter: false, transpose: false, stream: false, quiet: false, json: false };
  const seen = new Map<string, string>();
  for (const { name, flag, value } of given) {
    const option = OPTIONS[name];
    if (!option || !allowed.has(name)) {
      const reason = spec.refused?.[name];
      if (reason) throw new ArgumentError(`${command} takes no ${flag}: ${reason}`);
      const near = flag.startsWith('--') ? nearest(name, [...allowed]) : null;
      throw new ArgumentError(`${command} has no option ${flag}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    if (seen.has(name)) throw new ArgumentError(`${flag} is given twice (${seen.get(name)} and ${value ?? flag}): give it once`);
    seen.set(name, value ?? flag);
    if (option.value === undefined) {
      if (value !== undefined) throw new ArgumentError(`${flag} is a switch and takes no value, got ${JSON.stringify(value)}`);
      option.read(into, '', flag);
    } else {
      if (value === undefined) throw new ArgumentError(`${flag} needs a value: ${flag} ${option.value}`);
      option.read(into, value, flag);
    }
  }
  const args = into as Arguments;
  checkCombinations(command, args);
  return args;
}

/** What one option alone cannot say: required options, and options that only apply together. */
function checkCombinations(command: CommandName, args: Arguments): void {
  if (command === 'fit' || command === 'cca' || command === 'pls' || command === 'lda') {
    if (args.k === undefined) {
      const what = command === 'fit' ? 'components' : command === 'lda' ? 'discriminant directions' : 'pairs of directions';
      throw new ArgumentError(`${command} needs -k <k>, the number of ${what}`);
    }
  }
  if (command === 'transform') {
    if (args.out === undefined) throw new ArgumentError('transform needs --out <file.npy|file.csv>, where to write the scores');
    if (!/\.(npy|csv|tsv)$/i.test(args.out)) throw new ArgumentError(`--out must end in .npy, .csv or .tsv, got ${JSON.stringify(args.out)}`);
  }
  if (command === 'lda' && args.labels === undefined) throw new ArgumentError('lda needs --labels <column>: the column of the file that holds the classes');
}

/** A known option within two edits of an unknown one (a typo), if there is one. */
function nearest(name: string, options: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const option of options) {
    const distance = editDistance(name, option);
    if (distance < bestDistance) [best, bestDistance] = [option, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** The overview: the commands, the files' safety and the exit codes. */
export function overviewHelp(): string {
  const rows = COMMANDS.map((name) => [`${name} ${SPECS[name].files.join(' ')}`, SPECS[name].summary] as const);
  return `Usage: eigengame <command> [options]

Principal components with μ-EigenGame, and CCA, PLS and LDA with γ-EigenGame, streamed from .npy
(float32/float64, C order), CSV/TSV or Parquet files; principal components of sparse matrices too, from scipy's
.npz (save_npz) and Matrix Market (.mtx, .mtx.gz) files, never densified.

Commands:
${rows.map(([usage, summary]) => wrap(summary, 2 + 30, `  ${usage.padEnd(30)}`)).join('\n')}

Run eigengame <command> --help for a command's options. eigengame --version prints the package version.

Files: every --out is checked before any work: its directory exists and is writable, and it is no directory, not
read-only, and none of the command's input files (eigengame never writes where it reads). It is written to a
temporary file beside it (.<name>.eigengame-<pid>-<random>.tmp) that replaces it only once complete: a failed or
interrupted command (Ctrl-C or SIGTERM; a second one stops at once) leaves an existing file as it was. A FIFO or a
device (/dev/stdout) is written directly.

Exit codes: 0 success; 1 failure (unreadable or bad file, failed or interrupted command); 2 usage (unknown command
or option, missing or malformed argument, an input that is a directory, an --out that cannot be written or is an
input).
`;
}

/** One command's usage and its options, nothing else. */
export function commandHelp(command: CommandName): string {
  const spec = SPECS[command];
  const lines = spec.options.map(([name, text]) => {
    const option = OPTIONS[name];
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
    return wrap(text, 2 + 26, `  ${flag.padEnd(26)}`);
  });
  lines.push(wrap('this help', 2 + 26, `  ${'-h, --help'.padEnd(26)}`));
  return `Usage: eigengame ${command} ${spec.files.join(' ')} ${spec.usage}\n\n${wrap(spec.summary, 0, '')}\n\nOptions:\n${lines.join('\n')}\n`;
}

/** `text` after `lead`, wrapped at 116 columns with continuation lines indented by `indent`. */
function wrap(text: string, indent: number, lead: string): string {
  const width = 116;
  const lines: string[] = [];
  let line = lead.length > indent ? `${lead} ` : lead;
  let start = line.length;
  if (start > indent + 1 && lead !== '') {
    // The flag is longer than its column: the text starts on the next line.
    lines.push(lead.trimEnd());
    line = ' '.repeat(indent);
    start = indent;
  }
  for (const word of text.split(' ')) {
    if (line.length > start && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      start = indent;
    }
    line += (line.length > start ? ' ' : '') + word;
  }
  lines.push(line);
  return lines.join('\n');
}

// Checks against the file: what the command line can only be held to once a file's header is read.

/** Resolves a column list against a file's columns (names need its header); a name or index it lacks is a usage error. */
export function resolveColumns(list: readonly Column[], flag: string, file: string, cols: number, names: readonly string[] | null): number[] {
  const seen = new Map<number, Column>();
  return list.map((column) => {
    let index: number;
    if (typeof column === 'number') {
      if (column >= cols) throw new ArgumentError(`${flag}: ${file} has no column ${column}; its ${cols} columns are 0 to ${cols - 1}`);
      index = column;
    } else {
      if (!names) throw new ArgumentError(`${flag}: ${file} has no header row, so column ${JSON.stringify(column)} cannot be found: name its columns by 0-based index`);
      index = names.indexOf(column);
      if (index < 0) throw new ArgumentError(`${flag}: ${file} has no column named ${JSON.stringify(column)}; it has ${shortList(names)}`);
    }
    const twice = seen.get(index);
    if (twice !== undefined) throw new ArgumentError(`${flag} names ${file}'s column ${index}${names ? ` (${JSON.stringify(names[index])})` : ''} twice${twice !== column ? ` (as ${JSON.stringify(twice)} and ${JSON.stringify(column)})` : ''}`);
    seen.set(index, column);
    return index;
  });
}

function shortList(names: readonly string[]): string {
  const shown = names.slice(0, 12).map((name) => JSON.stringify(name)).join(', ');
  return names.length > 12 ? `${shown} and ${names.length - 12} more` : shown;
}

/** X's and Y's columns of one file: each resolved, and no column in both (X and Y would then correlate perfectly). */
export function resolveViews(args: Arguments, file: string, cols: number, names: readonly string[] | null): { x: number[]; y: number[] } {
  const x = resolveColumns(args.x!, '--x', file, cols, names);
  const y = resolveColumns(args.y!, '--y', file, cols, names);
  const shared = x.find((index) => y.includes(index));
  if (shared !== undefined) {
    throw new ArgumentError(`--x and --y both hold ${file}'s column ${shared}${names ? ` (${JSON.stringify(names[shared])})` : ''}: a column belongs to one view only`);
  }
  return { x, y };
}
