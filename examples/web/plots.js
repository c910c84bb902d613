// Plots of a PCA as SVG text, shared by `npm start` (scripts/pictures.mjs writes them to out/) and the web demo (which
// puts them in the page): the explained variance per component with its cumulative share, and the rows on the first
// two components. Plain functions of numbers, no DOM and no Node: they run in both.

/** Ten distinguishable colours (Tableau 10), one per class label. */
export const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const BAR_COLOUR = '#4e79a7';
export const CUMULATIVE_COLOUR = '#e15759';

/** A share of the total variance as the pictures print it: 0.0973 → "9.7 %". */
export function formatShare(share) {
  return `${(share * 100).toFixed(1)} %`;
}

/**
 * Round tick values from the largest multiple of their spacing at or below `low` to the smallest at or above `high`:
 * about `count` of them, spaced 1, 2 or 5 × a power of ten; `decimals` is how many digits the spacing needs.
 */
export function niceTicks(low, high, count = 5) {
  if (!(high > low)) high = low + (Math.abs(low) || 1);
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const [spacing] = [1, 2, 5, 10].map((m) => m * power).sort((a, b) => Math.abs(Math.log(a / rough)) - Math.abs(Math.log(b / rough)));
  const decimals = Math.max(0, -Math.floor(Math.log10(spacing) + 1e-9));
  const values = [];
  const last = Math.ceil(high / spacing - 1e-9);
  for (let i = Math.floor(low / spacing + 1e-9); i <= last; i++) values.push(Number((i * spacing).toFixed(decimals)));
  return { values, spacing, decimals };
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const px = (value) => value.toFixed(1);

/** An axis line with ticks and their labels; `place(value)` is the pixel position along the axis. */
function axis({ side, ticks, place, at, label, labelAt, format = (v) => v.toFixed(ticks.decimals) }) {
  const parts = [];
  for (const value of ticks.values) {
    const p = px(place(value));
    if (side === 'bottom') {
      parts.push(`<line class="tick" stroke="#333" x1="${p}" x2="${p}" y1="${px(at)}" y2="${px(at + 5)}"/>`,
        `<text class="tick-label" x="${p}" y="${px(at + 18)}" text-anchor="middle">${escape(format(value))}</text>`);
    } else {
      const outward = side === 'left' ? -1 : 1;
      parts.push(`<line class="tick" stroke="#333" x1="${px(at)}" x2="${px(at + 5 * outward)}" y1="${p}" y2="${p}"/>`,
        `<text class="tick-label" x="${px(at + 8 * outward)}" y="${p}" dy="0.35em" text-anchor="${outward < 0 ? 'end' : 'start'}">${escape(format(value))}</text>`);
    }
  }
  const [x, y] = labelAt;
  const rotate = side === 'bottom' ? '' : ` transform="rotate(${side === 'left' ? -90 : 90} ${px(x)} ${px(y)})"`;
  parts.push(`<text class="axis-label" x="${px(x)}" y="${px(y)}" text-anchor="middle"${rotate}>${escape(label)}</text>`);
  return `<g class="axis axis-${side}" fill="#333">${parts.join('')}</g>`;
}

/**
 * The explained variance of each component as bars (left axis, the data's variance units), each labelled with its
 * share of the total variance, and the cumulative share as a line (right axis, percent). `model` has
 * `explainedVariance` and `explainedVarianceRatio` (a PCAModel, or the same fields).
 */
export function varianceSvg(model, { width = 640, height = 380, title = 'Explained variance' } = {}) {
  const variances = Array.from(model.explainedVariance);
  const shares = Array.from(model.explainedVarianceRatio);
  const k = variances.length;
  const margin = { left: 72, right: 72, top: 44, bottom: 56 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const bottom = margin.top + plotHeight;
  const ticks = niceTicks(0, Math.max(...variances, 0));
  const top = ticks.values.at(-1);
  const y = (variance) => bottom - (variance / top) * plotHeight;
  const yShare = (share) => bottom - share * plotHeight;
  const slot = plotWidth / k;
  const centre = (i) => margin.left + (i + 0.5) * slot;
  const barWidth = Math.max(1, slot * 0.7);
  const shareFont = Math.min(11, Math.max(6, slot / 3.6));

  const bars = variances.map((variance, i) =>
    `<rect class="bar" data-component="${i + 1}" x="${px(centre(i) - barWidth / 2)}" y="${px(y(variance))}" width="${px(barWidth)}" height="${px(bottom - y(variance))}" fill="${BAR_COLOUR}">`
    + `<title>PC ${i + 1}: variance ${variance.toPrecision(4)}, ${formatShare(shares[i])} of the total</title></rect>`);
  const shareLabels = shares.map((share, i) =>
    `<text class="share" data-component="${i + 1}" x="${px(centre(i))}" y="${px(y(variances[i]) - 4)}" text-anchor="middle" font-size="${px(shareFont)}">${escape(formatShare(share).replace(' ', ''))}</text>`);
  let cumulative = 0;
  const points = shares.map((share, i) => [centre(i), yShare((cumulative += share))]);
  const line = `<polyline class="cumulative" points="${points.map(([a, b]) => `${px(a)},${px(b)}`).join(' ')}" fill="none" stroke="${CUMULATIVE_COLOUR}" stroke-width="2"/>`
    + points.map(([a, b]) => `<circle class="cumulative-point" cx="${px(a)}" cy="${px(b)}" r="3" fill="${CUMULATIVE_COLOUR}"/>`).join('');
  const [lastX, lastY] = points.at(-1);
  const total = `<text class="cumulative-label" x="${px(lastX)}" y="${px(lastY - 10)}" text-anchor="end" fill="${CUMULATIVE_COLOUR}">${escape(`${formatShare(cumulative)} in ${k} component${k === 1 ? '' : 's'}`)}</text>`;
  const componentTicks = { values: Array.from({ length: k }, (_, i) => i + 1).filter((c) => k <= 20 || c === 1 || c % Math.ceil(k / 10) === 0), decimals: 0 };

  return `<svg xmlns="http://www.w3.org/2000/svg" class="variance-plot" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text class="title" x="${margin.left}" y="24" font-size="15">${escape(title)}</text>
<g class="grid" stroke="#e6e6e6">${ticks.values.map((v) => `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${px(y(v))}" y2="${px(y(v))}"/>`).join('')}</g>
<g class="bars">${bars.join('')}</g>
<g class="shares" fill="#1d3f63">${shareLabels.join('')}</g>
${line}
${total}
<line class="frame" x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#333"/>
${axis({ side: 'left', ticks, place: y, at: margin.left, label: 'explained variance (bars)', labelAt: [18, margin.top + plotHeight / 2] })}
${axis({ side: 'right', ticks: niceTicks(0, 1), place: yShare, at: margin.left + plotWidth, label: 'cumulative share of the total variance (line)', labelAt: [width - 16, margin.top + plotHeight / 2], format: (v) => `${Math.round(v * 100)} %` })}
${axis({ side: 'bottom', ticks: componentTicks, place: (c) => centre(c - 1), at: bottom, label: 'principal component', labelAt: [margin.left + plotWidth / 2, height - 12] })}
</svg>
`;
}

/** The indices 0 … n−1 in an order drawn from `seed` (Fisher–Yates on a mulberry32 generator): the same seed, the same order. */
export function seededOrder(n, seed = 1) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The rows on the first two components (`scores` n × k, row-major) as an SVG scatter coloured by `labels` (or one
 * colour without), with ticks, axes that give each component's share of the variance (`shares`), and a legend. The
 * points are drawn in a seeded random order, so no class is drawn over all the others.
 * @param {ArrayLike<number>} scores
 * @param {number} n
 * @param {number} k
 * @param {ArrayLike<number> | null} labels
 * @param {{ shares?: ArrayLike<number>, size?: number, title?: string, seed?: number }} [options]
 */
export function projectionSvg(scores, n, k, labels, { shares, size = 640, title = '', seed = 1 } = {}) {
  if (k < 2) throw new RangeError(`projectionSvg: the scatter needs two components, the scores have k = ${k}`);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let r = 0; r < n; r++) {
    minX = Math.min(minX, scores[r * k]); maxX = Math.max(maxX, scores[r * k]);
    minY = Math.min(minY, scores[r * k + 1]); maxY = Math.max(maxY, scores[r * k + 1]);
  }
  const margin = { left: 64, right: 16, top: 40, bottom: 56 };
  const plot = size - margin.left - margin.right;
  const xTicks = niceTicks(minX, maxX, 6);
  const yTicks = niceTicks(minY, maxY, 6);
  const [x0, x1] = [Math.min(minX, xTicks.values[0]), Math.max(maxX, xTicks.values.at(-1))];
  const [y0, y1] = [Math.min(minY, yTicks.values[0]), Math.max(maxY, yTicks.values.at(-1))];
  const sx = (x) => margin.left + ((x - x0) / (x1 - x0 || 1)) * plot;
  const sy = (y) => margin.top + plot - ((y - y0) / (y1 - y0 || 1)) * plot;
  const height = margin.top + plot + margin.bottom;
  const dots = seededOrder(n, seed).map((r) =>
    `<circle cx="${px(sx(scores[r * k]))}" cy="${px(sy(scores[r * k + 1]))}" r="1.6" fill="${labels ? LABEL_COLOURS[labels[r] % 10] : BAR_COLOUR}"/>`);
  const classes = labels ? [...new Set(Array.from(labels))].sort((a, b) => a - b) : [];
  const legend = classes.map((label, i) =>
    `<circle cx="${size + 20}" cy="${margin.top + i * 22}" r="6" fill="${LABEL_COLOURS[label % 10]}"/><text x="${size + 32}" y="${margin.top + i * 22 + 5}" font-size="14">${escape(label)}</text>`);
  const axisLabel = (c) => `PC ${c}${shares ? ` · ${formatShare(shares[c - 1])} of the variance` : ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="projection-plot" width="${size + (labels ? 70 : 0)}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text class="title" x="${margin.left}" y="24" font-size="16">${escape(title)}</text>
<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plot}" height="${plot}" fill="none" stroke="#333"/>
<g class="points" fill-opacity="0.6">${dots.join('')}</g>
${axis({ side: 'bottom', ticks: xTicks, place: sx, at: margin.top + plot, label: axisLabel(1), labelAt: [margin.left + plot / 2, height - 12] })}
${axis({ side: 'left', ticks: yTicks, place: sy, at: margin.left, label: axisLabel(2), labelAt: [16, margin.top + plot / 2] })}
${legend.join('\n')}
</svg>
`;
}
