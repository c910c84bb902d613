// The caller's rows into the kernels' memory, a staged block at a time (assembly/stage.ts): first their exact
// statistics (stats.ts), then every value as (x − mean) · scale in float64, rounded to float32 once, in the layout
// the route's kernels read:
// - packed row blocks (the covariance route: syrk reads a block's columns in groups of four, padded to eight);
// - packed column blocks, i.e. the transpose packed the same way (the Gram route: its "rows" are the features);
// - plain rows (the data route: the step's kernels read rows of d).

import { turn, type Engine } from '../devices/engine';
import { reportNonFinite, type MatrixReader } from '../io/matrix';
import { ColumnMoments, STAGE_ROWS } from './stats';

/** Rows per block of the covariance route's pass: float32 sums cover one block (assembly/syrk.ts). */
export const COVARIANCE_BLOCK = 64;

/** `columns` rounded up to whole panels of eight (syrk's tiles). */
export const padToPanels = (columns: number) => Math.ceil(columns / 8) * 8;

export interface Centring {
  /** Subtracted from each column (zeros without centring). */
  mean: Float64Array;
  /** Multiplies every deviation: a power of two, so exact. */
  scale: number;
}

export type Layout =
  | { kind: 'row-blocks'; padded: number; total: number }
  | { kind: 'column-blocks'; padded: number }
  | { kind: 'plain' };

/** How a block's values sit in the staging area: float64, or float32 as a float32 source stores them. */
export type Staged = 'float64' | 'float32';

/** Stages blocks of rows of d values in the engine's staging area and hands them to its kernels in this thread. */
export class Stager {
  constructor(private readonly engine: Engine, private readonly d: number) {
    if (!engine.hostKernels().plan.staging) throw new Error('this engine has no staging area');
  }

  /** A view of the staging block's first `rows` rows, to copy a batch into. */
  rows(rows: number): Float64Array {
    return this.f64(0, rows * this.d);
  }

  /**
   * A float32 view of the staging block's first `rows` rows, to copy float32 rows into as they are (the kernels widen
   * them to float64 as they read them: `measure` and `pack` with `staged` 'float32').
   */
  rows32(rows: number): Float32Array {
    const { plan, memory } = this.engine.hostKernels();
    return new Float32Array(memory.buffer, plan.staging, rows * this.d);
  }

  /** Merges the staged block's `rows` rows (staged as `staged`) into `moments`. */
  measure(rows: number, moments: ColumnMoments, staged: Staged = 'float64'): void {
    const { kernels, plan } = this.engine.hostKernels();
    const { d } = this;
    const blockMoments = staged === 'float32' ? kernels.blockMoments32 : kernels.blockMoments;
    blockMoments(plan.staging, rows, d, plan.staging + STAGE_ROWS * d * 8, plan.staging + (STAGE_ROWS + 1) * d * 8);
    moments.merge(rows, this.f64(STAGE_ROWS * d, d), this.f64((STAGE_ROWS + 1) * d, d));
  }

  /**
   * Writes the staged block's `rows` rows (rows [first, first + rows) of the data) centred and scaled into `layout`
   * at `target` (default: the resident rows). `centring.mean` null: the block's own mean, as `measure` left it.
   */
  pack(
    rows: number, first: number, centring: { mean: Float64Array | null; scale: number }, layout: Layout, target?: number,
    staged: Staged = 'float64',
  ): void {
    const { kernels, plan } = this.engine.hostKernels();
    const { d } = this;
    const mean = plan.staging + STAGE_ROWS * d * 8;
    if (centring.mean) this.f64(STAGE_ROWS * d, d).set(centring.mean);
    const { staging } = plan;
    const x = target ?? plan.x;
    const { scale } = centring;
    if (staged === 'float32' && layout.kind !== 'row-blocks') throw new Error(`internal error: float32 rows are staged for row blocks only, not ${layout.kind}`);
    if (layout.kind === 'row-blocks') {
      const packRows = staged === 'float32' ? kernels.packRows32 : kernels.packRows;
      packRows(staging, rows, d, mean, scale, first, layout.total, COVARIANCE_BLOCK, layout.padded, x);
    } else if (layout.kind === 'column-blocks') {
      kernels.packColumns(staging, rows, d, mean, scale, first, COVARIANCE_BLOCK, layout.padded, x);
    } else {
      kernels.packPlain(staging, rows, d, mean, scale, first, x);
    }
  }

  /** The mean `measure` left: a live view, valid until the next block. */
  blockMean(): Float64Array {
    return this.f64(STAGE_ROWS * this.d, this.d);
  }

  /** A float64 view of the staging area, `offset` values in (fresh: the memory may have grown). */
  private f64(offset: number, length: number): Float64Array {
    const { plan, memory } = this.engine.hostKernels();
    return new Float64Array(memory.buffer, plan.staging + offset * 8, length);
  }
}

/**
 * Calls `visit(first, count)` after staging each block of a matrix input's rows (in row order), giving the event
 * loop its turns between blocks (a pass over a large matrix takes seconds).
 */
async function forEachStagedBlock(
  reader: MatrixReader, stager: Stager, visit: (first: number, count: number) => void, signal?: AbortSignal,
): Promise<void> {
  for (let first = 0; first < reader.rows; first += STAGE_ROWS) {
    await turn(signal);
    const count = Math.min(STAGE_ROWS, reader.rows - first);
    reader.copyRows(first, count, stager.rows(count));
    visit(first, count);
  }
}

/** The statistics of an in-memory matrix, refusing a value that is not finite with its row and column. */
export async function matrixMoments(reader: MatrixReader, stager: Stager, name: string, signal?: AbortSignal): Promise<ColumnMoments> {
  const moments = new ColumnMoments(reader.cols);
  await forEachStagedBlock(reader, stager, (_first, count) => stager.measure(count, moments), signal);
  if (!moments.finite()) {
    for (let r = 0; r < reader.rows; r++) {
      const row = reader.row(r);
      for (let c = 0; c < reader.cols; c++) if (!Number.isFinite(row[c])) reportNonFinite(row, name, r);
    }
  }
  return moments;
}

/** Writes a whole matrix input, centred and scaled, into the engine's resident rows in `layout`. */
export async function packMatrix(reader: MatrixReader, stager: Stager, centring: Centring, layout: Layout, signal?: AbortSignal): Promise<void> {
  await forEachStagedBlock(reader, stager, (first, count) => stager.pack(count, first, centring, layout), signal);
}
