// Picks the reader for an input: by the format asked for, or by the file name's extension.

import { inputName, type ByteInput } from './bytes';
import { CsvSource, type CsvOptions } from './csv';
import { describe } from '../describe';
import { NpySource } from './npy';
import type { MatrixSource } from './source';

/** Options of `openSource`: the CSV options, and the format when the name does not tell it. */
export interface OpenSourceOptions extends CsvOptions {
  /** 'npy' or 'csv' (TSV is CSV with a tab). Default: from the name's extension (.npy; .csv, .tsv, .tab, .txt). */
  format?: 'npy' | 'csv';
}

/** A MatrixSource for a file path, URL, Blob/File, bytes or stream, in the format its name says (or `format`). */
export function openSource(input: ByteInput, options: OpenSourceOptions = {}): MatrixSource {
  const name = options.name ?? inputName(input);
  const format = options.format ?? formatOfName(name);
  if (format === 'npy') {
    const csvOnly = (['delimiter', 'header', 'columns'] as const).filter((option) => options[option] !== undefined);
    if (csvOnly.length > 0) throw new TypeError(`${name} is a .npy file: ${csvOnly.join(', ')} only apply to CSV (a .npy file is read whole)`);
    return new NpySource(input, { name });
  }
  if (format === 'csv') return new CsvSource(input, { ...options, name });
  if (options.format !== undefined) throw new TypeError(`format must be 'npy' or 'csv', got ${describe(options.format)}`);
  throw new TypeError(`${name}: cannot tell its format from its name: pass { format: 'npy' } or { format: 'csv' }`);
}

/** The format a name's extension says (.npy; .csv, .tsv, .tab, .txt), or undefined for any other name. */
export function formatOfName(name: string): 'npy' | 'csv' | undefined {
  return /\.npy$/i.test(name) ? 'npy' : /\.(csv|tsv|tab|txt)$/i.test(name) ? 'csv' : undefined;
}
