// The memory plan: where every buffer of a game lives in the kernels' linear memory. The kernels never
// allocate; they are handed these offsets. Regions start on 64-byte cache lines (16 bytes would do for the SIMD loads). One plan serves one
// device or many: buffers that a device writes on its own (its block scratch, its copy of M) exist once per device.

import { MOVE_BLOCK_COLUMNS, maxChunks, moveChunks } from './partition';
import { MAX_PAGES, PAGE_BYTES } from '../kernels/exports';

/** Int32 words of the control block (barrier, failure and stop flags; see collectives.ts). */
export const CONTROL_WORDS = 16;

/**
 * Space kept between buffers that different devices write at the same time. Measured on a 2-core Xeon: a device
 * whose k × d scratch sat right after another device's ran its data pass 25 % slower (the cores' prefetchers pull
 * in the neighbour's lines while it writes them); 64 KiB apart, neither slows down.
 */
const DEVICE_SEPARATION = 64 * 1024;

export interface PlanShape {
  d: number;
  k: number;
  /** Float32 buffers of k × d that the optimizer keeps (0 for SGD, 1 with momentum, 2 for Adam). */
  optimizerSlots: number;
  /** Rows of data resident in memory at once (one minibatch, or a whole in-memory dataset). */
  rowCapacity: number;
  /** Devices that step the game together (1: in-thread). */
  devices: number;
  /** Buffers for pca's players (PlayerPlan). */
  play?: boolean;
  /** Buffers for a dense symmetric operator of d × d (OperatorPlan). */
  dense?: boolean;
  /** Float64 values of a staging area where the host hands the kernels a block of the caller's rows (pca). */
  stage?: number;
  /** Float64 values of the float64 pass's deviations, blocks of rows staged as columns (assembly/scatter.ts). */
  deviations?: number;
  /** Buffers for a sparse matrix (SparsePlan). */
  sparse?: SparseShape | null;
}

/**
 * A sparse matrix in the kernels' memory: `rows` × `cols` with `entries` stored, for the sparse covariance pass
 * (its rows, values in float64) or the sparse data route's products (its rows and its columns, values in float32,
 * and the dense blocks the products go through).
 */
export interface SparseShape {
  rows: number;
  cols: number;
  entries: number;
  route: 'covariance' | 'data' | 'gram';
  /**
   * The product routes ('data', 'gram'): false where the players multiply by X itself (a truncated SVD), so that the
   * products skip the centring's dots and shifts, which are zeros then. Centred unless false.
   */
  centred?: boolean;
}

/**
 * Lanes [first, first + lanes) of every row of a sparse route's dense block (SparsePlan vt, pt, gt), stored together:
 * a block of `rows` rows keeps panel after panel, this one at lane `first` × rows, `lanes` floats a row. A product
 * pass (assembly/sparsetimes.ts) gathers the rows of one panel: a third of the bytes of whole rows, so that the rows
 * it reads come from cache far more often (measured: the bench's sparse products in 0.55–0.65 of the time).
 */
export interface LanePanel {
  first: number;
  lanes: number;
}

/** The most lanes of a panel: assembly/sparsetimes.ts's one pass (8 groups of 4). */
const PANEL_LANES = 32;

/** `width` lanes (a multiple of 4) in as few panels of at most PANEL_LANES as can be, as even as can be (76: 28, 24, 24). */
export function lanePanels(width: number): LanePanel[] {
  const groups = width / 4;
  const count = Math.ceil(groups / (PANEL_LANES / 4));
  const panels: LanePanel[] = [];
  for (let i = 0, done = 0; i < count; i++) {
    const taken = Math.ceil((groups - done) / (count - i));
    panels.push({ first: done * 4, lanes: taken * 4 });
    done += taken;
  }
  return panels;
}

/** How many of k players a panel holds (the last panel's lanes past k are padding). */
export function playersOf(panel: LanePanel, k: number): number {
  return Math.min(panel.lanes, k - panel.first);
}

/** The address of `panel` in a dense block of `rows` rows at `block` (float32). */
export function panelAt(block: number, rows: number, panel: LanePanel): number {
  return block + panel.first * rows * 4;
}

