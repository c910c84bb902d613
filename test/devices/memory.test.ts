// The sparse routes' panels of lanes (src/devices/memory.ts lanePanels): every lane in exactly one panel, panels of
// at most 32 lanes (one pass of assembly/sparsetimes.ts), as few and as even as can be.
import { describe, expect, it } from 'vitest';
import { lanePanels, panelAt, playersOf } from '../../src/devices/memory';

describe('lanePanels', () => {
  it('cuts 76 lanes into 28, 24 and 24', () => {
    expect(lanePanels(76)).toEqual([{ first: 0, lanes: 28 }, { first: 28, lanes: 24 }, { first: 52, lanes: 24 }]);
  });

  it.each(Array.from({ length: 64 }, (_, i) => 4 * (i + 1)))('covers %i lanes once, in the fewest panels of at most 32, even to 4 lanes', (width) => {
    const panels = lanePanels(width);
    let next = 0;
    for (const { first, lanes } of panels) {
      expect(first).toBe(next);
      expect(lanes % 4).toBe(0);
      expect(lanes).toBeGreaterThan(0);
      expect(lanes).toBeLessThanOrEqual(32);
      next += lanes;
    }
    expect(next).toBe(width);
    expect(panels).toHaveLength(Math.ceil(width / 32));
    const sizes = panels.map((panel) => panel.lanes);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(4);
  });

  it('places a panel after the lanes before it in every row, and counts the last panel\'s players without padding', () => {
    const [, second, last] = lanePanels(76);
    expect(panelAt(1000, 10, second)).toBe(1000 + 28 * 10 * 4);
    expect(playersOf(last, 75)).toBe(23);
    expect(playersOf(second, 75)).toBe(24);
  });
});
