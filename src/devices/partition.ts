// How a step's work is divided: rows into blocks and chunks, devices into player slices and data shards.
//
// Determinism across device counts rests on one rule: every sum over rows has the same shape whoever computes it.
// A minibatch is cut into blocks of ROW_BLOCK rows (each block's G and M summed from zero, row by row) and the
// blocks into chunks (each chunk's sum is its blocks' sums added in block order); the step's sum is the chunks'
// sums added in chunk order. Block and chunk boundaries depend on the batch size, k and d only, never on the number
// of devices, so a device count only changes *who* computes a chunk, not the bits of any sum.

import { describe } from '../describe';

/** Rows per block: the unit of the fused data pass and of the first level of every sum. */
export const ROW_BLOCK = 32;

/** At most this many chunks per step: enough for devices that claim them one by one to even out their loads. */
const MAX_CHUNKS = 24;
/** Chunk partial sums of G are k × d each; keep their total under this many bytes (but allow at least 4). */
const CHUNK_BUDGET_BYTES = 64 * 1024 * 1024;

/** The most chunks a step of a k × d game uses: the number of partial-sum buffers the memory plan holds. */
export function maxChunks(k: number, d: number): number {
  return Math.max(4, Math.min(MAX_CHUNKS, Math.floor(CHUNK_BUDGET_BYTES / (k * d * 4))));
}

/** A range [start, end). */
export interface Range {
  start: number;
  end: number;
}

/** The i-th of `parts` near-equal parts of [0, total): sizes differ by at most one. */
export function part(total: number, parts: number, i: number): Range {
  return { start: Math.floor((i * total) / parts), end: Math.floor(((i + 1) * total) / parts) };
}

/**
 * The pages (of `page` bytes, numbered from address 0) that hold the bytes [first, first + bytes), the i-th of
 * `parts` near-equal shares of them.
 */
export function pageShare(first: number, bytes: number, page: number, parts: number, i: number): Range {
  const firstPage = Math.floor(first / page);
  const share = part(bytes > 0 ? Math.floor((first + bytes - 1) / page) - firstPage + 1 : 0, parts, i);
  return { start: firstPage + share.start, end: firstPage + share.end };
}

/** How `count` rows are cut into chunks: their number, and each chunk's rows (a whole number of blocks). */
export class Chunking {
  readonly chunks: number;
  private readonly blocks: number;

  constructor(readonly count: number, limit: number) {
    this.blocks = Math.ceil(count / ROW_BLOCK);
    this.chunks = Math.min(limit, this.blocks);
  }

  /** Rows [start, end) of chunk c, relative to the step's first row. */
  rows(c: number): Range {
    const { start, end } = part(this.blocks, this.chunks, c);
    return { start: start * ROW_BLOCK, end: Math.min(this.count, end * ROW_BLOCK) };
  }
}

/**
 * Devices as the seed arranges them: `slices` groups of players (model parallelism, k / kPerDevice of them) times
 * `shards` of every minibatch (data parallelism). Device w holds player slice ⌊w / shards⌋ and data shard
 * w mod shards; the devices of one slice form an `axis_index_groups` group whose gradients are summed.
 */
export interface Topology {
  devices: number;
  k: number;
  kPerDevice: number;
}

function slicesOf(topology: Topology): number {
  return topology.k / topology.kPerDevice;
}

function shardsOf(topology: Topology): number {
  return topology.devices / slicesOf(topology);
}

/**
 * What device w computes in a step. The chunks of a minibatch are not assigned in advance: the devices of a slice
 * claim them one at a time (collectives.ts, WorkQueues), as do all devices for the chunks' Gram partials.
 */
export interface DeviceRole {
  /** Its slice of players: those whose projections and data term it computes. */
  slice: number;
  players: Range;
  /** Devices holding the same slice (the slice's data shards). */
  shards: number;
  /** Players whose direction and update it computes (its share of the slice, split between the slice's shards). */
  updates: Range;
  /** Elements of the k × d G it reduces over the chunks (an even split over all devices, 4-aligned). */
  reduced(k: number, d: number): Range;
}

export function deviceRole(topology: Topology, device: number): DeviceRole {
  const { devices, kPerDevice } = topology;
  const shards = shardsOf(topology);
  const slice = Math.floor(device / shards);
  const shard = device % shards;
  const players = { start: slice * kPerDevice, end: (slice + 1) * kPerDevice };
  const share = part(kPerDevice, shards, shard);
  return {
    slice,
    players,
    shards,
    updates: { start: players.start + share.start, end: players.start + share.end },
    reduced(k, d) {
      const quads = Math.ceil((k * d) / 4);
      const { start, end } = part(quads, devices, device);
      return { start: Math.min(k * d, start * 4), end: Math.min(k * d, end * 4) };
    },
  };
}

/** Checks a device layout against k: kPerDevice divides k, and the slices divide the devices. */
export function checkTopology(topology: Topology): void {
  const { devices, k, kPerDevice } = topology;
  if (!Number.isInteger(kPerDevice) || kPerDevice < 1 || k % kPerDevice !== 0) {
    throw new RangeError(`kPerDevice must be a positive integer that divides k = ${k}, got ${describe(kPerDevice)}`);
  }
  const slices = k / kPerDevice;
  if (devices % slices !== 0) {
    throw new RangeError(
      `devices = ${devices} cannot hold k / kPerDevice = ${slices} slices of players: ` +
        `the number of devices must be a multiple of ${slices}`,
    );
  }
}

/**
 * Rows [start, end) of a d × d operator whose products device `device` of `devices` computes (in whole groups of
 * four rows, the project kernel's blocks): every product row is computed whole by one device, so the bits do not
 * depend on the split.
 */
