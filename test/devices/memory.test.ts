// The sparse routes' memory: panels of lanes (src/devices/memory.ts lanePanels: every lane in exactly one panel,
// panels of at most 32 lanes, as few and as even as can be) and the buffers that share bytes.
import { describe, expect, it } from 'vitest';
import { BACK_COLUMNS, lanePanels, panelAt, planMemory, playersOf } from '../../src/devices/memory';

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

describe('the sparse routes\' plan', () => {
  const gramPlan = (rows: number, cols: number) =>
    planMemory({ d: rows, k: 75, optimizerSlots: 0, rowCapacity: 0, devices: 2, play: true, sparse: { rows, cols, entries: 1000, route: 'gram' } }, 1024).sparse!;

  it('keeps Gᵀ in Vᵀ\'s bytes (the second product writes it after the first has read Vᵀ)', () => {
    const data = planMemory({ d: 500, k: 75, optimizerSlots: 0, rowCapacity: 0, devices: 2, play: true, sparse: { rows: 300, cols: 500, entries: 1000, route: 'data' } }, 1024).sparse!;
    expect(data.gt).toBe(data.vt);
    expect(data.vectors64).toBe(0);
    expect(gramPlan(300, 500).gt).toBe(gramPlan(300, 500).vt);
  });

  it('puts the components\' float64 product in Vᵀ and Q\'s bytes where they have room, else in bytes of its own', () => {
    const wide = gramPlan(2000, 2000 + 2 * BACK_COLUMNS);
    const backBytes = (2000 + BACK_COLUMNS) * wide.width * 8;
    expect(wide.vectors64).toBe(wide.vt);
    expect(wide.columns64).toBe(wide.vt + 2000 * wide.width * 8);
    expect(wide.vt + backBytes).toBeLessThanOrEqual(wide.pt + wide.cols * wide.width * 4);
    // The block takes the rest of those bytes: at least BACK_COLUMNS columns, ending where Q ends.
    expect(wide.columns64 + wide.columns64Bytes).toBe(wide.pt + wide.cols * wide.width * 4);
    expect(wide.columns64Bytes).toBeGreaterThanOrEqual(BACK_COLUMNS * wide.width * 8);
    const wider = gramPlan(2000, 60000);
    expect(wider.columns64Bytes / (wider.width * 8)).toBeGreaterThan(4 * BACK_COLUMNS);
    const narrow = gramPlan(2000, 2000 + 2 * BACK_COLUMNS - 4);
    const lastProduct = narrow.pt + narrow.cols * narrow.width * 4;
    expect(narrow.vectors64).toBeGreaterThanOrEqual(lastProduct);
    expect(narrow.columns64).toBeGreaterThanOrEqual(narrow.vectors64 + 2000 * narrow.width * 8);
    expect(narrow.columns64Bytes).toBe(BACK_COLUMNS * narrow.width * 8);
    expect(narrow.centring).toBeLessThan(narrow.vectors64);
  });
});
