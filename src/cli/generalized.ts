// The `eigengame cca | pls | lda` commands: fit a model to .npy or CSV/TSV files (streamed: the rows are read once
// for cca and pls, twice for lda) and write it as JSON, with fit's progress, --json summary and file safety.

import { ArgumentError, resolveColumns, resolveViews, type Arguments, type Column } from './arguments';
import { checkInput, checkOutputs, writeOutput } from './files';
import { cca, lda, openSource, pls, type CCAModel, type GeneralizedProgress, type LDAModel, type MatrixSource, type PLSModel } from '../entries/node';
import { formatOfName } from '../io/open';
import { sparseFormatOfName } from '../io/sparse-files';
import { checkBatchSize } from '../io/source';

export type GeneralizedCommand = 'cca' | 'pls' | 'lda';

/** How the command reports: progress lines (null with --quiet) for a file of `rows` rows, warnings, the summary. */
export interface Reporting {
  progress(rows: number | null): ((progress: GeneralizedProgress) => void) | null;
  done(): void;
  warn(message: string): void;
  write(text: string): void;
}

/** The reader of `file` in the format asked for or named by its extension; CSV's options on a .npy file are a usage error. */
export function sourceOf(file: string, args: Arguments, columns?: readonly Column[]): MatrixSource {
  if (args.format === 'npz' || args.format === 'mtx' || (args.format === undefined && sparseFormatOfName(file) !== undefined)) {
    throw new ArgumentError(`${file} is a sparse matrix file: fit, transform and info read it; cca, pls and lda read dense files (.npy, CSV, Parquet)`);
  }
  const format = args.format ?? formatOfName(file);
  if (format === undefined) throw new ArgumentError(`${file}: cannot tell its format from its name: pass --format npy, csv, parquet, npz or mtx`);
  const csvOnly = (['columns', 'delimiter', 'header'] as const).filter((name) => args[name] !== undefined);
  if (format === 'npy' && csvOnly.length > 0) {
    throw new ArgumentError(`${file} is a .npy file: ${csvOnly.map((name) => `--${name}`).join(', ')} only apply to CSV (a .npy file is read whole)`);
  }
  const textOnly = csvOnly.filter((name) => name !== 'columns');
  if (format === 'parquet' && textOnly.length > 0) {
    throw new ArgumentError(`${file} is a Parquet file: ${textOnly.map((name) => `--${name}`).join(', ')} only apply to CSV (choose Parquet columns with --columns)`);
  }
  const header = args.header === undefined ? undefined : { auto: 'auto' as const, yes: true, no: false }[args.header];
  return openSource(file, { format, columns, delimiter: args.delimiter, header, name: file });
}

/**
 * A fit's refusal of k (more than the rows, or than lda's classes − 1: what only reading the file tells) as the usage
 * error it is; any other error as it was.
 */
export function tooLargeK(error: unknown): unknown {
  if (error instanceof RangeError && /^k = \d+ is larger than/.test(error.message)) return new ArgumentError(`${error.message}: give a smaller -k`);
  return error;
}

type Model = CCAModel | PLSModel | LDAModel;

