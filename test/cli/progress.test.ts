// The CLI's progress report, driven with a stand-in stream and clock: rows/s only while rows are read (never during
// rounds that read none), the bar and its percentage on a terminal, a plain line at most every two seconds otherwise.

import { describe, expect, it } from 'vitest';
import { ProgressReport, progressLine, type ProgressUpdate } from '../../src/cli/progress';

function recorder(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

const reading = (step: number, rowsRead: number, epoch = 1): ProgressUpdate => ({ step, epoch, rowsRead, remaining: Infinity, values: [] });
const round = (step: number, remaining: number): ProgressUpdate => ({ step, remaining, values: [3.5, 2.25, 1] });

describe('the progress report', () => {
  it('shows rows/s while rows are read and drops it during rounds that read no rows (a terminal)', () => {
    const { stream, written } = recorder(true);
    let now = 0;
    const report = new ProgressReport(stream, 1000, 'variances', () => now);
    now = 1;
    report.update(reading(1, 500));
    now = 2;
    report.update(reading(2, 1000));
    now = 3;
    report.update(round(1, Infinity));
    now = 5;
    report.update(round(2, 3e-4));
    report.done();
    expect(written).toEqual([
      `\r[${'█'.repeat(12)}${'░'.repeat(12)}]  50%  pass 1, batch 1  500 rows/s  ETA 0:01\x1b[K`,
      `\r[${'█'.repeat(24)}] 100%  pass 1, batch 2  500 rows/s  ETA 0:00\x1b[K`,
      '\rround 1  variances 3.50 2.25 1.00\x1b[K',
      '\rround 2  to go ≈ 3.0e-4\x1b[K',
      '\r\x1b[K',
    ]);
  });

  it('measures rows/s over the reading only: a pass after rounds (the data route) starts its own count', () => {
    const { stream, written } = recorder(true);
    let now = 0;
    const report = new ProgressReport(stream, null, 'variances', () => now);
    now = 2;
    report.update(reading(1, 4000));
    now = 10;
    report.update(round(1, 0.1));
    now = 11;
    report.update(reading(1, 6000, 2));
    expect(written[0]).toBe('\rpass 1, batch 1  2.0k rows/s\x1b[K');
    expect(written[1]).toBe('\rround 1  to go ≈ 1.0e-1\x1b[K');
    // 2000 rows in the second since the last update, not 6000 rows in 11 s.
    expect(written[2]).toBe('\rpass 2, batch 1  2.0k rows/s\x1b[K');
  });

  it('writes a plain line at the first update and then at most every two seconds when not a terminal, with no bar', () => {
    const { stream, written } = recorder(false);
    let now = 0;
    const report = new ProgressReport(stream, 3000, 'correlations', () => now);
    for (const [time, update] of [[0.5, reading(1, 1000)], [1, reading(2, 2000)], [2.6, reading(3, 3000)], [3, round(1, Infinity)], [5, round(2, 0.5)]] as const) {
      now = time;
      report.update(update);
    }
    report.done();
    expect(written).toEqual([
      'pass 1, batch 1, 2.0k rows/s, ETA 0:01\n',
      'pass 1, batch 3, 1.2k rows/s, ETA 0:00\n',
      'round 2, to go ≈ 5.0e-1\n',
    ]);
  });

  it('formats the parts of a line', () => {
    expect(progressLine({ epoch: 3, step: 7, rate: 2_500_000, remaining: Infinity, values: [], label: 'x', eta: 75 })).toEqual(['pass 3, batch 7', '2.5M rows/s', 'ETA 1:15']);
    expect(progressLine({ step: 9, rate: null, remaining: Infinity, values: [1, 2, 3, 4, 5], label: 'eigenvalues', eta: null })).toEqual(['round 9', 'eigenvalues 1.00 2.00 3.00 4.00 …']);
  });
});
