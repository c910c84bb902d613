// The covariance route's one pass, for rows in memory and rows from a source alike: batches of rows are staged in
// float64 a block at a time and summed into the operator's float64 sums by the devices (syrk), while the next
// batch is staged into the other of two halves of the resident rows. Only two batches ever sit in the kernels'
// memory (writing a whole copy of the data there cost more in page faults than the sums themselves), and the rows
// are read once: nothing has to be known about them before the pass.
//
// Each block is centred at its own mean and scaled by its own power of two s_b (stats.ts), both taken from the
// block in float64, so a block's rows reach float32 as (x − m_b) s_b, rounded once, whatever their offset from zero
// and whatever the other blocks hold; syrk weighs the block's products by 1/s_b² (exact), so the sums are unscaled.
// The blocks' means are merged exactly at the end: C = Σ_b S_b + Σ_b n_b (m_b − m)(m_b − m)ᵀ, the second sum by syrk
// too, over the rows √n_b (m_b − m).
//
// A pass in float64 (the pencils': cca, pls, lda, whose B is inverted, so that float32's ~1e-7 would come back
// multiplied by B's condition number) sums the same blocks in float64 instead: the host writes each block's
// deviations from its own mean (or from zero) into the plan's deviation blocks as columns (assembly/deviations.ts),
// and the devices sum their scatter (assembly/scatter.ts: float64 products, each element's even and odd rows in two
// lanes, the same bits on any number of devices), then Σ_b n_b (m_b − m)(m_b − m)ᵀ the same way, over the rows
// √n_b (m_b − m). No scale, no rounding to float32. A job sums at most `deviationRows` rows (whole blocks of a
// batch, so the blocks are the batch's whatever the job's size), and the next is staged while it runs.

import { turn, type Engine } from '../devices/engine';
import { deviationStride } from '../devices/partition';
import { COVARIANCE_BLOCK, Stager, type Layout, type Staged } from './pack';
import { ColumnMoments, STAGE_ROWS, powerOfTwoScale } from './stats';

if (STAGE_ROWS % COVARIANCE_BLOCK !== 0) throw new Error('a staged block must hold whole blocks of the covariance pass');

/**
 * Rows per batch of an in-memory pass for rows of `padded` columns: about 1 MiB of float32 per batch (two batches are
 * what the pass touches), but at least 256 rows, so that a job's dispatch to the devices is small beside its sums.
 */
export function memoryBatch(padded: number): number {
  return Math.min(8192, Math.max(256, Math.floor((1 << 18) / padded / 64) * 64));
}

/** Float64 values a float64 pass's job may stage (two of them are in memory): about 8 MiB. */
const DEVIATION_VALUES = 1 << 20;

/** Rows per job of a float64 pass over d columns and batches of `batch` rows: whole staged blocks, or the batch. */
function deviationRows(d: number, batch: number): number {
  return Math.min(batch, Math.max(1, Math.floor(DEVIATION_VALUES / d / STAGE_ROWS)) * STAGE_ROWS);
}

/**
 * Float64 values of deviation blocks (EngineShape.deviations) that a float64 pass over d columns and batches of
 * `batch` rows needs: two jobs' blocks, each block's columns rounded up to even rows (only a job's last block can be odd).
 */
export function deviationValues(d: number, batch: number): number {
  return 2 * (deviationRows(d, batch) + 1) * d;
}

/** Copies rows [first, first + count) of a batch into a float64 block. */
export type CopyRows = (first: number, count: number, into: Float64Array) => void;

export class CovariancePass {
  private readonly stager: Stager;
  private readonly padded: number;
  /** Each block's rows and mean. */
  private readonly blockMeans: Float64Array[] = [];
  private readonly blockRows: number[] = [];
  private pending: Promise<unknown> | null = null;
  private slot = 0;
  /** A float64 pass's rows per job (0 for a float32 pass). */
  private readonly jobRows: number;
  /** The moments of the rows so far, merged block by block. */
  readonly moments: ColumnMoments;

  /**
   * A pass over rows of d values in batches of at most `batch` rows, centred (`center`) or not. `onNonFinite(first,
   * count)` is called with a staged block (rows of the current batch) whose values are not all finite, and throws the
   * caller's error for it. `arithmetic` 'float64': the sums are float64 sums of float64 products (the engine's plan
   * holds `deviationValues(d, batch)` deviation values), of the elements of C in `elements` only: its rows [start,
   * end) and, in them, its columns from `from` (pls needs only the cross block of [X | Y]'s covariance).
   */
  constructor(
    private readonly engine: Engine, private readonly d: number, private readonly batch: number,
    private readonly center: boolean, private readonly name: string,
    private readonly onNonFinite: (first: number, count: number) => never, private readonly signal?: AbortSignal,
    arithmetic: 'float32' | 'float64' = 'float32', private readonly elements = { start: 0, end: d, from: 0 },
  ) {
    // First: a new engine's sums are zero already, until anything has been handed the memory (the stager is).
    engine.clearOperatorSums();
    this.stager = new Stager(engine, d);
    this.padded = engine.d;
    this.moments = new ColumnMoments(d);
    this.jobRows = arithmetic === 'float64' ? deviationRows(d, batch) : 0;
    if (this.jobRows && engine.hostKernels().plan.deviationBlocks === 0) throw new Error('this engine has no deviation blocks');
  }

  /** Adds a batch of `rows` rows (at most the batch size). Resolves once it is staged (its sums may still be running). */
  async add(rows: number, copy: CopyRows): Promise<void> {
    await this.sum(rows, copy, 'rows');
  }

