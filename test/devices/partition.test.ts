// How work is divided (rows into chunks, devices into slices and shards) and where buffers live: every row,
// player, chunk and element is covered exactly once, and no two buffers overlap.

import { describe, expect, it } from 'vitest';
import { planMemory } from '../../src/devices/memory';
import { WorkQueues } from '../../src/devices/collectives';
import { Chunking, ROW_BLOCK, checkTopology, deviceRole, maxChunks, pageShare, partByWork, LINE_WORK, type Range } from '../../src/devices/partition';

/** Checks that the ranges tile [0, total) in order. */
function expectTiling(ranges: Range[], total: number, what: string) {
  let next = 0;
  for (const { start, end } of ranges) {
    if (start !== next || end < start) expect.fail(`${what}: [${start}, ${end}) after ${next}`);
    next = end;
  }
  expect(next, what).toBe(total);
}

describe('chunks of a batch', () => {
  it.each([1, 31, 32, 50, 97, 1000, 10000, 123457])('%i rows: whole blocks, in order, sizes within one block', (count) => {
    const chunking = new Chunking(count, 24);
    const rows = Array.from({ length: chunking.chunks }, (_, c) => chunking.rows(c));
    expectTiling(rows, count, `${count} rows`);
    expect(chunking.chunks).toBe(Math.min(24, Math.ceil(count / ROW_BLOCK)));
    rows.slice(0, -1).forEach(({ start, end }) => expect((end - start) % ROW_BLOCK).toBe(0));
    const sizes = rows.map(({ start, end }) => end - start);
    expect(Math.max(...sizes.slice(0, -1), 0) - Math.min(...sizes.slice(0, -1), Infinity)).toBeLessThanOrEqual(ROW_BLOCK);
  });

  it('the golden two-shard batch of 50 rows makes two chunks, 32 + 18 rows: one per data shard', () => {
    const chunking = new Chunking(50, 24);
    expect([chunking.rows(0), chunking.rows(1)]).toEqual([{ start: 0, end: 32 }, { start: 32, end: 50 }]);
  });

  it('keeps the chunk partials within budget', () => {
    expect(maxChunks(16, 784)).toBe(24);
    expect(maxChunks(512, 8192)).toBe(4);
  });
});

describe('device roles', () => {
  const layouts = [
    { devices: 1, k: 7, kPerDevice: 7 }, { devices: 2, k: 7, kPerDevice: 7 }, { devices: 4, k: 6, kPerDevice: 3 },
    { devices: 3, k: 6, kPerDevice: 2 }, { devices: 4, k: 2, kPerDevice: 1 }, { devices: 8, k: 4, kPerDevice: 2 },
  ];

  it.each(layouts)('$devices devices, k = $k, kPerDevice = $kPerDevice: everything is covered once', (topology) => {
    const { devices, k } = topology;
    const d = 13;
    const roles = Array.from({ length: devices }, (_, w) => deviceRole(topology, w));
    expectTiling(roles.map((role) => role.updates), k, 'updated players');
    expectTiling(roles.map((role) => role.reduced(k, d)), k * d, 'reduced elements');
    const slices = k / topology.kPerDevice;
    const shards = devices / slices;
    roles.forEach((role, w) => {
      const slice = Math.floor(w / shards);
      expect(role).toMatchObject({ slice, shards, players: { start: slice * topology.kPerDevice, end: (slice + 1) * topology.kPerDevice } });
    });
  });

  it('work queues hand out every item of every step exactly once, to any number of takers', async () => {
    const counters = new Int32Array(2);
    const takers = 3;
    const queues = Array.from({ length: takers }, () => new WorkQueues(counters, true));
    for (const items of [5, 1, 0, 24, 7]) {
      const taken: number[] = [];
      // Takers interleave their claims; each stops at its first -1, as the devices do.
      const active = new Set(queues.keys());
      while (active.size > 0) {
        for (const t of [...active]) {
          const item = queues[t].take(1, items, takers);
          if (item < 0) active.delete(t);
          else taken.push(item);
        }
      }
      expect(taken.sort((a, b) => a - b)).toEqual(Array.from({ length: items }, (_, i) => i));
    }
    expect(counters[0]).toBe(0);
  });

  it('rejects layouts that do not fit', () => {
    expect(() => checkTopology({ devices: 2, k: 6, kPerDevice: 4 })).toThrow(/divides k = 6/);
    expect(() => checkTopology({ devices: 4, k: 6, kPerDevice: 2 })).toThrow(/multiple of 3/);
  });
});