/**
 * The buffers of a sparse matrix (see SparseShape). `width`: the players padded to a multiple of 4, the lanes of the
 * dense blocks (padding lanes stay zero), stored by `panels`.
 */
export interface SparsePlan extends SparseShape {
  /** Rows: rows + 1 int32 offsets, `entries` int32 column indices (sorted in each row), the values (float64 for 'covariance', float32 for 'data'). */
  indptr: number;
  indices: number;
  data: number;
  /** 'data' and 'gram': the columns, the same way (cols + 1 offsets, row indices, float32 values); 0 for 'covariance'. */
  colptr: number;
  colIndices: number;
  colData: number;
  width: number;
  panels: LanePanel[];
  /**
   * 'data': Vᵀ (cols × width), P = X̃ Vᵀ (rows × width) and Gᵀ = X̃ᵀ P (cols × width), float32. 'gram' (players of
   * `rows` values): Ũᵀ (rows × width), Q = Xᵀ Ũᵀ (cols × width) and Gᵀ = X̃ Q (rows × width). Gᵀ is in Vᵀ's bytes.
   */
  vt: number;
  pt: number;
  gt: number;
  /**
   * Per device, `shiftStride` bytes apart. 'data': V·mean (width float64) then its float32 copy (width float32).
   * 'gram': the players' dots with the centring rows (width pairs of float64), then their means and the shift of
   * X Q (width float32 each).
   */
  shifts: number;
  shiftStride: number;
  /** 'gram': two rows of `rows` float32, ones and X̃μ (zeros without centring); 0 for the other routes. */
  centring: number;
  /**
   * 'gram': the components' float64 product (assembly/sparsetimes64.ts): the Ritz vectors transposed (rows × width),
   * and `columns64Bytes` for a block of columns' results (rows of as many lanes as vectors). In Vᵀ and Q's bytes where
   * they have room for both and BACK_COLUMNS columns, the block then as large as the rest of them allows (fewer
   * jobs); else bytes of their own, BACK_COLUMNS columns. 0 for the other routes.
   */
  vectors64: number;
  columns64: number;
  columns64Bytes: number;
}

/** Values of the word device 0 leaves for the devices within a round of players (players.ts STAGE …). */
export const PLAYER_WORD_VALUES = 5;

/** The fewest columns of the sparse Gram route's components computed per job (SparsePlan.columns64). */
export const BACK_COLUMNS = 4096;

/** The buffers of pca's players: k players of length d (see schedule.ts, the 'play' job). */
export interface PlayerPlan {
  /** Previous positions, at the scale of the current ones (heavy-ball momentum): k × d float32. */
  u: number;
  /** H = V Gᵀ, the players' Rayleigh–Ritz matrix: k × k float64. */
  h: number;
  /** H's eigenvectors (rows): k × k float64. */
  ritz: number;
  /** H's eigenvalues, descending: k float64. */
  theta: number;
  /** Squared residuals of the Ritz pairs: k float64. */
  residuals: number;
  /** Float64 scratch: 2d values. */
  acc: number;
  /** Float32 scratch: one row of d. */
  row: number;
  /** The players' column chunks (partition.ts moveChunks): each chunk's partial sums (dots, residuals, S_c), p × p float64. */
  grams: number;
  /** The move's triangular factor: L⁻¹ of S = L Lᵀ, p × p float64. */
  factor: number;
  /** Device 0's word to every device on the move (players.ts MOVE_*): what to do, β and the floor, float64 each. */
  move: number;
  /** Per device, the move's scratch: 2p × MOVE_BLOCK_COLUMNS float64, `blockStride` apart. */
  blocks: number;
  blockStride: number;
}

/** The operator: its float64 accumulation (the covariance pass adds blocks to it) and the float32 copy played on. */
export interface OperatorPlan {
  /** d × d float64, upper triangle accumulated by syrk. */
  sums: number;
  /** d × d float32, whole and symmetric. */
  matrix: number;
}

