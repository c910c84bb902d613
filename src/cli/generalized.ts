// The `eigengame cca | pls | lda` commands: fit a model to .npy or CSV/TSV files (streamed: the rows are read once
// for cca and pls, twice for lda) and write it as JSON, with fit's progress, --json summary and file safety.

import { UsageError, checkInput, checkOutputs, writeOutput } from './files';
import { cca, lda, openSource, pls, type CCAModel, type GeneralizedProgress, type LDAModel, type MatrixSource, type PLSModel } from '../entries/node';
import { formatOfName } from '../io/open';

/** The parsed options these commands read (a subset of the CLI's). */
export interface GeneralizedValues {
  k?: string;
  devices?: string;
  batch?: string;
  tol?: string;
  'max-steps'?: string;
  seed?: string;
  'no-center'?: boolean;
  out?: string;
  columns?: string;
  delimiter?: string;
  format?: string;
  quiet?: boolean;
  json?: boolean;
  x?: string;
  y?: string;
  labels?: string;
  regularization?: string;
}

export type GeneralizedCommand = 'cca' | 'pls' | 'lda';

/** How the command reports: progress lines (null with --quiet) for a file of `rows` rows, warnings, the summary. */
export interface Reporting {
  progress(rows: number | null): ((progress: GeneralizedProgress) => void) | null;
  done(): void;
  warn(message: string): void;
  write(text: string): void;
}

function integer(values: GeneralizedValues, name: 'k' | 'batch' | 'seed' | 'max-steps', minimum: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`--${name} must be an integer ≥ ${minimum}, got ${JSON.stringify(text)}`);
  return value;
}

/** A column list: names, or 0-based indices. */
function columnList(text: string): (string | number)[] {
  return text.split(',').map((column) => (/^\d+$/.test(column.trim()) ? Number(column) : column.trim()));
}

function sourceOf(file: string, values: GeneralizedValues): MatrixSource {
  const requested = values.format;
  if (requested !== undefined && requested !== 'npy' && requested !== 'csv' && requested !== 'parquet') throw new UsageError(`--format must be npy, csv or parquet, got ${JSON.stringify(requested)}`);
  const format = requested ?? formatOfName(file);
  if (format === undefined) throw new UsageError(`${file}: cannot tell its format from its name: pass --format npy, csv or parquet`);
  try {
    return openSource(file, { format, delimiter: values.delimiter, name: file });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The options every one of these commands takes, checked. */
function commonOptions(command: GeneralizedCommand, values: GeneralizedValues) {
  const k = integer(values, 'k', 1);
  if (k === undefined) throw new UsageError(`${command} needs -k <k>, the number of ${command === 'lda' ? 'discriminant directions' : 'pairs of directions'}`);
  if (values.columns !== undefined) {
    throw new UsageError(`--columns does not apply to ${command}: ${command === 'lda' ? 'the labels column is --labels, X is every other column' : 'name X\'s and Y\'s columns with --x and --y'}`);
  }
  const devicesText = values.devices ?? 'auto';
  const devices = devicesText === 'auto' ? 'auto' : Number(devicesText);
  if (devices !== 'auto' && !(Number.isInteger(devices) && devices >= 1)) throw new UsageError(`--devices must be a positive integer or auto, got ${JSON.stringify(devicesText)}`);
  const tol = values.tol === undefined ? undefined : Number(values.tol);
  if (tol !== undefined && !(tol >= 0)) throw new UsageError(`--tol must be a number ≥ 0, got ${JSON.stringify(values.tol)}`);
  const regularization = values.regularization === undefined ? undefined : Number(values.regularization);
  if (regularization !== undefined && !(regularization >= 0 && Number.isFinite(regularization))) {
    throw new UsageError(`--regularization must be a number ≥ 0, got ${JSON.stringify(values.regularization)}`);
  }
  if (regularization !== undefined && command === 'pls') throw new UsageError('--regularization does not apply to pls (its B is the identity)');
  return {
    k, devices: devices as number | 'auto', tol, regularization, batchSize: integer(values, 'batch', 2), seed: integer(values, 'seed', 0),
    maxSteps: integer(values, 'max-steps', 1),
  };
}

type Model = CCAModel | PLSModel | LDAModel;

/** Runs `eigengame <command> <files…>`: checks every file first, fits, then writes the model and the summary. */
export async function runGeneralized(command: GeneralizedCommand, files: string[], values: GeneralizedValues, signal: AbortSignal, reporting: Reporting): Promise<void> {
  const options = commonOptions(command, values);
  const twoFiles = files.length === 2;
  if (command === 'lda') {
    if (files.length !== 1) throw new UsageError('usage: eigengame lda <file> --labels <column> -k <k> [options]');
    if (values.labels === undefined) throw new UsageError('lda needs --labels <column>: the column of the file that holds the classes');
    if (values.x !== undefined || values.y !== undefined) throw new UsageError('--x and --y do not apply to lda: X is every column but --labels');
  } else {
    if (files.length !== 1 && files.length !== 2) throw new UsageError(`usage: eigengame ${command} <x-file> <y-file> -k <k>, or ${command} <file> --x <columns> --y <columns> -k <k>`);
    if (twoFiles && (values.x !== undefined || values.y !== undefined)) throw new UsageError(`--x and --y name the columns of one file; with two files, X is the first and Y the second`);
    if (!twoFiles && (values.x === undefined || values.y === undefined)) throw new UsageError(`with one file, ${command} needs --x <columns> and --y <columns>`);
    if (values.labels !== undefined) throw new UsageError(`--labels applies to lda, not ${command}`);
  }
  const roles = twoFiles ? ['the X file', 'the Y file'] : ['the input file'];
  const inputs = [];
  for (const [i, file] of files.entries()) inputs.push(await checkInput(file, roles[i]));
  const [out] = await checkOutputs([{ option: '--out', path: values.out ?? 'model.json' }], inputs);
  const sources = files.map((file) => sourceOf(file, values));
  let rows: number | null;
  try {
    rows = (await sources[0].info()).rows;
  } catch (error) {
    // The methods close their sources on every path; a source that never reached one is closed here.
    await Promise.all(sources.map((source) => source.close()));
    throw error;
  }
  const fit = {
    ...options, center: !values['no-center'], signal, onProgress: reporting.progress(rows) ?? undefined, onWarning: reporting.warn,
  };
  const started = performance.now();
  let model: Model;
  try {
    if (command === 'lda') {
      const labels = columnList(values.labels!)[0];
      const { center: _center, ...withoutCenter } = fit;
      model = await lda(sources[0], { ...withoutCenter, labels });
    } else {
      const method = command === 'cca' ? cca : pls;
      const { regularization: _regularization, ...plain } = fit;
      const methodOptions = command === 'cca' ? fit : plain;
      model = await (twoFiles
        ? method(sources[0], sources[1], methodOptions)
        : method(sources[0], { ...methodOptions, x: columnList(values.x!), y: columnList(values.y!) }));
    }
  } finally {
    reporting.done();
  }
  const seconds = (performance.now() - started) / 1000;
  await writeOutput(out, signal, (handle) => handle.writeFile(JSON.stringify(model.toJSON())));
  if (values.json) {
    reporting.write(`${JSON.stringify({ model: out.path, ...summaryOf(model), seconds, backend: model.backend })}\n`);
  } else if (!values.quiet) {
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
