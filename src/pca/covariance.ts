// The covariance route's one pass, for rows in memory and rows from a source alike: batches of rows are staged in
// float64 a block at a time, centred and scaled into one of two halves of the resident rows (packed for syrk), and
// summed into the operator's float64 sums by the devices while the next batch is staged into the other half. Only
// two batches ever sit in the kernels' memory (writing a whole copy of the data there cost more in page faults than
// the sums themselves).
//
// Rows in memory are centred at their exact mean (known from the statistics pass). Rows from a source are centred at
// each block's own mean, and the blocks' means are merged exactly at the end: C = Σ_b S_b + Σ_b n_b (m_b − m)(m_b − m)ᵀ,
// the second sum by syrk too, over the rows √n_b (m_b − m).

import type { Engine } from '../devices/engine';
import { COVARIANCE_BLOCK, Stager, type Layout } from './pack';
import { ColumnMoments, STAGE_ROWS, powerOfTwoScale } from './stats';

/**
 * Rows per batch of an in-memory pass for rows of `padded` columns: about 1 MiB of float32 per batch (two batches are
 * what the pass touches), but at least 256 rows, so that a job's dispatch to the devices is small beside its sums.
 */
export function memoryBatch(padded: number): number {
  return Math.min(8192, Math.max(256, Math.floor((1 << 18) / padded / 64) * 64));
}

export class CovariancePass {
  private readonly stager: Stager;
  private readonly padded: number;
  /** Each block's rows and mean, when blocks are centred at their own means. */
  private readonly blockMeans: Float64Array[] = [];
  private readonly blockRows: number[] = [];
  private pending: Promise<unknown> | null = null;
  private slot = 0;

  /**
   * `centring.mean` null: each block at its own mean (and `moments` gathers the statistics as rows come); a mean:
   * every row at it (statistics known). `centring.scale` 0: taken from the first block.
   */
  constructor(
    private readonly engine: Engine, private readonly d: number, private readonly batch: number,
    private readonly centring: { mean: Float64Array | null; scale: number; center: boolean },
    readonly moments: ColumnMoments, private readonly name: string, private readonly signal?: AbortSignal,
  ) {
    this.stager = new Stager(engine, d);
    this.padded = engine.d;
    engine.operator().sums.fill(0);
  }

  /** The scale rows are multiplied by (a power of two: exact), once the first block has set it. */
  get scale(): number {
    return this.centring.scale;
  }

  /**
   * Adds a batch of `rows` rows (at most the batch size): `copy(first, count, into)` copies rows [first, first +
   * count) of the batch into a float64 block. Resolves once the batch is staged (its sums may still be running).
   */
  async add(rows: number, copy: (first: number, count: number, into: Float64Array) => void): Promise<void> {
    await this.sum(rows, copy, this.centring.mean);
  }

  /** Stages and sums a batch, each block centred at `mean` (null: at its own, measured and recorded). */
  private async sum(rows: number, copy: (first: number, count: number, into: Float64Array) => void, mean: Float64Array | null): Promise<void> {
    const { stager, centring, d } = this;
    const layout: Layout = { kind: 'row-blocks', padded: this.padded, total: rows };
    const target = this.engine.hostKernels().plan.x + this.slot * this.batch * this.padded * 4;
    for (let first = 0; first < rows; first += STAGE_ROWS) {
      const count = Math.min(STAGE_ROWS, rows - first);
      copy(first, count, stager.rows(count));
      if (mean) {
        stager.pack(count, first, { mean, scale: centring.scale }, layout, target);
        continue;
      }
      const block = new ColumnMoments(d);
      stager.measure(count, block);
      if (centring.scale === 0) centring.scale = tolerantScale(block, centring.center, this.name);
      this.moments.merge(count, block.mean, block.squares);
      this.blockMeans.push(Float64Array.from(block.mean));
      this.blockRows.push(count);
      stager.pack(count, first, { mean: centring.center ? null : new Float64Array(d), scale: centring.scale }, layout, target);
    }
    await this.pending;
    this.pending = this.engine.run(
      { kind: 'covariance', rows, blockRows: COVARIANCE_BLOCK, first: this.slot * this.batch }, undefined, this.signal,
    );
    // Awaited with the next batch; if staging that batch fails first, this one's failure is not left unhandled.
    this.pending.catch(() => {});
    this.slot ^= 1;
  }

  /** Waits for the last sums, and adds the blocks' means (when blocks were centred at their own). */
  async finish(): Promise<void> {
    await this.pending;
    this.pending = null;
    if (this.centring.mean || !this.centring.center) return;
    const { d, moments, blockMeans, blockRows } = this;
    const zero = new Float64Array(d);
    for (let start = 0; start < blockMeans.length; start += this.batch) {
      const total = Math.min(this.batch, blockMeans.length - start);
      await this.sum(total, (first, count, into) => {
        for (let r = 0; r < count; r++) {
          const b = start + first + r;
          const weight = Math.sqrt(blockRows[b]);
          for (let c = 0; c < d; c++) into[r * d + c] = weight * (blockMeans[b][c] - moments.mean[c]);
        }
      }, zero);
    }
    await this.pending;
  }
}

/**
 * A scale for rows that may not vary (a power of two bringing their deviations near 1; if they do not vary, their
 * values; if they are all zero, 1): a source's rows are scaled by its first block's before the statistics of the
 * whole are known, and moments may be taken of a single row.
 */
export function tolerantScale(block: ColumnMoments, center: boolean, name: string): number {
  for (const around of center ? [true, false] : [false]) {
    if (block.sumOfSquares(around) > 0) return powerOfTwoScale(block, around, name);
  }
  return 1;
}
