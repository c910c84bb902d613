// The `eigengame` command: fit a model to a .npy or CSV/TSV file (streamed: memory stays O(batch · d + k · d)),
// project a file with a model, describe a file. Progress goes to stderr (a live bar on a terminal, plain lines
// otherwise), results to stdout, and the exit code says how it went: 0 ok, 1 failure, 2 usage.

import { readFile, stat, type FileHandle } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import {
  ArgumentError, commandHelp, helpPointer, overviewHelp, parseCommandLine, resolveColumns, type Arguments,
} from './arguments';
import { UsageError, checkInput, checkOutputs, removeTemporaryFiles, writeOutput, type Input, type Output } from './files';
import { batchFits, runGeneralized, sourceOf, tooLargeK, type GeneralizedCommand } from './generalized';
import { ProgressReport } from './progress';
import {
  PCAModel, SparseRowSource, installNodeHost, isSparseMatrix, openSparse, pca, readSparse, type MatrixSource, type SparseMatrix,
} from '../entries/node';
import { encodeNpyHeader } from '../io/npy';
import { NotStreamableError } from '../io/npz-stream';
import { formatOfName } from '../io/open';
import type { SourceInfo } from '../io/source';
import { readSparseMatrix } from '../io/sparse';
import { sparseFormatOfName } from '../io/sparse-files';

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

/** Rows per batch when the CLI reads a file itself (counting rows, projecting them). */
const BATCH_ROWS = 4096;

/**
 * The source of `file` with --columns resolved: names and indices are checked against the file's header before any
 * work (a usage error), and the reader gets indices. A FIFO or device can be read only once, so its columns are
 * left to the reader (whose error is then a failed read).
 */
async function selectedSource(file: string, input: Input, args: Arguments): Promise<MatrixSource> {
  const asGiven = sourceOf(file, args, args.columns); // checks the options against the format; opens nothing
  if (args.columns === undefined || !input.identity.stats.isFile()) return asGiven;
  if ((args.format ?? formatOfName(file)) === 'parquet') {
    // A Parquet file's schema checks the columns itself (names, and that each holds numbers), from its footer.
    try {
      await asGiven.info();
    } catch (error) {
      await asGiven.close();
      throw /column/.test((error as Error).message) ? new ArgumentError((error as Error).message) : error;
    }
    return asGiven;
  }
  const whole = sourceOf(file, args);
  let columns: number[];
  try {
    const { cols, columnNames } = await whole.info();
    columns = resolveColumns(args.columns, '--columns', file, cols, columnNames);
  } finally {
    await whole.close();
  }
  return sourceOf(file, args, columns);
}

/**
 * The sparse format of `file` (by --format, else its name: .npz; .mtx, .mtx.gz), or null for a dense file. --transpose
 * applies to sparse files only, and the CSV and Parquet reading options to dense ones only (usage errors).
 */
function sparseFormat(file: string, args: Arguments): 'npz' | 'mtx' | null {
  const named = args.format === undefined ? sparseFormatOfName(file) : undefined;
  const format = args.format === 'npz' || args.format === 'mtx' ? args.format : named === undefined ? null : named === 'npz' ? 'npz' : 'mtx';
  if (format === null) {
    if (args.transpose) throw new ArgumentError(`--transpose applies to sparse files (.npz, .mtx, .mtx.gz): ${file} is not one`);
    return null;
  }
  const denseOnly = (['columns', 'delimiter', 'header'] as const).filter((name) => args[name] !== undefined);
  if (denseOnly.length > 0) {
    throw new ArgumentError(`${file} is a sparse matrix file: ${denseOnly.map((name) => `--${name}`).join(', ')} only apply to CSV and Parquet (a sparse file is read whole)`);
  }
  return format;
}

/** A sparse file's matrix (read whole: the entries as typed arrays). */
function readSparseFile(file: string, format: 'npz' | 'mtx', args: Arguments, signal: AbortSignal): Promise<SparseMatrix> {
  return readSparse(file, { format, transpose: args.transpose, signal, name: file });
}

/**
 * fit's input: a sparse file read whole (its entries, never a dense matrix) and fitted in memory, or with --stream
 * read in one pass; a dense file, streamed.
 */
