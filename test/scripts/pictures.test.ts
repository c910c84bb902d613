// `npm start`'s pictures (scripts/pictures.mjs, examples/web/plots.js) from a pca of planted data whose spectrum is
// known: each component's share of the variance is spectrum[i] / Σ spectrum, computed here, never by the code. The
// SVGs are read by a strict parser and their elements checked (bars, ticks, labels, positions, drawing order); the
// PNG is decoded and its label strips compared with the expected labels, pixel by pixel.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pca } from '../../src/entries/node';
import { plantedData } from '../../scripts/planted.mjs';
import { BACKGROUND, componentsLayout, componentsPng, projectionSvg, textBitmap, varianceSvg } from '../../scripts/pictures.mjs';
import { LABEL_COLOURS, niceTicks, seededOrder } from '../../examples/web/plots.js';
import { byClass, findAll, parseSvg, textOf, type SvgElement } from '../helpers/svg';
import { readPng } from '../helpers/png';

const d = 16;
const k = 6;
const n = 1000;
const spectrum = Float64Array.from({ length: d }, (_, i) => [9, 6.5, 4.2, 3, 2.1, 1.6][i] ?? 0.9 * 0.8 ** (i - 6));
const total = spectrum.reduce((sum, value) => sum + value, 0);
const shares = Array.from(spectrum.subarray(0, k), (value) => value / total);
const planted = plantedData({ n, d, spectrum, seed: 7 });
const model = await pca(planted, { k, devices: 1 });
/** Class labels in blocks (the first n/10 rows class 0, …): drawn in row order, class 9 would cover the rest. */
const labels = Uint8Array.from({ length: n }, (_, r) => Math.floor((r * 10) / n));

/** The first number in `text`. */
const number = (text: string) => Number(/-?\d+(\.\d+)?/.exec(text)?.[0]);
const attribute = (element: SvgElement, name: string) => Number(element.attributes[name]);
/** |printed − expected| within the printing's rounding (one decimal of a percentage), with a hair for float error. */
const expectPercent = (printed: string, share: number) => expect(Math.abs(number(printed) - share * 100)).toBeLessThanOrEqual(0.05 + 1e-9);

describe('out/variance.svg: explained variance as bars, cumulative share as a line', () => {
  const svg = parseSvg(varianceSvg(model, { title: 'planted' }));

  it('has one bar per component, as tall as its variance on the left axis\'s ticks', () => {
    const bars = byClass(svg, 'bar');
    expect(bars).toHaveLength(k);
    const leftTicks = byClass(byClass(svg, 'axis-left')[0], 'tick-label');
    const tickLines = byClass(byClass(svg, 'axis-left')[0], 'tick');
    expect(leftTicks.length).toBeGreaterThanOrEqual(3);
    expect(tickLines).toHaveLength(leftTicks.length);
    const values = leftTicks.map((tick) => number(textOf(tick)));
    const positions = leftTicks.map((tick) => attribute(tick, 'y'));
    expect(values[0]).toBe(0);
    expect(values.at(-1)).toBeGreaterThanOrEqual(spectrum[0]);
    // The pixel height per unit of variance, from the first and last tick; each bar's top sits at its variance.
    const perUnit = (positions[0] - positions.at(-1)!) / (values.at(-1)! - values[0]);
    bars.forEach((bar, i) => {
      expect(attribute(bar, 'y') + attribute(bar, 'height')).toBeCloseTo(positions[0], 0);
      expect(Math.abs(attribute(bar, 'height') - spectrum[i] * perUnit)).toBeLessThan(0.2);
    });
  });

  it('labels each bar with its share of the total variance, and the line with the cumulative share', () => {
    const labelsFound = byClass(svg, 'share');
    expect(labelsFound).toHaveLength(k);
    labelsFound.forEach((label, i) => expectPercent(textOf(label), shares[i]));
    const cumulative = shares.reduce((sum, share) => sum + share, 0);
    expect(textOf(byClass(svg, 'cumulative-label')[0])).toMatch(new RegExp(` % in ${k} components$`));
    expectPercent(textOf(byClass(svg, 'cumulative-label')[0]), cumulative);
    // The line's points on the right axis (0 % at the bottom tick, 100 % at the top one).
    const rightTicks = byClass(byClass(svg, 'axis-right')[0], 'tick-label');
    expect(rightTicks.map((tick) => textOf(tick))).toEqual(['0 %', '20 %', '40 %', '60 %', '80 %', '100 %']);
    const [zero, hundred] = [attribute(rightTicks[0], 'y'), attribute(rightTicks.at(-1)!, 'y')];
    const points = byClass(svg, 'cumulative')[0].attributes.points.split(' ').map((pair) => pair.split(',').map(Number));
    expect(points).toHaveLength(k);
    let sum = 0;
    points.forEach(([, y], i) => expect(Math.abs((zero - y) / (zero - hundred) - (sum += shares[i]))).toBeLessThan(0.002));
  });

  it('numbers the components under the bars and names its axes', () => {
    const bottom = byClass(byClass(svg, 'axis-bottom')[0], 'tick-label');
    expect(bottom.map((tick) => textOf(tick))).toEqual(['1', '2', '3', '4', '5', '6']);
    const bars = byClass(svg, 'bar');
    bottom.forEach((tick, i) => expect(Math.abs(attribute(tick, 'x') - attribute(bars[i], 'x') - attribute(bars[i], 'width') / 2)).toBeLessThan(0.1));
    expect(byClass(svg, 'axis-label').map((label) => textOf(label))).toEqual([
      'explained variance (bars)', 'cumulative share of the total variance (line)', 'principal component',
    ]);
  });
});

