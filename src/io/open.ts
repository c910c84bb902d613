// Picks the reader for an input: by the format asked for, or by the file name's extension.

import { inputName, type ByteInput } from './bytes';
import { CsvSource, type CsvOptions } from './csv';
import { describe } from '../describe';
import { NpySource } from './npy';
import { ParquetSource, type ParquetOptions } from './parquet';
import type { MatrixSource } from './source';
import { sparseFormatOfName } from './sparse-files';

/** Options of `openSource`: the CSV options, Parquet's decoder, and the format when the name does not tell it. */
export interface OpenSourceOptions extends CsvOptions, Pick<ParquetOptions, 'hyparquet' | 'compressors' | 'rows'> {
  /**
   * 'npy', 'csv' (TSV is CSV with a tab) or 'parquet'. Default: from the name's extension (.npy; .csv, .tsv, .tab,
   * .txt; .parquet, .parq, .pq).
   */
  format?: 'npy' | 'csv' | 'parquet';
}

/** A MatrixSource for a file path, URL, Blob/File, bytes or stream, in the format its name says (or `format`). */
export function openSource(input: ByteInput, options: OpenSourceOptions = {}): MatrixSource {
  const name = options.name ?? inputName(input);
  const sparse = options.format === undefined ? sparseFormatOfName(name) : undefined;
  if (sparse !== undefined) {
    throw new TypeError(`${name} is a sparse matrix file (.${sparse}): read it with readSparse(input) and hand the matrix to pca; openSource reads dense rows (.npy, CSV, Parquet)`);
  }
  const format = options.format ?? formatOfName(name);
  if (format === 'npy') {
    const csvOnly = (['delimiter', 'header', 'columns'] as const).filter((option) => options[option] !== undefined);
    if (csvOnly.length > 0) throw new TypeError(`${name} is a .npy file: ${csvOnly.join(', ')} only apply to CSV (a .npy file is read whole)`);
    return new NpySource(input, { name, rows: options.rows });
  }
  if (format === 'parquet') {
    const csvOnly = (['delimiter', 'header'] as const).filter((option) => options[option] !== undefined);
    if (csvOnly.length > 0) throw new TypeError(`${name} is a Parquet file: ${csvOnly.join(', ')} only apply to CSV`);
    return new ParquetSource(input, { name, columns: options.columns, rows: options.rows, hyparquet: options.hyparquet, compressors: options.compressors });
  }
  if (format === 'csv') {
    // A CSV's rows are found only by reading every byte before them: shard CSV data as whole files.
    if (options.rows !== undefined) throw new TypeError(`${name} is a CSV file: the rows option applies to .npy and Parquet files (shard CSV data as whole files)`);
    return new CsvSource(input, { ...options, name });
  }
  if (options.format !== undefined) throw new TypeError(`format must be 'npy', 'csv' or 'parquet', got ${describe(options.format)}`);
  throw new TypeError(`${name}: cannot tell its format from its name: pass { format: 'npy' }, { format: 'csv' } or { format: 'parquet' }`);
}

/** The format a name's extension says (.npy; .csv, .tsv, .tab, .txt; .parquet, .parq, .pq), or undefined for any other. */
export function formatOfName(name: string): 'npy' | 'csv' | 'parquet' | undefined {
  if (/\.npy$/i.test(name)) return 'npy';
  if (/\.(csv|tsv|tab|txt)$/i.test(name)) return 'csv';
  return /\.(parquet|parq|pq)$/i.test(name) ? 'parquet' : undefined;
}
