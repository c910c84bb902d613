// Pictures of a PCA for `npm start`: the components as labelled images (PNG, a diverging colour map), and the SVG
// plots it shares with the web demo (examples/web/plots.js: explained variance, the 2-D projection). PNG is written
// by hand (zlib from Node, a CRC-32 table, a small bitmap font): no dependency.
import { deflateSync } from 'node:zlib';
import { formatShare } from '../examples/web/plots.js';

export { LABEL_COLOURS, projectionSvg, varianceSvg } from '../examples/web/plots.js';

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
 * A 5 × 7 pixel font for the labels of the component images: each glyph is 7 rows of bits, the leftmost column the
 * highest bit of its width (narrow glyphs for the space, the point and the middle dot).
 */
const GLYPHS = {
  0: [5, 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e], 1: [5, 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  2: [5, 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f], 3: [5, 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  4: [5, 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02], 5: [5, 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  6: [5, 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e], 7: [5, 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  8: [5, 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e], 9: [5, 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  P: [5, 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10], C: [5, 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  '%': [5, 0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03], '.': [1, 0, 0, 0, 0, 0, 0, 1],
  '·': [1, 0, 0, 0, 1, 0, 0, 0], ' ': [3, 0, 0, 0, 0, 0, 0, 0],
};

/** `text` in the glyph font, one pixel between glyphs: { width, height: 7, on(x, y) }. */
export function textBitmap(text) {
  const glyphs = Array.from(text, (character) => {
    const glyph = GLYPHS[character];
    if (!glyph) throw new RangeError(`textBitmap: no glyph for ${JSON.stringify(character)}`);
    return glyph;
  });
  const lefts = [];
  let width = 0;
  for (const [glyphWidth] of glyphs) {
    lefts.push(width);
    width += glyphWidth + 1;
  }
  width = Math.max(0, width - 1);
  const on = (x, y) => {
    const g = lefts.findLastIndex((left) => left <= x);
    const [glyphWidth, ...rows] = glyphs[g];
    const column = x - lefts[g];
    return column < glyphWidth && ((rows[y] >> (glyphWidth - 1 - column)) & 1) === 1;
  };
  return { width, height: 7, on };
}

/** The label of component i (1-based) with its share of the total variance: "PC 3 · 6.2 %". */
export function componentLabel(i, share) {
  return `PC ${i} · ${formatShare(share)}`;
}

/** Where componentsPng puts things, for a grid of k images of side × side values. */
export function componentsLayout(k, side, { columns = 4, scale = 5, textScale = 2 } = {}) {
  const labelHeight = 7 * textScale + 8;
  const cellWidth = side * scale + scale * 2;
  const cellHeight = labelHeight + side * scale + scale * 2;
  const gridRows = Math.ceil(k / columns);
  return {
    width: columns * cellWidth + scale * 2, height: gridRows * cellHeight + scale * 2, textScale,
    /** The image of component i (0-based): its top-left pixel and side in pixels. */
    image: (i) => ({ left: scale * 2 + (i % columns) * cellWidth, top: scale * 2 + Math.floor(i / columns) * cellHeight + labelHeight, side: side * scale }),
    /** The label strip above it. */
    label: (i) => ({ left: scale * 2 + (i % columns) * cellWidth, top: scale * 2 + Math.floor(i / columns) * cellHeight, width: side * scale, height: labelHeight }),
  };
}

export const BACKGROUND = 230;
const INK = [34, 34, 34];

/**
 * A grid of component images: `components` k × (side·side), each scaled to its largest magnitude (blue < 0 < red),
 * each under its label "PC i · x.x %" (`shares`: the components' shares of the total variance).
 */
export function componentsPng(components, k, side, shares, options = {}) {
  const layout = componentsLayout(k, side, options);
  const { width, height, textScale } = layout;
  const rgb = new Uint8Array(width * height * 3).fill(BACKGROUND);
  for (let i = 0; i < k; i++) {
    const values = components.subarray(i * side * side, (i + 1) * side * side);
    const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const image = layout.image(i);
    const scale = image.side / side;
    for (let y = 0; y < image.side; y++) {
      for (let x = 0; x < image.side; x++) {
        const colour = diverging(values[Math.floor(y / scale) * side + Math.floor(x / scale)] / largest);
        rgb.set(colour.map(Math.round), ((image.top + y) * width + image.left + x) * 3);
      }
    }
    const strip = layout.label(i);
    const text = textBitmap(componentLabel(i + 1, shares[i]));
    if (text.width * textScale > strip.width) throw new RangeError(`componentsPng: the label of component ${i + 1} is wider than its image`);
    const baseline = strip.top + strip.height - 4 - 7 * textScale;
    for (let y = 0; y < 7 * textScale; y++) {
      for (let x = 0; x < text.width * textScale; x++) {
        if (text.on(Math.floor(x / textScale), Math.floor(y / textScale))) rgb.set(INK, ((baseline + y) * width + strip.left + x) * 3);
      }
    }
  }
  return encodePng(width, height, rgb);
}