describe('out/projection.svg: the rows on components 1 and 2', () => {
  const scores = model.transform(planted);
  const svg = parseSvg(projectionSvg(scores.data, scores.rows, k, labels, { shares: model.explainedVarianceRatio, title: 'planted' }));
  const dots = findAll(byClass(svg, 'points')[0], (element) => element.name === 'circle');

  it('gives each axis its component\'s share of the variance', () => {
    const [x, y] = byClass(svg, 'axis-label').map((label) => textOf(label));
    expect(x).toMatch(/^PC 1 · [\d.]+ % of the variance$/);
    expect(y).toMatch(/^PC 2 · [\d.]+ % of the variance$/);
    expectPercent(x.slice(5), shares[0]);
    expectPercent(y.slice(5), shares[1]);
  });

  it('has ticks on both axes that place every point at its scores', () => {
    expect(dots).toHaveLength(n);
    const order = seededOrder(n, 1);
    for (const [side, coordinate, column] of [['bottom', 'cx', 0], ['left', 'cy', 1]] as const) {
      const ticks = byClass(byClass(svg, `axis-${side}`)[0], 'tick-label');
      expect(ticks.length, side).toBeGreaterThanOrEqual(3);
      const place = side === 'bottom' ? 'x' : 'y';
      const [a, b] = [ticks[0], ticks.at(-1)!];
      const [va, vb] = [number(textOf(a)), number(textOf(b))];
      const scale = (attribute(b, place) - attribute(a, place)) / (vb - va);
      let lowest = Infinity, highest = -Infinity;
      dots.forEach((dot, i) => {
        const score = scores.data[order[i] * k + column];
        [lowest, highest] = [Math.min(lowest, score), Math.max(highest, score)];
        expect(Math.abs(attribute(a, place) + (score - va) * scale - attribute(dot, coordinate))).toBeLessThan(0.1);
      });
      expect(va).toBeLessThanOrEqual(lowest);
      expect(vb).toBeGreaterThanOrEqual(highest);
    }
  });

  it('draws the classes interleaved, so that no class covers another', () => {
    const drawn = dots.map((dot) => LABEL_COLOURS.indexOf(dot.attributes.fill));
    expect(drawn.every((label) => label >= 0)).toBe(true);
    for (let label = 0; label < 10; label++) {
      const places = drawn.flatMap((l, i) => (l === label ? [i / n] : []));
      expect(places).toHaveLength(n / 10);
      // Drawn class by class, a class's mean place in the drawing would be (label + 0.5) / 10; interleaved, about ½.
      expect(Math.abs(places.reduce((s, p) => s + p, 0) / places.length - 0.5), `class ${label}`).toBeLessThan(0.1);
    }
    expect(new Set(drawn.slice(-n / 20)).size).toBe(10);
  });
});

