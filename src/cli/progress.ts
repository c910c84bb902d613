// Progress on stderr: a bar redrawn in place on a terminal, a plain line every two seconds otherwise. Rows per second
// are shown only while rows are being read: the players' rounds on the covariance read none.

/** Where the report goes: stderr, or a stand-in in the tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** One update, as pca and the generalized fits report it. */
export interface ProgressUpdate {
  /** Batches read (while reading), or the round. */
  step: number;
  /** The pass over the file while rows are read; undefined during rounds that read no rows. */
  epoch?: number;
  /** Rows read so far, all passes together. */
  rowsRead?: number;
  /** The bound on the distance still to go (Infinity before the first check). */
  remaining: number;
  /** The current values (variances, correlations…), empty while reading. */
  values: ArrayLike<number>;
}

/** Seconds between two plain lines (not a terminal). */
const PLAIN_EVERY = 2;
const BAR_WIDTH = 24;

export class ProgressReport {
  private readonly started: number;
  private lastLine: number | null = null;
  /** Rows read, and when and at how many rows the current stretch of reading began (null: not reading). */
  private rowsRead = 0;
  private reading: { since: number; rows: number } | null = null;
  private lastUpdate: number | null = null;

  constructor(
    private readonly stream: ProgressStream,
    private readonly totalRows: number | null,
    /** What the values are: variances, correlations, singular values, eigenvalues. */
    private readonly label: string,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.started = now();
  }

  update(progress: ProgressUpdate): void {
    const now = this.now();
    const elapsed = now - this.started;
    const readingNow = progress.epoch !== undefined;
    // Reading began when the previous update was made (or the report was started) with the rows read by then.
    if (readingNow && this.reading === null) this.reading = { since: this.lastUpdate ?? this.started, rows: this.rowsRead };
    this.lastUpdate = now;
    if (!readingNow) this.reading = null;
    this.rowsRead = progress.rowsRead ?? this.rowsRead;
    const rate = this.reading ? (this.rowsRead - this.reading.rows) / Math.max(now - this.reading.since, 1e-3) : null;
    const fraction = progress.epoch === 1 && this.totalRows ? Math.min(1, this.rowsRead / this.totalRows) : null;
    const eta = fraction && fraction > 0 && this.reading ? ((now - this.reading.since) * (1 - fraction)) / fraction : null;
    const line = progressLine({ epoch: progress.epoch, step: progress.step, rate, remaining: progress.remaining, values: progress.values, label: this.label, eta });
    if (this.stream.isTTY) {
      const bar = fraction === null ? '' : `[${'█'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '░')}] ${String(Math.round(fraction * 100)).padStart(3)}%  `;
      this.stream.write(`\r${bar}${line.join('  ')}\x1b[K`);
    } else if (this.lastLine === null || elapsed - this.lastLine >= PLAIN_EVERY) {
      this.lastLine = elapsed;
      this.stream.write(`${line.join(', ')}\n`);
    }
  }

  /** Clears the bar (a terminal); plain lines stay. */
  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}

/** The parts of a progress line: the stage, rows/s while reading, how far the players have to go, the ETA. */
export function progressLine(state: {
  epoch?: number; step: number; rate: number | null; remaining: number; values: ArrayLike<number>; label: string; eta: number | null;
}): string[] {
  const parts = [state.epoch !== undefined ? `pass ${state.epoch}, batch ${state.step}` : `round ${state.step}`];
  if (state.rate !== null) parts.push(`${humanCount(state.rate)} rows/s`);
  if (Number.isFinite(state.remaining)) parts.push(`to go ≈ ${state.remaining.toExponential(1)}`);
  else if (state.values.length > 0) parts.push(`${state.label} ${shortList(state.values)}`);
  if (state.eta !== null) parts.push(`ETA ${clock(state.eta)}`);
  return parts;
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