describe('memory plan', () => {
  it.each([
    { d: 5, k: 5, devices: 1 }, { d: 10, k: 10, devices: 1 }, { d: 784, k: 16, devices: 2 }, { d: 3, k: 2, devices: 4 },
    { d: 100, k: 64, devices: 3 },
  ])('d = $d, k = $k on $devices devices: buffers do not overlap and hold what they must', ({ d, k, devices }) => {
    const rowCapacity = 77;
    const plan = planMemory({ d, k, optimizerSlots: 2, rowCapacity, devices }, 1000);
    const regions: [string, number, number][] = [
      ['control', plan.control, 64], ['v', plan.v, k * d * 4], ['g', plan.g, k * d * 4],
      ...plan.optimizer.map((at, slot): [string, number, number] => [`optimizer ${slot}`, at, k * d * 4]),
      ...Array.from({ length: plan.chunks }, (_, c): [string, number, number] => [`gChunk ${c}`, plan.gChunks + c * plan.partialStride, k * d * 4]),
      ...Array.from({ length: devices }, (_, w): [string, number, number] => [`gBlock ${w}`, plan.gBlocks + w * plan.partialStride, k * d * 4]),
      ...Array.from({ length: devices }, (_, w): [string, number, number] => [`m ${w}`, plan.m + w * plan.partialStride, k * k * 8]),
      ['mChunks', plan.mChunks, plan.chunks * k * k * 8], ['utilities', plan.utilities, k * 8], ['mean', plan.mean, d * 4],
      ['p', plan.p, rowCapacity * k * 4], ['x', plan.x, rowCapacity * d * 4],
    ];
    regions.sort((a, b) => a[1] - b[1]);
    expect(regions[0][1]).toBeGreaterThanOrEqual(1000);
    regions.forEach(([name, at], i) => {
      expect(at % 16, `${name} alignment`).toBe(0);
      if (i > 0) {
        const [previous, previousAt, previousBytes] = regions[i - 1];
        if (previousAt + previousBytes > at) expect.fail(`${previous} overlaps ${name}`);
      }
    });
    const [, lastAt, lastBytes] = regions[regions.length - 1];
    expect(plan.end).toBeGreaterThanOrEqual(lastAt + lastBytes);
  });

  it.each([
    { what: 'resident rows', shape: { d: 1024, k: 8, rowCapacity: 2 ** 20 }, message: /with 1048576 resident rows needs \d+ bytes .*the most is for 1048576 resident rows: use fewer rows at a time/ },
    { what: 'a dense operator', shape: { d: 20000, k: 8, rowCapacity: 512, dense: true }, message: /with a 20000 × 20000 operator and 512 resident rows needs .*the most is for a 20000 × 20000 operator: use solver 'data'/ },
    {
      what: 'a sparse matrix',
      shape: { d: 4000, k: 64, rowCapacity: 4000, sparse: { rows: 10 ** 6, cols: 4000, entries: 5 * 10 ** 8, route: 'data' as const } },
      message: /with a sparse matrix of 500000000 entries and 4000 resident rows needs .*the most is for a sparse matrix of 500000000 entries: fit fewer of its rows or columns at a time/,
    },
  ])('past the wasm32 limit, names what takes the most: $what', ({ shape, message }) => {
    expect(() => planMemory({ optimizerSlots: 0, devices: 2, ...shape }, 1000)).toThrow(message);
  });
});


describe('pageShare', () => {
  it('shares every page that holds a byte of the range once among the devices, and no other', () => {
    for (const [first, bytes] of [[0, 1], [0, 4096], [4095, 2], [4096, 4096], [100, 50_000], [12_288, 1], [8000, 0]]) {
      const expected = bytes === 0 ? [] : Array.from(
        { length: Math.floor((first + bytes - 1) / 4096) - Math.floor(first / 4096) + 1 }, (_, i) => Math.floor(first / 4096) + i,
      );
      for (const devices of [1, 2, 3, 5]) {
        const pages: number[] = [];
        for (let device = 0; device < devices; device++) {
          const { start, end } = pageShare(first, bytes, 4096, devices, device);
          for (let page = start; page < end; page++) pages.push(page);
        }
        expect(pages, `bytes [${first}, ${first + bytes}) on ${devices} devices`).toEqual(expected);
      }
    }
  });
});

describe('partByWork', () => {
  const workOf = (pointers: Int32Array, first: number, range: Range) =>
    pointers[first + range.end] - pointers[first + range.start] + LINE_WORK * (range.end - range.start);

  it('cuts a range of a sparse matrix\'s rows into contiguous parts of about equal work (entries + LINE_WORK a row)', () => {
    // 40 rows: the first 4 hold most entries (a text matrix's frequent words), the rest one each.
    const counts = Array.from({ length: 40 }, (_, r) => (r < 4 ? 50 : 1));
    const pointers = Int32Array.from({ length: 41 }, (_, r) => counts.slice(0, r).reduce((sum, count) => sum + count, 0));
    for (const [first, count] of [[0, 40], [2, 30], [10, 1], [5, 0]]) {
      for (const parts of [1, 2, 3, 5]) {
        const ranges = Array.from({ length: parts }, (_, i) => partByWork(pointers, first, count, parts, i));
        expect(ranges[0].start).toBe(0);
        expect(ranges[parts - 1].end).toBe(count);
        ranges.forEach((range, i) => {
          expect(range.end).toBeGreaterThanOrEqual(range.start);
          if (i > 0) expect(range.start).toBe(ranges[i - 1].end);
        });
        const all = workOf(pointers, first, { start: 0, end: count });
        // Each part is within one row's work (at most 50 + LINE_WORK) of an equal share.
        ranges.forEach((range) => expect(Math.abs(workOf(pointers, first, range) - all / parts)).toBeLessThanOrEqual(50 + LINE_WORK));
      }
    }
  });

  it('gives the part of many short rows fewer entries than the part of a few long ones', () => {
    // 1 row of 400 entries, then 400 rows of one: equal entries would cut after the first row; the short rows'
    // own work moves the cut into them.
    const counts = [400, ...Array.from({ length: 400 }, () => 1)];
    const pointers = Int32Array.from({ length: 402 }, (_, r) => counts.slice(0, r).reduce((sum, count) => sum + count, 0));
    const [head, tail] = [partByWork(pointers, 0, 401, 2, 0), partByWork(pointers, 0, 401, 2, 1)];
    const all = 800 + LINE_WORK * 401;
    expect(Math.abs(workOf(pointers, 0, head) - all / 2)).toBeLessThanOrEqual(400 + LINE_WORK);
    expect(head.end).toBeGreaterThan(1);
    expect(pointers[401] - pointers[tail.start]).toBeLessThan(400);
  });
});