  /**
   * Adds a batch of `rows` float32 rows (row-major, d values each), as `add` does: staged as float32 and widened by
   * the kernels (the same bits as `add` with the values widened first, for half the bytes moved).
   */
  async addFloat32(rows: number, values: Float32Array): Promise<void> {
    const { d } = this;
    const copy: CopyRows = (first, count, into) => into.set(values.subarray(first * d, (first + count) * d));
    if (this.jobRows) {
      await this.sum(rows, copy, 'rows');
      return;
    }
    await this.sum(rows, copy, 'rows', (first, count) => this.stager.rows32(count).set(values.subarray(first * d, (first + count) * d)));
  }

  /**
   * Stages a batch and sums it, each block at its own scale: the data's `rows` (counted in the moments, each block
   * at its own mean when centred) or the `correction` rows of the means (about zero). `copy32`: the rows are
   * float32, staged as they are by it.
   */
  private async sum(rows: number, copy: CopyRows, what: 'rows' | 'correction', copy32?: (first: number, count: number) => void): Promise<void> {
    const center = what === 'rows' && this.center;
    const { stager, d } = this;
    if (this.jobRows) {
      for (let first = 0; first < rows; first += this.jobRows) {
        const count = Math.min(this.jobRows, rows - first);
        await this.sum64(count, (offset, blockRows, into) => copy(first + offset, blockRows, into), what);
      }
      return;
    }
    const staged: Staged = copy32 ? 'float32' : 'float64';
    const layout: Layout = { kind: 'row-blocks', padded: this.padded, total: rows };
    const target = this.engine.hostKernels().plan.x + this.slot * this.batch * this.padded * 4;
    const weights: number[] = [];
    for (let first = 0; first < rows; first += STAGE_ROWS) {
      await turn(this.signal);
      const count = Math.min(STAGE_ROWS, rows - first);
      if (copy32) copy32(first, count);
      else copy(first, count, stager.rows(count));
      const block = new ColumnMoments(d);
      stager.measure(count, block, staged);
      if (!block.finite()) this.onNonFinite(first, count);
      const scale = tolerantScale(block, center, this.name);
      if (what === 'rows') this.moments.merge(count, block.mean, block.squares);
      if (center) {
        this.blockMeans.push(Float64Array.from(block.mean));
        this.blockRows.push(count);
      }
      stager.pack(count, first, { mean: center ? null : new Float64Array(d), scale }, layout, target, staged);
      for (let b = 0; b < count; b += COVARIANCE_BLOCK) weights.push(1 / (scale * scale));
    }
    await this.pending;
    // While new workers start, this thread sums the batch itself (the sums' bits do not depend on who adds them).
    this.pending = this.engine.run(
      { kind: 'covariance', rows, blockRows: COVARIANCE_BLOCK, first: this.slot * this.batch, weights }, undefined, this.signal,
      'in-thread',
    );
    // Awaited with the next batch; if staging that batch fails first, this one's failure is not left unhandled.
    this.pending.catch(() => {});
    this.slot ^= 1;
  }

  /**
   * A job of the float64 pass: each staged block's deviations (from its own mean, or from zero) as columns into this
   * job's half of the deviation blocks, then the devices sum them while the next job is staged.
   */
  private async sum64(rows: number, copy: CopyRows, what: 'rows' | 'correction'): Promise<void> {
    const { stager, d } = this;
    const { kernels, plan } = this.engine.hostKernels();
    const half = (this.slot * deviationValues(d, this.batch)) / 2;
    let offset = half;
    for (let first = 0; first < rows; first += STAGE_ROWS) {
      await turn(this.signal);
      const count = Math.min(STAGE_ROWS, rows - first);
      copy(first, count, stager.rows(count));
      if (what === 'rows') {
        const block = new ColumnMoments(d);
        stager.measure(count, block);
        if (!block.finite()) this.onNonFinite(first, count);
        this.moments.merge(count, block.mean, block.squares);
        if (this.center) {
          this.blockMeans.push(Float64Array.from(block.mean));
          this.blockRows.push(count);
        }
      }
      const centre = what === 'rows' && this.center;
      if (!centre) stager.blockMean().fill(0);
      kernels.stageDeviations(plan.staging, count, d, stager.blockMean().byteOffset, plan.deviationBlocks + offset * 8, deviationStride(count));
      offset += deviationStride(count) * d;
    }
    await this.pending;
    this.pending = this.engine.run(
      {
        kind: 'scatter', offset: half, rows, blockRows: STAGE_ROWS, order: d, band: { start: this.elements.start, end: this.elements.end },
        from: this.elements.from,
      },
      undefined, this.signal, 'in-thread',
    );
    this.pending.catch(() => {});
    this.slot ^= 1;
  }

  /** Waits for the last sums, and adds the blocks' means (when blocks were centred). */
  async finish(): Promise<void> {
    await this.pending;
    this.pending = null;
    if (!this.center) return;
    const { d, moments, blockMeans, blockRows } = this;
    for (let start = 0; start < blockMeans.length; start += this.batch) {
      const total = Math.min(this.batch, blockMeans.length - start);
      await this.sum(total, (first, count, into) => {
        for (let r = 0; r < count; r++) {
          const b = start + first + r;
          const weight = Math.sqrt(blockRows[b]);
          for (let c = 0; c < d; c++) into[r * d + c] = weight * (blockMeans[b][c] - moments.mean[c]);
        }
      }, 'correction');
    }
    await this.pending;
  }
}

/**
 * A scale for rows that may not vary: a power of two bringing their deviations (or values, not centred) near 1; if
 * they are all zero, their values', or 1 (what it multiplies is then zero). Throws if their squares overflow float64.
 */
export function tolerantScale(block: ColumnMoments, center: boolean, name: string): number {
  for (const around of center ? [true, false] : [false]) {
    if (block.sumOfSquares(around) > 0) return powerOfTwoScale(block, around, name);
  }
  return 1;
}
