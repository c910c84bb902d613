// The `eigengame` command: fit a model to a .npy or CSV/TSV file (streamed: memory stays O(batch · d + k · d)),
// project a file with a model, describe a file. Progress goes to stderr (a live bar on a terminal, plain lines
// otherwise), results to stdout, and the exit code says how it went: 0 ok, 1 failure, 2 usage.

import { readFile, stat, type FileHandle } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { UsageError, checkInput, checkOutputs, removeTemporaryFiles, writeOutput } from './files';
import { runGeneralized, type GeneralizedCommand } from './generalized';
import { PCAModel, installNodeHost, openSource, pca, type MatrixSource, type PCAProgress } from '../entries/node';
import { encodeNpyHeader } from '../io/npy';
import { formatOfName } from '../io/open';


// The package is `sideEffects: false`, so a bundle that takes the API's names through the Node entry need not run
// the entry (which installs Node's host): the command asks for the installation itself.
installNodeHost();
enableRelaxedSimd();

/**
 * Node 20's V8 (11.3) has relaxed SIMD behind a flag that V8 11.4 turned on for good (Node ≥ 21). The command owns
 * its process, so it sets the flag before any kernel is compiled (V8 reads it when it validates a module; workers
 * share the process's flags): the relaxed builds' fused multiply-add makes the covariance pass about 1.4× faster.
 * The library itself never changes its host's flags (README: Arithmetic).
 */
function enableRelaxedSimd(): void {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  if (major === 11 && minor < 4) setFlagsFromString('--experimental-wasm-relaxed-simd');
}
const HELP = `Usage: eigengame <command> [options]

Principal components with μ-EigenGame, and CCA, PLS and LDA with γ-EigenGame, streamed from .npy
(float32/float64, C order) or CSV/TSV files.

Commands:
  fit <file>                     find the top k principal components of a file; writes the model as JSON
  transform <model.json> <file>  project a file's rows onto a model's components (--out file.npy or file.csv)
  info <file>                    describe a file: format, rows, columns, column names
  cca <x-file> <y-file>          canonical correlation analysis of two files' rows, read in lock step (or one file
                                 with --x and --y); writes the model as JSON
  pls <x-file> <y-file>          PLS-SVD: the top singular vectors of X and Y's cross-covariance (or --x and --y)
  lda <file> --labels <column>   linear discriminant analysis of a file's rows by the classes in one of its columns

Options of fit:
  -k, --k <k>              number of components (required)
  --devices <n|auto>       parallel devices, workers on one shared memory (default: auto = the machine's cores)
  --batch <rows>           rows per minibatch (default 4096, fewer for wide rows)
  --solver <s>             auto (default), covariance (one pass: the d × d covariance) or data (a pass per round:
                           for columns too many for the covariance)
  --tol <t>                stop once every component's residual ‖Cv − λv‖ is at most t·λ₁ (default 1e-6)
  --max-steps <n>          the most rounds of the players (default 10000)
  --seed <s>               seed of the initial vectors (default 0)
  --no-center              do not subtract the column means
  --out <model.json>       where to write the model (default: model.json)
Options of cca, pls and lda: those of fit but --solver (-k: pairs or directions), and
  --x <a,b,...>            with one file: X's columns, by header name or 0-based index
  --y <a,b,...>            with one file: Y's columns
  --labels <column>        lda: the column that holds each row's class (a number); X is every other column
  --regularization <e>     cca, lda: ε added to the within-view (within-class) covariances (default 0)
Options of transform:
  --out <file.npy|file.csv>  where to write the scores, one row of k per input row (required)
Options of every command:
  --columns <a,b,...>      CSV columns to read, by header name or 0-based index (default: all)
  --delimiter <c>          CSV delimiter (default: tab for .tsv, else sniffed from , tab ;)
  --format <npy|csv>       the file's format (default: from its extension)
  --quiet                  no progress and no summary (errors still go to stderr)
  --json                   print the result as JSON on stdout
  -h, --help               this help
  --version                the package version

Files: every --out is checked before any work: its directory exists and is writable, and it is no directory, not
read-only, and none of the command's input files (eigengame never writes where it reads). It is written to a
temporary file beside it (.<name>.eigengame-<pid>-<random>.tmp) that replaces it only once complete: a failed or
interrupted command (Ctrl-C; a second Ctrl-C stops at once) leaves an existing file as it was. A FIFO or a device
(/dev/stdout) is written directly.

Exit codes: 0 success; 1 failure (unreadable or bad file, failed or interrupted command); 2 usage (unknown command
or option, missing or malformed argument, an input that is a directory, an --out that cannot be written or is an
input).
`;