async function fitInput(file: string, input: Input, args: Arguments, signal: AbortSignal): Promise<SparseMatrix | SparseRowSource | MatrixSource> {
  const sparse = sparseFormat(file, args);
  if (args.stream && sparse === null) {
    throw new ArgumentError(`--stream applies to sparse files (.npz, .mtx, .mtx.gz): ${file} is not one (dense files are always streamed)`);
  }
  if (args.solver === 'gram' && !sparse) {
    throw new ArgumentError(`--solver gram plays on the rows' n × n Gram matrix, which needs every row in memory: ${file} is streamed (gram applies to sparse files: .npz, .mtx, .mtx.gz)`);
  }
  if (args.stream && (args.solver === 'data' || args.solver === 'gram')) {
    throw new ArgumentError(`--stream fits by the covariance route (one pass): --solver ${args.solver} needs ${file} whole; leave out --stream`);
  }
  if (args.stream) return openStreamed(file, sparse!, args, signal);
  // A sparse file is read whole (its entries, never a dense matrix) and fitted in memory; a dense one is streamed.
  return sparse ? readSparseFile(file, sparse, args, signal) : selectedSource(file, input, args);
}

/**
 * A sparse file opened for fit --stream: an .npz whose layout does not stream (csc without --transpose, csr with it,
 * coo, bsr, dia) is a usage error, as the options that ask for it are.
 */
async function openStreamed(file: string, format: 'npz' | 'mtx', args: Arguments, signal: AbortSignal): Promise<SparseRowSource> {
  try {
    return await openSparse(file, { format, transpose: args.transpose, signal, name: file });
  } catch (error) {
    throw error instanceof NotStreamableError ? new ArgumentError(error.message) : error;
  }
}