export interface MemoryPlan extends PlanShape {
  /** Where the plan starts: the module's heap base. */
  base: number;
  /** The control block: CONTROL_WORDS int32 words. */
  control: number;
  /** Work-queue counters (collectives.ts): queueCount int32 words, zeroed before every run. */
  claims: number;
  queueCount: number;
  /** Players' vectors V, k × d float32. */
  v: number;
  /** Optimizer state buffers, each k × d float32. */
  optimizer: number[];
  /** The reduced data term G and, in place, the ascent directions Δ: k × d float32. */
  g: number;
  /** Chunk partial sums of G: `chunks` buffers of k × d float32, `partialStride` bytes apart. */
  gChunks: number;
  /** Per device, one block's partial G and later its players' directions: k × d float32, `partialStride` apart. */
  gBlocks: number;
  /** Bytes between consecutive buffers of gChunks, gBlocks and m (padded when devices write them side by side). */
  partialStride: number;
  /** Chunk partial sums of M: `chunks` buffers of k × k float64. */
  mChunks: number;
  /** The reduced Gram matrix M, per device: k × k float64 each, `partialStride` bytes apart. */
  m: number;
  /** Utilities: k float64. */
  utilities: number;
  /** The mean subtracted from every row (zeros when not centring): d float32. */
  mean: number;
  /** Column sums of the resident rows (pca's mean): d float64. */
  columnSums: number;
  /** Projections P of the resident rows: rowCapacity × k float32. */
  p: number;
  /** Resident data rows: rowCapacity × d float32. */
  x: number;
  /** The most chunks a step may use (partial-sum buffers held). */
  chunks: number;
  players: PlayerPlan | null;
  operator: OperatorPlan | null;
  /** The sparse matrix's buffers (null when the shape asks for none). */
  sparse: SparsePlan | null;
  /** The staging area: `stage` float64 values (0 when the shape asks for none). */
  staging: number;
  /** The float64 pass's deviations: `deviations` float64 values (0 when the shape asks for none). */
  deviationBlocks: number;
  /** Bytes from address 0 to the end of the plan. */
  end: number;
  pages: number;
}

const align = (offset: number) => Math.ceil(offset / 64) * 64;

/** Lays the buffers out from `base` (the module's heap base). Throws a RangeError past the wasm32 limit. */
export function planMemory(shape: PlanShape, base: number): MemoryPlan {
  const { d, k, optimizerSlots, rowCapacity, devices } = shape;
  let cursor = align(base);
  const take = (bytes: number) => {
    const at = cursor;
    cursor = align(cursor + bytes);
    return at;
  };
  const matrixBytes = k * d * 4;
  const chunks = maxChunks(k, d);
  const partialStride = align(Math.max(matrixBytes, k * k * 8)) + (devices === 1 ? 0 : DEVICE_SEPARATION);
  // The control block gets cache lines of its own: its atomics must not evict V from the other cores.
  const control = take(128);
  const queueCount = 1 + k;
  const claims = take(queueCount * 4);
  const v = take(matrixBytes);
  const optimizer = Array.from({ length: optimizerSlots }, () => take(matrixBytes));
  const g = take(matrixBytes);
  const gChunks = take(chunks * partialStride);
  const gBlocks = take(devices * partialStride);
  const mChunks = take(chunks * k * k * 8);
  const m = take(devices * partialStride);
  const utilities = take(k * 8);
  const mean = take(d * 4);
  const columnSums = take(d * 8);
  const blockStride = align(2 * k * MOVE_BLOCK_COLUMNS * 8) + (devices === 1 ? 0 : DEVICE_SEPARATION);
  const players = shape.play
    ? {
      u: take(matrixBytes), h: take(k * k * 8), ritz: take(k * k * 8), theta: take(k * 8), residuals: take(k * 8),
      acc: take(2 * d * 8), row: take(d * 4), grams: take(moveChunks(k, d).count * k * k * 8), factor: take(k * k * 8),
      move: take(PLAYER_WORD_VALUES * 8), blocks: take(devices * blockStride), blockStride,
    }
    : null;
  const operator = shape.dense ? { sums: take(d * d * 8), matrix: take(d * d * 4) } : null;
  const staging = shape.stage ? take(shape.stage * 8) : 0;
  const deviationBlocks = shape.deviations ? take(shape.deviations * 8) : 0;
  const sparse = shape.sparse ? planSparse(shape.sparse, k, devices, take) : null;
  // The resident rows come last (and their projections before them), so that more rows never move anything else.
  const p = take(rowCapacity * k * 4);
  const x = take(rowCapacity * d * 4);
  const end = cursor;
  const pages = Math.ceil(end / PAGE_BYTES);
  if (pages > MAX_PAGES) {
    const parts = [
      { bytes: rowCapacity * d * 4, what: `${rowCapacity} resident rows`, help: 'use fewer rows at a time' },
      ...(operator ? [{ bytes: d * d * 12, what: `a ${d} × ${d} operator`, help: "use solver 'data' (no d × d matrix)" }] : []),
      ...(sparse ? [{ bytes: x - sparse.indptr, what: `a sparse matrix of ${sparse.entries} entries`, help: 'fit fewer of its rows or columns at a time' }] : []),
    ].sort((a, b) => b.bytes - a.bytes);
    throw new RangeError(
      `d = ${d}, k = ${k} with ${parts.map((part) => part.what).join(' and ')} needs ${end} bytes of WebAssembly memory, ` +
        `more than the wasm32 limit of ${MAX_PAGES * PAGE_BYTES} bytes (4 GiB); the most is for ${parts[0].what}: ${parts[0].help}`,
    );
  }
  return {
    ...shape, base, control, claims, queueCount, v, optimizer, g, gChunks, gBlocks, partialStride, mChunks, m, utilities, mean,
    columnSums, players, operator, sparse, staging, deviationBlocks, p, x, chunks, end, pages,
  };
}