/** Runs `eigengame <command> <files…>`: checks every file first, fits, then writes the model and the summary. */
export async function runGeneralized(command: GeneralizedCommand, files: string[], args: Arguments, signal: AbortSignal, reporting: Reporting): Promise<void> {
  const twoFiles = files.length === 2;
  const roles = twoFiles ? ['the X file', 'the Y file'] : ['the input file'];
  const inputs = [];
  for (const [i, file] of files.entries()) inputs.push(await checkInput(file, roles[i]));
  const [out] = await checkOutputs([{ option: '--out', path: args.out ?? 'model.json' }], inputs);
  const sources = files.map((file) => sourceOf(file, args));
  let rows: number | null;
  let columns: { x: number[]; y: number[] } | { labels: number } | null = null;
  try {
    const infos = await Promise.all(sources.map((source) => source.info()));
    rows = infos[0].rows;
    const { cols, columnNames } = infos[0];
    if (command === 'lda') {
      const [labels] = resolveColumns([args.labels!], '--labels', files[0], cols, columnNames);
      columns = { labels };
      checkK(args.k!, cols - 1, `the ${columnCount(cols - 1)} of ${files[0]} besides --labels`);
    } else if (twoFiles) {
      const [dx, dy] = infos.map((info) => info.cols);
      checkK(args.k!, Math.min(dx, dy), `the ${columnCount(Math.min(dx, dy))} of the narrower file, ${files[dx <= dy ? 0 : 1]}`);
    } else {
      const views = resolveViews(args, files[0], cols, columnNames);
      columns = views;
      checkK(args.k!, Math.min(views.x.length, views.y.length), `the ${columnCount(Math.min(views.x.length, views.y.length))} of the narrower view`);
    }
    if (args.batch !== undefined) for (const [i, info] of infos.entries()) batchFits(files[i], args.batch, info.cols);
  } catch (error) {
    // The methods close their sources on every path; a source that never reached one is closed here.
    await Promise.all(sources.map((source) => source.close()));
    throw error;
  }
  const fit = {
    k: args.k!, devices: args.devices ?? 'auto', tol: args.tol, batchSize: args.batch, seed: args.seed, maxSteps: args.maxSteps,
    signal, onProgress: reporting.progress(rows) ?? undefined, onWarning: reporting.warn,
  };
  const started = performance.now();
  let model: Model;
  try {
    if (command === 'lda') {
      model = await lda(sources[0], { ...fit, regularization: args.regularization, labels: (columns as { labels: number }).labels });
    } else {
      const options = { ...fit, center: !args.noCenter, ...(command === 'cca' ? { regularization: args.regularization } : {}) };
      const method = command === 'cca' ? cca : pls;
      model = await (twoFiles ? method(sources[0], sources[1], options) : method(sources[0], { ...options, ...(columns as { x: number[]; y: number[] }) }));
    }
  } catch (error) {
    throw tooLargeK(error);
  } finally {
    reporting.done();
  }
  const seconds = (performance.now() - started) / 1000;
  await writeOutput(out, signal, (handle) => handle.writeFile(JSON.stringify(model.toJSON())));
  if (args.json) {
    reporting.write(`${JSON.stringify({ model: out.path, ...summaryOf(model), seconds, backend: model.backend })}\n`);
  } else if (!args.quiet) {
    const backend = model.backend!;
    const shape = 'dx' in model ? `${model.dx} + ${model.dy} columns` : `${model.d} columns, ${model.classes.length} classes`;
    reporting.write(`${files.join(' and ')}: ${model.nSamples} rows, ${shape}, k = ${model.k}, ${seconds.toFixed(2)} s on ${backend.devices} ${backend.kind === 'workers' ? 'worker devices' : 'in-thread device'} (${backend.build}), ${model.rounds} rounds\n`);
    if (!model.converged) reporting.write('not converged: the directions are approximate (see the warning above)\n');
    const { label, values: found } = valuesOf(model);
    reporting.write(`pair  ${label}\n`);
    found.forEach((value, i) => reporting.write(`${String(i + 1).padStart(4)}  ${value.toPrecision(6)}\n`));
    reporting.write(`model written to ${out.path}\n`);
  }
}

/** -k against what the data allows, where the files' headers tell it before any work. */
function checkK(k: number, limit: number, what: string): void {
  if (k > limit) throw new ArgumentError(`-k ${k} is more than ${what}: give -k ${limit} or less`);
}

function columnCount(count: number): string {
  return `${count} ${count === 1 ? 'column' : 'columns'}`;
}

/** A batch the readers would refuse (too many bytes) is a usage error. */
export function batchFits(file: string, batch: number, cols: number): void {
  try {
    checkBatchSize(file, batch, cols);
  } catch (error) {
    throw new ArgumentError(`--batch ${batch}: ${(error as Error).message.replace(/use a smaller batchSize$/, 'give a smaller --batch')}`);
  }
}

function valuesOf(model: Model): { label: string; values: Float64Array } {
  if ('correlations' in model) return { label: 'canonical correlation', values: model.correlations };
  if ('singularValues' in model) return { label: 'singular value', values: model.singularValues };
  return { label: 'eigenvalue', values: model.eigenvalues };
}

function summaryOf(model: Model) {
  const shared = { k: model.k, rows: model.nSamples, converged: model.converged, rounds: model.rounds };
  if ('correlations' in model) return { ...shared, dx: model.dx, dy: model.dy, correlations: Array.from(model.correlations) };
  if ('singularValues' in model) return { ...shared, dx: model.dx, dy: model.dy, singularValues: Array.from(model.singularValues) };
  return {
    ...shared, d: model.d, classes: model.classes, eigenvalues: Array.from(model.eigenvalues),
    explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
  };
}