export function operatorRows(d: number, devices: number, device: number): Range {
  const groups = Math.ceil(d / 4);
  const { start, end } = part(groups, devices, device);
  return { start: Math.min(d, start * 4), end: Math.min(d, end * 4) };
}

/**
 * Chunk `chunk` of `chunks` of the panels of eight columns of C (d, a multiple of 8) whose upper triangle the covariance
 * pass sums: contiguous, with about equal work (panel j holds j + 1 tiles of 8 rows' height, so the work up to panel P
 * grows as P²). Each element of C is summed by its chunk's taker alone, block after block, so the bits do not depend
 * on the split or on who takes which chunk.
 */
export function covariancePanels(d: number, chunks: number, chunk: number): Range {
  const panels = d / 8;
  const edge = (w: number) => (w >= chunks ? panels : Math.round(panels * Math.sqrt(w / chunks)));
  return { start: edge(chunk) * 8, end: edge(chunk + 1) * 8 };
}

/** Chunks per device of the covariance pass: devices take them one by one, so one that shares its core takes fewer. */
export const COVARIANCE_CHUNKS_PER_DEVICE = 4;


/**
 * The rows [start, end) of C's upper triangle (order `order`, columns from `from`) in `band` whose scatter device
 * `device` of `devices` sums in the float64 pass (assembly/scatter.ts): contiguous, with about equal work (row i holds
 * order − max(i, from) elements). Each element is summed by its row's owner alone, block after block, in one fixed
 * order, so the bits do not depend on the split.
 */
export function scatterRows(order: number, from: number, band: Range, devices: number, device: number): Range {
  const work = (i: number) => order - Math.max(i, from);
  let total = 0;
  for (let i = band.start; i < band.end; i++) total += work(i);
  // Row i goes to the device whose share holds the middle of its work.
  const owner = (done: number, i: number) => Math.min(devices - 1, Math.floor(((done + work(i) / 2) * devices) / total));
  let start = band.end;
  let end = band.end;
  for (let i = band.start, done = 0; i < band.end; done += work(i), i++) {
    const w = owner(done, i);
    if (w === device && start === band.end) start = i;
    if (w > device) {
      end = i;
      break;
    }
  }
  return start < end ? { start, end } : { start: band.end, end: band.end };
}

/** Values per column of a block of `rows` staged deviations: the rows rounded up to even (assembly/scatter.ts's lanes). */
export const deviationStride = (rows: number) => rows + (rows % 2);

/**
 * Rows [start, end) of a d × d upper triangle whose sums device `device` of `devices` owns in the sparse covariance
 * pass: contiguous, with about equal areas (row a holds d − a elements). Each element is summed by its row's owner
 * alone, sparse row after sparse row, so the bits do not depend on the split.
 */
export function triangleRows(d: number, devices: number, device: number): Range {
  const edge = (w: number) => (w >= devices ? d : d - Math.round(d * Math.sqrt(1 - w / devices)));
  return { start: edge(device), end: edge(device + 1) };
}

/** Columns each kernel call of the players' move takes at a time (assembly/directiongram.ts, triangularmove.ts). */
export const MOVE_BLOCK_COLUMNS = 32;
/** The most column chunks of the players' move: enough for devices to share it evenly. */
const MOST_MOVE_CHUNKS = 64;
/** Keep the chunks' p × p float64 partial Gram matrices under this many bytes (at least one chunk). */
const MOVE_CHUNK_BUDGET_BYTES = 16 * 1024 * 1024;

/**
 * How the players' move cuts their d columns into chunks (each chunk's Gram matrix is summed apart, then the chunks in
 * order): their number and the columns of chunk c, [c · columns, min(d, (c + 1) · columns)). Fixed by p and d alone,
 * so the move has the same bits on any number of devices.
 */
export function moveChunks(p: number, d: number): { count: number; columns: number } {
  const budget = Math.max(1, Math.floor(MOVE_CHUNK_BUDGET_BYTES / (p * p * 8)));
  const wanted = Math.min(MOST_MOVE_CHUNKS, budget, Math.ceil(d / MOVE_BLOCK_COLUMNS));
  const columns = Math.ceil(d / Math.max(1, wanted) / 4) * 4;
  return { count: Math.ceil(d / columns), columns };
}

/**
 * What a row (or column) of a sparse product costs besides its entries, in entries: starting and storing its output
 * row of lanes, once per panel. Measured on the bench's text, whose last 55000 of 60000 columns hold half the entries:
 * cut by entries alone, the device with those columns took 1.25× as long as the other; with 8, within 1.05×.
 */
export const LINE_WORK = 8;

/**
 * The i-th of `parts` parts of the `count` rows (or columns) from `first` of a sparse matrix whose pointers are
 * `pointers` (indptr or colptr): cut where the work before, its entries plus LINE_WORK a row, reaches i / parts of
 * the range's, so that devices multiplying by their parts do about equal work (a text matrix's frequent words are
 * a few columns with most entries, its rare ones many columns of one or two). The range is relative to `first`.
 */
export function partByWork(pointers: Int32Array | Uint32Array, first: number, count: number, parts: number, i: number): Range {
  const base = pointers[first];
  const work = pointers[first + count] - base + LINE_WORK * count;
  const cut = (share: number): number => {
    if (share === 0) return 0;
    if (share === parts) return count;
    const target = (work * share) / parts;
    let low = 0, high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (pointers[first + middle] - base + LINE_WORK * middle < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return { start: cut(i), end: cut(i + 1) };
}