function planSparse(shape: SparseShape, k: number, devices: number, take: (bytes: number) => number): SparsePlan {
  const { rows, cols, entries, route } = shape;
  const width = Math.ceil(k / 4) * 4;
  const indptr = take((rows + 1) * 4);
  const indices = take(entries * 4);
  const data = take(entries * (route === 'covariance' ? 8 : 4));
  if (route === 'covariance') {
    return {
      ...shape, indptr, indices, data, colptr: 0, colIndices: 0, colData: 0, width, panels: [], vt: 0, pt: 0, gt: 0, shifts: 0, shiftStride: 0, centring: 0,
      vectors64: 0, columns64: 0, columns64Bytes: 0,
    };
  }
  const colptr = take((cols + 1) * 4);
  const colIndices = take(entries * 4);
  const colData = take(entries * 4);
  // The players' dimension and the other one: cols and rows on the data route, rows and cols on the Gram route.
  const [played, other] = route === 'gram' ? [rows, cols] : [cols, rows];
  const vt = take(played * width * 4);
  const pt = take(other * width * 4);
  // Gᵀ is written by the second product, once the first has read Vᵀ (a barrier between): the same bytes, fewer
  // fresh pages (a first write to a page costs ~3 ms a MiB on the machines measured here).
  const gt = vt;
  const shiftStride = align(width * (route === 'gram' ? 24 : 12)) + (devices === 1 ? 0 : DEVICE_SEPARATION);
  const shifts = take(devices * shiftStride);
  const gram = route === 'gram';
  const centring = gram ? take(2 * rows * 4) : 0;
  // The components' product comes after the last round, before the residuals' product writes over Vᵀ and Q: where
  // those bytes, already mapped by the rounds, have room for it (cols ≥ rows + 2 · BACK_COLUMNS), it takes them.
  const regionEnd = pt + other * width * 4;
  const reused = gram && regionEnd - vt >= (rows + Math.min(cols, BACK_COLUMNS)) * width * 8;
  const vectors64 = gram ? (reused ? vt : take(rows * width * 8)) : 0;
  const columns64Bytes = gram ? (reused ? regionEnd - (vt + rows * width * 8) : Math.min(cols, BACK_COLUMNS) * width * 8) : 0;
  const columns64 = gram ? (reused ? vt + rows * width * 8 : take(columns64Bytes)) : 0;
  return {
    ...shape, indptr, indices, data, colptr, colIndices, colData, width, panels: lanePanels(width), vt, pt, gt, shifts, shiftStride, centring,
    vectors64, columns64, columns64Bytes,
  };
}

/** The squared residuals of a plan's players' last check, for a report (none without players). */
export function squaredResidualsOf(memory: WebAssembly.Memory, plan: MemoryPlan): Float64Array | undefined {
  return plan.players ? new Float64Array(memory.buffer, plan.players.residuals, plan.k).slice() : undefined;
}