async function fit(file: string, args: Arguments, signal: AbortSignal): Promise<void> {
  const k = args.k!;
  const input = await checkInput(file, 'the input file');
  const [out] = await checkOutputs([{ option: '--out', path: args.out ?? 'model.json' }], [input]);
  const source = await fitInput(file, input, args, signal);
  let rows: number | null;
  try {
    const info = isSparseMatrix(source) || source instanceof SparseRowSource ? { rows: source.rows, cols: source.cols } : await source.info();
    if (k > info.cols) throw new ArgumentError(`-k ${k} is more than ${file}'s ${info.cols} columns: give -k ${info.cols} or less`);
    if (info.rows !== null && k > info.rows) throw new ArgumentError(`-k ${k} is more than ${file}'s ${info.rows} rows: give -k ${info.rows} or less`);
    if (args.batch !== undefined) batchFits(file, args.batch, info.cols);
    rows = info.rows;
  } catch (error) {
    // pca closes a source on every path; one refused before it is closed here.
    if (!isSparseMatrix(source)) await source.close();
    throw error;
  }
  const progress = args.quiet ? null : new ProgressReport(process.stderr, rows, 'variances');
  const started = performance.now();
  let model: PCAModel;
  try {
    model = await pca(source, {
      k, devices: args.devices ?? 'auto', batchSize: args.batch, tol: args.tol, seed: args.seed, maxSteps: args.maxSteps,
      center: !args.noCenter, signal, solver: args.solver ?? 'auto',
      onProgress: progress ? (p) => progress.update({ ...p, values: p.utilities }) : undefined,
      onWarning: (message) => process.stderr.write(`eigengame: ${message}\n`),
    });
  } catch (error) {
    throw tooLargeK(error);
  } finally {
    progress?.done();
  }
  const seconds = (performance.now() - started) / 1000;
  await writeOutput(out, signal, (handle) => handle.writeFile(JSON.stringify(model.toJSON())));
  const { converged } = model;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({
      model: out.path, k: model.k, d: model.d, rows: model.nSamples, seconds, converged, solver: model.solver, passes: model.passes,
      explainedVariance: Array.from(model.explainedVariance), explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
      backend: model.backend,
    })}\n`);
  } else if (!args.quiet) {
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

async function transform(modelFile: string, file: string, args: Arguments, signal: AbortSignal): Promise<void> {
  const asNpy = /\.npy$/i.test(args.out!);
  const inputs = [await checkInput(modelFile, 'the model file'), await checkInput(file, 'the input file')];
  const [out] = await checkOutputs([{ option: '--out', path: args.out! }], inputs);
  const model = await readModel(modelFile);
  const sparse = sparseFormat(file, args);
  if (sparse) {
    const written = await transformSparse(file, sparse, model, out, args, signal);
    if (args.json) process.stdout.write(`${JSON.stringify({ out: out.path, rows: written, cols: model.k })}\n`);
    else if (!args.quiet) process.stdout.write(`${written} rows × ${model.k} scores written to ${out.path}\n`);
    return;
  }
  const source = await selectedSource(file, inputs[1], args);
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
  if (args.json) process.stdout.write(`${JSON.stringify({ out: out.path, rows: written, cols: model.k })}\n`);
  else if (!args.quiet) process.stdout.write(`${written} rows × ${model.k} scores written to ${out.path}\n`);
}

/** transform of a sparse file: its matrix read whole, projected from its non-zeros, the scores written in blocks of rows. */
async function transformSparse(file: string, format: 'npz' | 'mtx', model: PCAModel, out: Output, args: Arguments, signal: AbortSignal): Promise<number> {
  const matrix = await readSparseFile(file, format, args, signal);
  if (matrix.cols !== model.d) throw new Error(`${file} has ${matrix.cols} columns${args.transpose ? ' (transposed)' : ''}, but the model was fitted to ${model.d}`);
  const scores = model.transform(matrix);
  const delimiter = /\.npy$/i.test(out.path) ? null : /\.tsv$/i.test(out.path) ? '\t' : ',';
  await writeOutput(out, signal, async (handle) => {
    await handle.write(delimiter === null
      ? encodeNpyHeader('float64', scores.rows, model.k)
      : new TextEncoder().encode(`${Array.from({ length: model.k }, (_, i) => `pc${i + 1}`).join(delimiter)}\n`));
    for (let first = 0; first < scores.rows; first += BATCH_ROWS) {
      signal.throwIfAborted();
      const rows = Math.min(BATCH_ROWS, scores.rows - first);
      await writeScoreRows(handle, { data: scores.data.subarray(first * model.k, (first + rows) * model.k), rows, cols: model.k }, delimiter);
    }
  });
  return scores.rows;
}

/** Rows of scores as float64 bytes (.npy: `delimiter` null) or delimited lines. */
async function writeScoreRows(handle: FileHandle, scores: { data: Float64Array; rows: number; cols: number }, delimiter: string | null): Promise<void> {
  // Every host eigengame runs on is little-endian, as .npy's '<f8' is.
  await handle.write(delimiter === null
    ? new Uint8Array(scores.data.buffer, scores.data.byteOffset, scores.data.byteLength)
    : new TextEncoder().encode(Array.from({ length: scores.rows }, (_, r) =>
      Array.from(scores.data.subarray(r * scores.cols, (r + 1) * scores.cols)).join(delimiter)).join('\n') + '\n'));
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
    await writeScoreRows(handle, model.transform({ data: batch.data, rows: batch.rows, cols: batch.cols }), delimiter);
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

async function info(file: string, args: Arguments, signal: AbortSignal): Promise<void> {
  const input = await checkInput(file, 'the input file');
  const sparse = sparseFormat(file, args);
  if (sparse) {
    await sparseInfo(file, sparse, args, signal);
    return;
  }
  const source = await selectedSource(file, input, args);
  let described: SourceInfo;
  let rows: number;
  try {
    described = await source.info();
    rows = described.rows ?? await countRows(source, signal);
  } finally {
    await source.close();
  }
  // A FIFO or device has no size: it is read to its end, and only its rows are told.
  const stats = await stat(file);
  const bytes = stats.isFile() ? stats.size : null;
  const result = { file, bytes, format: described.format, dtype: described.dtype, rows, cols: described.cols, columnNames: described.columnNames };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (!args.quiet) {
    process.stdout.write(`${file}: ${described.format}, ${described.dtype}, ${rows} rows × ${described.cols} columns${bytes === null ? '' : `, ${bytes} bytes`}\n`);
    if (described.columnNames) process.stdout.write(`columns: ${described.columnNames.join(', ')}\n`);
  }
}

/**
 * info of a sparse file: its shape, stored entries (duplicates summed, as a fit sees them), density and layout, once
 * the matrix has passed the checks a fit makes (offsets, indices in range, finite values).
 */
async function sparseInfo(file: string, format: 'npz' | 'mtx', args: Arguments, signal: AbortSignal): Promise<void> {
  const matrix = await readSparseFile(file, format, args, signal);
  const nonZeros = readSparseMatrix(matrix, file).nnz;
  const stats = await stat(file);
  const bytes = stats.isFile() ? stats.size : null;
  const density = matrix.rows * matrix.cols === 0 ? 0 : nonZeros / (matrix.rows * matrix.cols);
  const dtype = matrix.data instanceof Float32Array ? 'float32' : 'float64';
  const result = {
    file, bytes, format, layout: matrix.format, dtype, rows: matrix.rows, cols: matrix.cols, nonZeros, density, transposed: args.transpose,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (!args.quiet) {
    const shape = `${matrix.rows} rows × ${matrix.cols} columns${args.transpose ? ' (transposed)' : ''}`;
    process.stdout.write(`${file}: ${format} (${matrix.format}), ${dtype}, ${shape}, ${nonZeros} stored entries, density ${formatDensity(density)}${bytes === null ? '' : `, ${bytes} bytes`}\n`);
  }
}

/** A density as a percentage with three significant digits (0.0123 %), or 0 / 100 %. */
function formatDensity(density: number): string {
  return density === 0 || density === 1 ? `${density * 100} %` : `${(density * 100).toPrecision(3)} %`;
}

/** cca, pls and lda, with fit's progress report (sized by the first file's rows, where its header tells them). */
async function generalized(command: GeneralizedCommand, files: string[], args: Arguments, signal: AbortSignal): Promise<void> {
  let progress: ProgressReport | null = null;
  const label = { cca: 'correlations', pls: 'singular values', lda: 'eigenvalues' }[command];
  await runGeneralized(command, files, args, signal, {
    progress(rows) {
      if (args.quiet) return null;
      const report = new ProgressReport(process.stderr, rows, label);
      progress = report;
      return (p) => report.update({ ...p, epoch: p.stage === 'pass' ? 1 : undefined });
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

/**
 * The first Ctrl-C (or SIGTERM) stops the command cleanly through `controller` (exit code 1, the old --out kept); a
 * second one ends the process at once, by that signal (a shell reports 130 for SIGINT, 143 for SIGTERM), its
 * temporary files removed first. Not process.exit: it waits for libuv's threads, and one of them may be blocked for
 * good in the very call that keeps the first stop from finishing (opening a FIFO that no one reads).
 */
function interruptHandler(controller: AbortController): (signal: NodeJS.Signals) => void {
  const interrupt = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      controller.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    removeTemporaryFiles();
    process.stderr.write(`eigengame: ${signal} again: stopped at once\n`);
    for (const stop of STOP_SIGNALS) process.off(stop, interrupt);
    process.kill(process.pid, signal);
  };
  return interrupt;
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const interrupt = interruptHandler(controller);
  for (const signal of STOP_SIGNALS) process.on(signal, interrupt);
  try {
    const request = parseCommandLine(argv);
    if (request.kind === 'help') {
      process.stdout.write(request.command ? commandHelp(request.command) : overviewHelp());
      return 0;
    }
    if (request.kind === 'version') {
      process.stdout.write(`${await version()}\n`);
      return 0;
    }
    const { command, files, args } = request;
    switch (command) {
      case 'fit':
        await fit(files[0], args, controller.signal);
        return 0;
      case 'transform':
        await transform(files[0], files[1], args, controller.signal);
        return 0;
      case 'info':
        await info(files[0], args, controller.signal);
        return 0;
      default:
        await generalized(command, files, args, controller.signal);
        return 0;
    }
  } catch (error) {
    // A malformed argument points to the command's help; a file's problem (exit 2 too) says what to do itself.
    const help = error instanceof ArgumentError ? ` (see ${helpPointer(argv)})` : '';
    process.stderr.write(`eigengame: ${(error as Error).message}${help}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, interrupt);
  }
}

process.exitCode = await main(process.argv.slice(2));