/** Rows per batch when the CLI reads a file itself (counting rows, projecting them). */
const BATCH_ROWS = 4096;

const OPTIONS = {
  k: { type: 'string', short: 'k' },
  devices: { type: 'string' },
  batch: { type: 'string' },
  solver: { type: 'string' },
  'max-steps': { type: 'string' },
  tol: { type: 'string' },
  seed: { type: 'string' },
  center: { type: 'boolean', default: true },
  'no-center': { type: 'boolean' },
  out: { type: 'string' },
  columns: { type: 'string' },
  delimiter: { type: 'string' },
  format: { type: 'string' },
  x: { type: 'string' },
  y: { type: 'string' },
  labels: { type: 'string' },
  regularization: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function integer(values: Values, name: 'k' | 'batch' | 'seed' | 'max-steps', minimum: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`--${name} must be an integer ≥ ${minimum}, got ${JSON.stringify(text)}`);
  return value;
}

function sourceOf(file: string, values: Values): MatrixSource {
  const requested = values.format;
  if (requested !== undefined && requested !== 'npy' && requested !== 'csv') throw new UsageError(`--format must be npy or csv, got ${JSON.stringify(requested)}`);
  const format = requested ?? formatOfName(file);
  if (format === undefined) throw new UsageError(`${file}: cannot tell its format from its name: pass --format npy or --format csv`);
  const columns = values.columns?.split(',').map((column) => (/^\d+$/.test(column.trim()) ? Number(column) : column.trim()));
  try {
    return openSource(file, { format, columns, delimiter: values.delimiter, name: file });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Progress on stderr: a bar redrawn in place on a terminal, a plain line every few seconds otherwise. */
class ProgressReport {
  private readonly started = performance.now();
  private lastLine = 0;

  private rowsRead = 0;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly totalRows: number | null) {}

  /** A pass over the file (rows read, the bar and its ETA on the first), or the players' rounds after it. */
  update(progress: PCAProgress): void {
    const elapsed = (performance.now() - this.started) / 1000;
    this.rowsRead = progress.rowsRead ?? this.rowsRead;
    const rate = this.rowsRead / Math.max(elapsed, 1e-3);
    const reading = progress.epoch !== undefined;
    const fraction = reading && progress.epoch === 1 && this.totalRows ? Math.min(1, this.rowsRead / this.totalRows) : null;
    const eta = fraction && fraction > 0 ? (elapsed * (1 - fraction)) / fraction : null;
    const stage = reading ? `pass ${progress.epoch}, batch ${progress.step}` : `round ${progress.step}`;
    const settle = Number.isFinite(progress.remaining) ? `to go ≈ ${progress.remaining.toExponential(1)}`
      : progress.utilities.length > 0 ? `variances ${shortList(progress.utilities)}` : null;
    const parts = [stage, `${humanCount(rate)} rows/s`, ...(settle ? [settle] : [])];
    if (eta !== null) parts.push(`ETA ${clock(eta)}`);
    if (this.stream.isTTY) {
      const width = 24;
      const bar = fraction === null ? '' : `[${'█'.repeat(Math.round(fraction * width)).padEnd(width, '░')}] ${String(Math.round(fraction * 100)).padStart(3)}%  `;
      this.stream.write(`\r${bar}${parts.join('  ')}\x1b[K`);
    } else if (elapsed - this.lastLine >= 2 || this.lastLine === 0) {
      this.lastLine = elapsed;
      this.stream.write(`${parts.join(', ')}\n`);
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}

function shortList(values: ArrayLike<number>): string {
  const shown = Array.from(values).slice(0, 4).map((value) => value.toPrecision(3));
  return shown.join(' ') + (values.length > 4 ? ' …' : '');
}

function humanCount(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function fit(file: string, values: Values, signal: AbortSignal): Promise<void> {
  const k = integer(values, 'k', 1);
  if (k === undefined) throw new UsageError('fit needs -k <k>, the number of components');
  const devicesText = values.devices ?? 'auto';
  const devices = devicesText === 'auto' ? 'auto' : Number(devicesText);
  if (devices !== 'auto' && !(Number.isInteger(devices) && devices >= 1)) throw new UsageError(`--devices must be a positive integer or auto, got ${JSON.stringify(devicesText)}`);
  const tol = values.tol === undefined ? undefined : Number(values.tol);
  if (tol !== undefined && !(tol >= 0)) throw new UsageError(`--tol must be a number ≥ 0, got ${JSON.stringify(values.tol)}`);
  const solver = values.solver ?? 'auto';
  if (!['auto', 'covariance', 'data'].includes(solver)) throw new UsageError(`--solver must be auto, covariance or data, got ${JSON.stringify(solver)}`);
  const batchSize = integer(values, 'batch', 2);
  const seed = integer(values, 'seed', 0);
  const maxSteps = integer(values, 'max-steps', 1);
  const input = await checkInput(file, 'the input file');
  const [out] = await checkOutputs([{ option: '--out', path: values.out ?? 'model.json' }], [input]);
  const source = sourceOf(file, values);
  const info = await source.info();
  const progress = values.quiet ? null : new ProgressReport(process.stderr, info.rows);
  const started = performance.now();
  let model: PCAModel;
  try {
    model = await pca(source, {
      k, devices, batchSize, tol, seed, maxSteps, center: !values['no-center'], signal, solver: solver as 'auto' | 'covariance' | 'data',
      onProgress: progress ? (p) => progress.update(p) : undefined,
      onWarning: (message) => process.stderr.write(`eigengame: ${message}\n`),
    });
  } finally {
    progress?.done();
  }
  const seconds = (performance.now() - started) / 1000;
  await writeOutput(out, signal, (handle) => handle.writeFile(JSON.stringify(model.toJSON())));
  const { converged } = model;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({
      model: out.path, k: model.k, d: model.d, rows: model.nSamples, seconds, converged, solver: model.solver, passes: model.passes,
      explainedVariance: Array.from(model.explainedVariance), explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
      backend: model.backend,
    })}\n`);
  } else if (!values.quiet) {
    const backend = model.backend!;
    process.stdout.write(`${file}: ${model.nSamples} rows × ${model.d} columns, k = ${model.k}, ${seconds.toFixed(2)} s on ${backend.devices} ${backend.kind === 'workers' ? 'worker devices' : 'in-thread device'} (${backend.build}), ${model.solver} route, ${model.passes} ${model.passes === 1 ? 'pass' : 'passes'} over the data\n`);
    // pca's onWarning has said on stderr which limit stopped it; the summary repeats only the verdict.
    if (!converged) process.stdout.write('not converged: the components are approximate (see the warning above)\n');
    let cumulative = 0;
    process.stdout.write('component  variance      ratio    cumulative\n');
    model.explainedVariance.forEach((variance, i) => {
      cumulative += model.explainedVarianceRatio[i];
      process.stdout.write(`${String(i + 1).padStart(9)}  ${variance.toPrecision(6).padEnd(12)}  ${model.explainedVarianceRatio[i].toFixed(4)}   ${cumulative.toFixed(4)}\n`);
    });
    process.stdout.write(`model written to ${out.path}\n`);
  }
}

async function transform(modelFile: string, file: string, values: Values, signal: AbortSignal): Promise<void> {
  if (!values.out) throw new UsageError('transform needs --out <file.npy|file.csv>');
  const asNpy = /\.npy$/i.test(values.out);
  if (!asNpy && !/\.(csv|tsv)$/i.test(values.out)) throw new UsageError(`--out must end in .npy, .csv or .tsv, got ${JSON.stringify(values.out)}`);
  const inputs = [await checkInput(modelFile, 'the model file'), await checkInput(file, 'the input file')];
  const [out] = await checkOutputs([{ option: '--out', path: values.out }], inputs);
  const model = await readModel(modelFile);
  const source = sourceOf(file, values);
  let written = 0;
  try {
    const info = await source.info();
    if (info.cols !== model.d) throw new Error(`${file} has ${info.cols} columns, but the model was fitted to ${model.d}`);
    const delimiter = asNpy ? null : /\.tsv$/i.test(out.path) ? '\t' : ',';
    // The .npy header holds the row count. Where it is not known yet (CSV), the scores follow a header with room
    // for any count, rewritten in place once the rows are counted: one pass, and a stream is read once.
    const rowsLater = delimiter === null && info.rows === null;
    if (rowsLater && out.direct) {
      throw new UsageError(`--out ${out.path} cannot be rewritten in place: a .npy of ${file}'s scores needs its row count first; write to a file`);
    }
    const header = delimiter === null
      ? encodeNpyHeader('float64', info.rows ?? UNKNOWN_ROWS, model.k, rowsLater ? NPY_HEADER_ROOM : 0)
      : new TextEncoder().encode(`${Array.from({ length: model.k }, (_, i) => `pc${i + 1}`).join(delimiter)}\n`);
    await writeOutput(out, signal, async (handle) => {
      await handle.write(header);
      written = await writeScores(handle, source, model, delimiter, signal);
      if (rowsLater) await handle.write(encodeNpyHeader('float64', written, model.k, header.byteLength), 0, header.byteLength, 0);
    });
  } finally {
    await source.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ out: out.path, rows: written, cols: model.k })}\n`);
  else if (!values.quiet) process.stdout.write(`${written} rows × ${model.k} scores written to ${out.path}\n`);
}

async function readModel(modelFile: string): Promise<PCAModel> {
  try {
    return PCAModel.fromJSON(await readFile(modelFile, 'utf8'));
  } catch (error) {
    throw new Error(`${modelFile}: not a model written by eigengame fit: ${(error as Error).message}`);
  }
}

/** A row count as long as any a file can have, so that a header written before the count has room for it. */
const UNKNOWN_ROWS = 10 ** 15;
/** Bytes of a .npy header with room for any row count (numpy aligns headers to 64 bytes). */
const NPY_HEADER_ROOM = 128;

/** Each row's scores, as float64 bytes (.npy: `delimiter` null) or a delimited line; returns the rows written. */
async function writeScores(handle: FileHandle, source: MatrixSource, model: PCAModel, delimiter: string | null, signal: AbortSignal): Promise<number> {
  let rows = 0;
  for await (const batch of source.batches(BATCH_ROWS)) {
    signal.throwIfAborted();
    const scores = model.transform({ data: batch.data, rows: batch.rows, cols: batch.cols });
    // Every host eigengame runs on is little-endian, as .npy's '<f8' is.
    await handle.write(delimiter === null
      ? new Uint8Array(scores.data.buffer, scores.data.byteOffset, scores.data.byteLength)
      : new TextEncoder().encode(Array.from({ length: scores.rows }, (_, r) =>
        Array.from(scores.data.subarray(r * model.k, (r + 1) * model.k)).join(delimiter)).join('\n') + '\n'));
    rows += batch.rows;
  }
  return rows;
}

async function countRows(source: MatrixSource, signal: AbortSignal): Promise<number> {
  let rows = 0;
  for await (const batch of source.batches(BATCH_ROWS)) {
    signal.throwIfAborted();
    rows += batch.rows;
  }
  return rows;
}

async function info(file: string, values: Values, signal: AbortSignal): Promise<void> {
  await checkInput(file, 'the input file');
  const source = sourceOf(file, values);
  const described = await source.info();
  const rows = described.rows ?? await countRows(source, signal);
  await source.close();
  // A FIFO or device has no size: it is read to its end, and only its rows are told.
  const stats = await stat(file);
  const bytes = stats.isFile() ? stats.size : null;
  const result = { file, bytes, format: described.format, dtype: described.dtype, rows, cols: described.cols, columnNames: described.columnNames };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (!values.quiet) {
    process.stdout.write(`${file}: ${described.format}, ${described.dtype}, ${rows} rows × ${described.cols} columns${bytes === null ? '' : `, ${bytes} bytes`}\n`);
    if (described.columnNames) process.stdout.write(`columns: ${described.columnNames.join(', ')}\n`);
  }
}

/** cca, pls and lda, with fit's progress report (sized by the first file's rows, where its header tells them). */
async function generalized(command: GeneralizedCommand, files: string[], values: Values, signal: AbortSignal): Promise<void> {
  let progress: ProgressReport | null = null;
  await runGeneralized(command, files, values, signal, {
    progress(rows) {
      if (values.quiet) return null;
      const report = new ProgressReport(process.stderr, rows);
      progress = report;
      return (p) => report.update({
        step: p.step, maxSteps: p.maxSteps, batchSize: 0, utilities: p.values, residuals: new Float64Array(0), residual: Infinity,
        remaining: p.remaining, epoch: p.stage === 'pass' ? 1 : undefined, rowsRead: p.rowsRead,
      });
    },
    done: () => progress?.done(),
    warn: (message) => process.stderr.write(`eigengame: ${message}\n`),
    write: (text) => process.stdout.write(text),
  });
}

async function version(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The first Ctrl-C (or SIGTERM) stops the command cleanly through `controller`; a second one exits at once. */
function interruptHandler(controller: AbortController): (signal: NodeJS.Signals) => void {
  return (signal) => {
    if (!controller.signal.aborted) {
      controller.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    removeTemporaryFiles();
    process.stderr.write(`eigengame: ${signal} again: stopped at once\n`);
    process.exit(1);
  };
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const interrupt = interruptHandler(controller);
  for (const signal of STOP_SIGNALS) process.on(signal, interrupt);
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (values.version) {
      process.stdout.write(`${await version()}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    const expect = (count: number, usage: string) => {
      if (rest.length !== count) throw new UsageError(`usage: eigengame ${usage}`);
    };
    switch (command) {
      case 'fit':
        expect(1, 'fit <file> -k <k> [options]');
        await fit(rest[0], values, controller.signal);
        return 0;
      case 'transform':
        expect(2, 'transform <model.json> <file> --out <file.npy|file.csv>');
        await transform(rest[0], rest[1], values, controller.signal);
        return 0;
      case 'info':
        expect(1, 'info <file>');
        await info(rest[0], values, controller.signal);
        return 0;
      case 'cca':
      case 'pls':
      case 'lda':
        await generalized(command, rest, values, controller.signal);
        return 0;
      case undefined:
        throw new UsageError('a command is needed: fit, transform, info, cca, pls or lda');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}: fit, transform, info, cca, pls or lda`);
    }
  } catch (error) {
    const usage = error instanceof UsageError;
    process.stderr.write(`eigengame: ${(error as Error).message}${usage ? '\n(see eigengame --help)' : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, interrupt);
  }
}

process.exitCode = await main(process.argv.slice(2));
