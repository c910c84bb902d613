// Pictures of a PCA for the demo: components as images (PNG, a diverging colour map) and a 2-D projection as an
// SVG scatter coloured by label. PNG is written by hand (zlib from Node, a CRC-32 table): no dependency.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG file of an RGB image (width × height × 3 bytes, row-major). */
export function encodePng(width, height, rgb) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // no filter
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (1 + width * 3) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Blue (negative) – white (0) – red (positive), for t in [−1, 1]. */
function diverging(t) {
  const s = Math.max(-1, Math.min(1, t));
  return s < 0 ? [255 * (1 + s), 255 * (1 + s * 0.6), 255] : [255, 255 * (1 - s * 0.6), 255 * (1 - s)];
}

/**
 * A grid of component images: `components` k × (side·side), each scaled to its largest magnitude, drawn `scale`
 * pixels per value, `columns` per row of the grid, with a 1-pixel-per-scale gap.
 */
export function componentsPng(components, k, side, { columns = 4, scale = 4 } = {}) {
  const rows = Math.ceil(k / columns);
  const cell = side * scale + scale;
  const width = columns * cell + scale;
  const height = rows * cell + scale;
  const rgb = new Uint8Array(width * height * 3).fill(230);
  for (let i = 0; i < k; i++) {
    const values = components.subarray(i * side * side, (i + 1) * side * side);
    const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const left = scale + (i % columns) * cell;
    const top = scale + Math.floor(i / columns) * cell;
    for (let y = 0; y < side * scale; y++) {
      for (let x = 0; x < side * scale; x++) {
        const colour = diverging(values[Math.floor(y / scale) * side + Math.floor(x / scale)] / largest);
        rgb.set(colour.map(Math.round), ((top + y) * width + left + x) * 3);
      }
    }
  }
  return encodePng(width, height, rgb);
}

/** Ten distinguishable colours (Tableau 10). */
export const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** An SVG scatter of 2-D points (`scores` n × k, columns 0 and 1) coloured by `labels`, with a legend. */
export function projectionSvg(scores, n, k, labels, { size = 640, title = '' } = {}) {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let r = 0; r < n; r++) {
    minX = Math.min(minX, scores[r * k]); maxX = Math.max(maxX, scores[r * k]);
    minY = Math.min(minY, scores[r * k + 1]); maxY = Math.max(maxY, scores[r * k + 1]);
  }
  const margin = 40;
  const plot = size - 2 * margin;
  const sx = (x) => margin + ((x - minX) / (maxX - minX)) * plot;
  const sy = (y) => size - margin - ((y - minY) / (maxY - minY)) * plot;
  const dots = [];
  for (let r = 0; r < n; r++) {
    dots.push(`<circle cx="${sx(scores[r * k]).toFixed(1)}" cy="${sy(scores[r * k + 1]).toFixed(1)}" r="1.6" fill="${LABEL_COLOURS[labels[r]]}"/>`);
  }
  const legend = LABEL_COLOURS.map((colour, digit) =>
    `<circle cx="${size + 20}" cy="${margin + digit * 22}" r="6" fill="${colour}"/><text x="${size + 32}" y="${margin + digit * 22 + 5}" font-size="14">${digit}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 70}" height="${size}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${margin}" y="24" font-size="16">${title}</text>
<g fill-opacity="0.6">${dots.join('')}</g>
<text x="${size / 2}" y="${size - 10}" font-size="13" text-anchor="middle">component 1</text>
<text x="14" y="${size / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 14 ${size / 2})">component 2</text>
${legend.join('\n')}
</svg>
`;
}