describe('out/components.png: the components as images with their labels', () => {
  const side = 4;
  const png = readPng(componentsPng(model.components, k, side, model.explainedVarianceRatio, { columns: 3, scale: 40 }));
  const layout = componentsLayout(k, side, { columns: 3, scale: 40 });

  it('prints "PC i · x.x %" over each image, with the share of its component', () => {
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    for (let i = 0; i < k; i++) {
      const expected = textBitmap(`PC ${i + 1} · ${(shares[i] * 100).toFixed(1)} %`);
      const strip = layout.label(i);
      let ink = 0;
      for (let y = 0; y < strip.height; y++) {
        for (let x = 0; x < strip.width; x++) {
          const [r, g, b] = png.rgb(strip.left + x, strip.top + y);
          const dark = r < 100 && g < 100 && b < 100;
          if (!dark) expect([r, g, b], `label ${i + 1} at (${x}, ${y})`).toEqual([BACKGROUND, BACKGROUND, BACKGROUND]);
          ink += dark ? 1 : 0;
          // The glyphs sit on the strip's bottom less 4 pixels, twice their size.
          const gy = Math.floor((y - (strip.height - 4 - 14)) / 2);
          const gx = Math.floor(x / 2);
          const on = gy >= 0 && gy < 7 && gx < expected.width && expected.on(gx, gy);
          if (on !== dark) throw new Error(`label ${i + 1}: pixel (${x}, ${y}) is ${dark ? 'ink' : 'background'}, "PC ${i + 1} · ${(shares[i] * 100).toFixed(1)} %" has it ${on ? 'inked' : 'blank'}`);
        }
      }
      expect(ink, `label ${i + 1}`).toBeGreaterThan(100);
    }
  });

  it('draws each component\'s values with the sign colours, scaled to its largest', () => {
    for (let i = 0; i < k; i++) {
      const image = layout.image(i);
      const values = model.components.subarray(i * side * side, (i + 1) * side * side);
      const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let p = 0; p < side * side; p++) {
        const [r, , b] = png.rgb(image.left + (p % side) * 40 + 20, image.top + Math.floor(p / side) * 40 + 20);
        if (Math.abs(values[p]) === largest) expect(values[p] > 0 ? [r, b] : [b, r]).toEqual([255, 0]);
        else if (values[p] > 0.05 * largest) expect(r).toBeGreaterThan(b);
        else if (values[p] < -0.05 * largest) expect(b).toBeGreaterThan(r);
      }
    }
  });

  it('refuses a label wider than its image, and a character it has no glyph for', () => {
    expect(() => componentsPng(model.components, k, side, model.explainedVarianceRatio, { scale: 4 })).toThrow(/the label of component 1 is wider than its image/);
    expect(() => textBitmap('PC x')).toThrow(/no glyph for "x"/);
  });
});

describe('niceTicks', () => {
  it.each([
    [0, 5.37, 5, [0, 1, 2, 3, 4, 5, 6]],
    [-3.6, 9.1, 6, [-4, -2, 0, 2, 4, 6, 8, 10]],
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0.0012, 0.0049, 4, [0.001, 0.002, 0.003, 0.004, 0.005]],
  ])('covers [%d, %d] with about %d round ticks', (low, high, count, expected) => {
    expect(niceTicks(low, high, count).values).toEqual(expected);
  });
});

it('npm start writes the three pictures', () => {
  const demo = readFileSync(new URL('../../scripts/mnist-demo.mjs', import.meta.url), 'utf8');
  for (const picture of ['variance.svg', 'components.png', 'projection.svg']) expect(demo).toContain(`'${picture}'`);
});
