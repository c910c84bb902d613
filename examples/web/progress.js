// The web demo's view of a fit's progress events: the status line, and the convergence chart (each player's value per
// report). Written against the documented fields only: pca's PCAProgress (`utilities`, in variance units; `epoch`,
// `rowsRead` on sources) and cca/pls/lda's GeneralizedProgress (`stage`, `values`); an event whose values are empty
// (a pass that reads rows) moves the status line but draws nothing.

import { niceTicks } from './plots.js';

/** The per-player values an event carries (pca: utilities; cca, pls, lda: values); empty while rows are read. */
export function progressValues(progress) {
  return progress.utilities ?? progress.values ?? [];
}

const count = (value) => Math.round(value).toLocaleString('en-US');

/** The status line for a progress event of the fit of `name`. */
export function describeProgress(name, progress) {
  const { step, maxSteps, remaining, epoch, rowsRead, stage } = progress;
  if (progressValues(progress).length === 0 || stage === 'pass') {
    return `reading ${name}: ${rowsRead === undefined ? `batch ${count(step)}` : `${count(rowsRead)} rows`} read${epoch > 1 ? ` (pass ${epoch})` : ''}`;
  }
  const parts = [];
  if (epoch !== undefined) parts.push(`pass ${count(epoch)}`);
  parts.push(`round ${count(step)} of at most ${count(maxSteps)}${stage === 'float64' ? ' (finishing in float64)' : ''}`);
  parts.push(Number.isFinite(remaining) ? `subspace distance still to go ≤ ${remaining.toExponential(1)}` : 'distance still to go not estimated yet');
  return `fitting ${name}: ${parts.join(', ')}`;
}

/** Series colour i of k: hues around the wheel, as #rrggbb (the tests look for these pixels). */
export function seriesColour(i, k) {
  const hue = (i * 360) / Math.max(1, k);
  const [s, l] = [0.65, 0.45];
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => {
    const h = (n + hue / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(h - 3, 9 - h, 1))));
  };
  return `#${[0, 8, 4].map((n) => channel(n).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The convergence chart on a canvas: one line per player (its value against the round), axes with ticks, the y axis
 * labelled `yLabel`. The plot's rectangle and the series colours are on the canvas's dataset (`plot`, `series`).
 */
export class ConvergenceChart {
  constructor(canvas, { yLabel = 'variance' } = {}) {
    this.canvas = canvas;
    this.yLabel = yLabel;
    this.reset(0);
  }

  /** Clears the chart for a fit of `k` players (more appear if an event carries more values). */
  reset(k) {
    this.k = k;
    this.steps = [];
    this.values = [];
    this.draw();
  }

  /** Adds a progress event; one without values (reading rows) is ignored. Returns whether it drew. */
  add(progress) {
    const values = progressValues(progress);
    if (values.length === 0) return false;
    this.k = Math.max(this.k, values.length);
    this.steps.push(progress.step);
    this.values.push(Array.from(values));
    this.draw();
    return true;
  }

  draw() {
    const { canvas, steps, values, k } = this;
    const context = canvas.getContext('2d');
    const { width, height } = canvas;
    const plot = { left: 64, top: 12, width: width - 64 - 16, height: height - 12 - 48 };
    const colours = Array.from({ length: k }, (_, i) => seriesColour(i, k));
    canvas.dataset.plot = JSON.stringify(plot);
    canvas.dataset.series = JSON.stringify(colours);
    context.clearRect(0, 0, width, height);
    context.fillStyle = 'white';
    context.fillRect(0, 0, width, height);
    const finite = values.flat().filter(Number.isFinite);
    // Ranges padded by 4 %, so that no line or mark lies on the frame.
    const yTicks = niceTicks(Math.min(0, ...finite), Math.max(1e-12, ...finite) * 1.04, 5);
    const xTicks = niceTicks(0, Math.max(1, ...steps) * 1.04, 6);
    const [y0, y1] = [yTicks.values[0], yTicks.values.at(-1)];
    const [x0, x1] = [xTicks.values[0], xTicks.values.at(-1)];
    const x = (step) => plot.left + ((step - x0) / (x1 - x0)) * plot.width;
    const y = (value) => plot.top + plot.height - ((value - y0) / (y1 - y0)) * plot.height;

    context.font = '12px sans-serif';
    context.lineWidth = 1;
    context.strokeStyle = '#e6e6e6';
    context.fillStyle = '#333';
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const value of yTicks.values) {
      context.beginPath();
      context.moveTo(plot.left, Math.round(y(value)) + 0.5);
      context.lineTo(plot.left + plot.width, Math.round(y(value)) + 0.5);
      context.stroke();
      context.fillText(value.toFixed(yTicks.decimals), plot.left - 8, y(value));
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    context.strokeStyle = '#333';
    for (const step of xTicks.values) {
      context.beginPath();
      context.moveTo(Math.round(x(step)) + 0.5, plot.top + plot.height);
      context.lineTo(Math.round(x(step)) + 0.5, plot.top + plot.height + 5);
      context.stroke();
      context.fillText(String(step), x(step), plot.top + plot.height + 8);
    }
    context.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.width, plot.height);
    context.fillText('round', plot.left + plot.width / 2, height - 18);
    context.save();
    context.translate(16, plot.top + plot.height / 2);
    context.rotate(-Math.PI / 2);
    context.fillText(this.yLabel, 0, -6);
    context.restore();

    context.lineWidth = 2;
    context.lineJoin = 'round';
    const series = Array.from({ length: k }, (_, player) =>
      values.flatMap((row, i) => (Number.isFinite(row[player]) ? [[x(steps[i]), y(row[player])]] : [])));
    series.forEach((points, player) => {
      context.strokeStyle = colours[player];
      context.beginPath();
      points.forEach(([px, py], i) => (i === 0 ? context.moveTo(px, py) : context.lineTo(px, py)));
      context.stroke();
    });
    // A 5 × 5 mark at each report, over all the lines, so that a fit that reports once still shows every player.
    series.forEach((points, player) => {
      context.fillStyle = colours[player];
      for (const [px, py] of points) context.fillRect(Math.round(px) - 2, Math.round(py) - 2, 5, 5);
    });
  }
}
