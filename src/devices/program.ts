// One device's share of a step, the same code for the in-thread engine (one device, no-op barrier) and for every
// worker of a pool. A step is four phases separated by barriers:
//
//   1. data term: for the chunks it claims (shared with the other devices of its slice) and its slice of players,
//      P = XVᵀ (rows centred when loaded) into the shared P and each chunk's partial G (blocks summed in order);
//      every row of X is read once per step;
//   2. psum: the Gram partials of the chunks it claims (M_c = P_cᵀP_c over all players, read from the other
//      slices' columns) and the chunk-ordered sum of an even share of G's elements, divided by the batch size for
//      'mean';
//   3. every device sums the chunks' M in chunk order into its own copy, and computes the ascent directions of
//      the players it updates into its scratch buffer (α reads other players' rows of G, so G stays intact;
//      device 0 also writes the utilities);
//   4. after every device has read V, each updates and renormalises its own players' rows.
//
// Chunk boundaries depend on the batch size, k and d only (partition.ts), and every value is summed in the same
// order whoever computes it, so V has the same bits for any number of devices and any kPerDevice.

import type { Barrier, WorkQueues } from './collectives';
import { panelAt, playersOf, type MemoryPlan, type OperatorPlan, type SparsePlan } from './memory';
import { KernelPlayerSpace, FLOAT32_DROP, PencilPlayers, multiplyPlayers, solveDirections, type PencilGoal, type PencilPlan } from './pencil';
import { PlayerShare, Players, playRound, type PlayGoal, type RoundOutcome } from './players';
import type { GameSettings } from './settings';
import {
  COVARIANCE_CHUNKS_PER_DEVICE, Chunking, ROW_BLOCK, covariancePanels, deviationStride, deviceRole, operatorRows, pageShare, part, partByWork, scatterRows, triangleRows, type DeviceRole, type Range,
  type Topology,
} from './partition';
import type { KernelExports } from '../kernels/exports';

/**
 * What pca's players multiply by (the 'play' job): the dense operator in memory (the covariance or the Gram matrix),
 * the resident rows (XᵀX / n, a pass per round), or the sparse matrix: X̃ᵀX̃ / n through its rows and columns
 * ('sparse', players of its columns' length) or X̃X̃ᵀ / n through its columns and rows ('sparse-gram', players of its
 * rows' length).
 */
export type PlaySource = 'dense' | 'data' | 'sparse' | 'sparse-gram';

/**
 * One of those operators as a round uses it: every device computes its share of G = V A, then, after a barrier,
 * device 0 puts G together. The players (players.ts) never know which one they play on.
 */
interface PlayOperator {
  /** This device's share of G = V A over `rows` rows (the operator may wait at barriers of its own). */
  multiply(rows: number): void;
  /** On device 0 once every device's share is in: G complete in the plan's G. */
  gather(): void;
}

/** Step sizes: the optimizer's own learning rate, or one per player from its Rayleigh quotient (pca). */
export type RateRule = 'optimizer' | 'rayleigh';

/**
 * The 'rayleigh' rule: player i steps with 1 / λ̂ᵢ, where λ̂ᵢ = Mᵢᵢ (its current Rayleigh quotient, mean
 * reduction), floored at MIN_EIGENVALUE_RATIO · maxⱼ Mⱼⱼ so that a player with almost no variance does not take
 * huge steps. Scaling by the player's own eigenvalue makes its rate of convergence depend on its relative eigengap
 * rather than on λᵢ/λ₁ (on MNIST-10k, k = 16: 90 steps where one rate of 1/λ₁ took 490, to the same accuracy).
 */
const MIN_EIGENVALUE_RATIO = 1e-3;

export interface ProgramContext {
  kernels: KernelExports;
  memory: WebAssembly.Memory;
  plan: MemoryPlan;
  topology: Topology;
  device: number;
  settings: GameSettings;
  barrier: Barrier;
  queues: WorkQueues;
}

/**
 * Queue 0: the chunks' Gram partials, taken by every device (and the covariance pass's chunks); queue 1 + s: the chunks
 * of slice s's data term.
 */
/** The page size the 'touch' job writes at: the operating system's smallest (x86-64, ARM64 Linux), a divisor of larger ones. */
const TOUCHED_PAGE = 4096;

const GRAM_QUEUE = 0;
/** Chunks of a sparse product per device, claimed in turn (forEachSparseChunk). */
const PRODUCT_CHUNKS_PER_DEVICE = 8;
const sliceQueue = (slice: number) => 1 + slice;

export class DeviceProgram {
  private readonly role: DeviceRole;
  private readonly rates: Float64Array;
  private readonly operators: Record<PlaySource, PlayOperator>;
  private share?: PlayerShare;

  constructor(private readonly context: ProgramContext) {
    this.role = deviceRole(context.topology, context.device);
    this.rates = new Float64Array(context.plan.k);
    const { kernels, plan } = context;
    this.operators = {
      // Each device its rows of P = A Vᵀ (d × k); for a symmetric A its transpose is G = V A.
      dense: { multiply: () => this.denseProduct(), gather: () => kernels.transpose(plan.p, plan.d, plan.k, plan.k, plan.g, plan.d) },
      data: { multiply: (rows) => this.dataProduct(0, rows), gather: () => {} },
      sparse: { multiply: () => this.sparseProduct(), gather: () => {} },
      'sparse-gram': { multiply: () => this.sparseGramProduct(), gather: () => {} },
    };
  }

  /**
   * Step number `t` (1-based: Adam's bias correction counts it) on resident rows [first, first + count).
   * `rateScale` multiplies the 'rayleigh' rule's rates (streamed fits anneal them). Returns true when the devices
   * must stop after it (a stop requested by the host).
   */
  step(first: number, count: number, t: number, rule: RateRule, rateScale = 1): boolean {
    const { barrier } = this.context;
    const chunking = new Chunking(count, this.context.plan.chunks);
    this.dataTerm(first, chunking);
    barrier.wait();
    this.gramPartials(chunking);
    this.reduceG(chunking);
    barrier.wait();
    const m = this.reduceM(chunking, this.context.settings.reduction === 'mean');
    this.directions(m);
    barrier.wait();
    this.update(t, rule === 'rayleigh' ? this.rayleighRates(m, rateScale) : null);
    return barrier.waitAtStepEnd();
  }

  /**
   * C V over resident rows [first, first + count): a step's first two phases without the Gram matrix or an update.
   * G (k × d; ÷ count with the mean reduction) is complete in plan.g after the end barrier. Streamed pca's exact
   * passes sum it batch by batch. Returns true when the devices must stop (a stop requested by the host).
   */
  product(first: number, count: number): boolean {
    this.dataProduct(first, count);
    return this.context.barrier.waitAtStepEnd();
  }

  /**
   * One pass of the covariance route over `rows` resident rows from row `first`, packed in blocks of `blockRows` (assembly/syrk.ts):
   * the operator's float64 sums += Σ_b weights[b] X_bᵀX_b. The devices take chunks of C's panels of columns from a
   * work queue (the host stages the next batch meanwhile, on one of the same cores: a static split left the other
   * device waiting at the barrier), each chunk summed over every block, in block order.
   */
  covariancePass(firstRow: number, rows: number, blockRows: number, weights: readonly number[]): boolean {
    const { kernels, plan, topology, barrier, queues } = this.context;
    const { d } = plan;
    const sums = this.operator.sums;
    const chunks = COVARIANCE_CHUNKS_PER_DEVICE * topology.devices;
    for (let chunk: number; (chunk = queues.take(GRAM_QUEUE, chunks, topology.devices)) >= 0;) {
      // The chunks with the most columns first: they read the most of each block.
      const { start, end } = covariancePanels(d, chunks, chunks - 1 - chunk);
      let block = plan.x + firstRow * d * 4;
      for (let first = 0, b = 0; first < rows; first += blockRows, b++) {
        const count = Math.min(blockRows, rows - first);
        if (end > start) kernels.syrk(block, count, start, end, sums, d, weights[b]);
        block += count * d * 4;
      }
    }
    return barrier.waitAtStepEnd();
  }

  /**
   * The pencils' float64 pass (the 'scatter' job, assembly/scatter.ts): the operator's float64 sums += each staged
   * block's scatter, block after block, each device summing its rows of C's `band` (partition.ts, scatterRows): `rows` rows of
   * deviations from float64 value `offset` of the plan's deviation blocks, in blocks of `blockRows`, C of `order` columns, from
   * column `from` on.
   */
  scatterPass(offset: number, rows: number, blockRows: number, order: number, band: Range, from: number): boolean {
    const { kernels, plan, topology, device, barrier } = this.context;
    const { start, end } = scatterRows(order, from, band, topology.devices, device);
    const sums = this.operator.sums;
    let block = plan.deviationBlocks + offset * 8;
    for (let first = 0; first < rows; first += blockRows) {
      const stride = deviationStride(Math.min(blockRows, rows - first));
      if (end > start) kernels.scatter(block, stride, order, start, end, from, sums, plan.d);
      block += stride * order * 8;
    }
    return barrier.waitAtStepEnd();
  }

  /**
   * Round `step` of pca's players (the 'play' job): G = V A from `source` (PlayOperator), then every device takes its
   * share of their checks and move (players.ts playRound: `players`, the judge, on device 0 only; null on the others),
   * and every device learns at the end barrier whether that was the last round.
   */
  playRound(source: PlaySource, rows: number, step: number, goal: PlayGoal, players: Players | null): { stop: boolean; outcome: RoundOutcome | null } {
    const { device, barrier } = this.context;
    const operator = this.operators[source];
    operator.multiply(rows);
    barrier.wait();
    if (device === 0) operator.gather();
    barrier.wait();
    const outcome = playRound(this.playerShare, players, step, goal, () => barrier.wait());
    if (outcome?.stop) barrier.requestStop();
    const stop = barrier.waitAtStepEnd() || (outcome?.stop ?? false);
    return { stop, outcome };
  }

  /**
   * The sparse Gram route's first product alone, Q = X̃ᵀRᵀ for the rows R the host left in the players' images' buffer G
   * (the 'gram-columns' job: the components' residuals; a round's product writes G anew), complete in the plan's pt
   * after the end barrier. Returns true when the devices must stop (a stop requested by the host).
   */
  gramColumns(): boolean {
    this.gramColumnsProduct(this.context.plan.g);
    return this.context.barrier.waitAtStepEnd();
  }

  /**
   * The sparse covariance pass over sparse rows [first, first + count) (assembly/sparseouter.ts): the operator's
   * float64 sums += Σ x xᵀ, upper triangle, each device summing its band of the operator's rows over every sparse
   * row in order.
   */
  sparseCovariancePass(first: number, count: number): boolean {
    const { kernels, plan, topology, device, barrier } = this.context;
    const sparse = this.sparse;
    const { start, end } = triangleRows(plan.d, topology.devices, device);
    if (end > start) kernels.sparseOuter(sparse.indptr, sparse.indices, sparse.data, first, count, start, end, this.operator.sums, plan.d);
    return barrier.waitAtStepEnd();
  }

  /**
   * The float32 operator's rows in `rows` = factor × the float64 sums' upper triangle (assembly/symmetrize.ts), each
   * device a band of them (its page faults too: the matrix is fresh memory).
   */
  symmetrize(factor: number, rows: Range): boolean {
    const { kernels, plan, topology, device, barrier } = this.context;
    const band = part(rows.end - rows.start, topology.devices, device);
    const { sums, matrix } = plan.operator!;
    if (band.end > band.start) kernels.symmetrize(sums, plan.d, factor, matrix, rows.start + band.start, rows.start + band.end);
    return barrier.waitAtStepEnd();
  }

  /** This device's rows of the dense operator's product P = A Vᵀ (d × k). */
  private denseProduct(): void {
    const { kernels, plan, topology, device } = this.context;
    const { d, k } = plan;
    const { start, end } = operatorRows(d, topology.devices, device);
    if (end > start) kernels.project(this.operator.matrix + start * d * 4, end - start, d, plan.v, k, plan.p + start * k * 4, k);
  }

  /**
   * G = V X̃ᵀX̃ / n from the sparse matrix (assembly/sparsetimes.ts), X̃ = X − 1 meanᵀ never formed: each device
   * transposes its share of V's columns into Vᵀ and computes V·mean itself; then the rows of P = X Vᵀ − 1 (V mean)ᵀ
   * (= X̃ Vᵀ) of the chunks of sparse rows it claims (forEachSparseChunk); then Gᵀ = Xᵀ P for the chunks of sparse
   * columns it claims (1ᵀP = 0, so Xᵀ P = X̃ᵀ P), ÷ n, transposed into their columns of G. Every value is computed by
   * one device: no sum across devices. Each step goes panel by panel (SparsePlan.panels): a product reads the rows of
   * one panel at a time. Without centring (SparseShape.centred false) the mean is zero, and V·mean and its shift are
   * skipped.
   */
  private sparseProduct(): void {
    const { kernels, plan, device, barrier, memory } = this.context;
    const sparse = this.sparse;
    const { d, k } = plan;
    const { width, rows: n, panels } = sparse;
    const columns = part(d, this.context.topology.devices, device);
    const bandColumns = columns.end - columns.start;
    if (bandColumns > 0) {
      for (const panel of panels) {
        const vt = panelAt(sparse.vt, d, panel) + columns.start * panel.lanes * 4;
        kernels.transpose(plan.v + (panel.first * d + columns.start) * 4, playersOf(panel, k), bandColumns, d, vt, panel.lanes);
      }
    }
    const shift = sparse.shifts + device * sparse.shiftStride;
    const { centred } = this;
    if (centred) {
      kernels.crossDots(plan.v, k, plan.mean, 1, d, shift);
      new Float32Array(memory.buffer, shift + width * 8, k).set(new Float64Array(memory.buffer, shift, k));
    }
    barrier.wait();
    this.forEachSparseChunk('rows', panels, ({ start, end }, panel) => {
      kernels.sparseTimes(
        sparse.indptr, sparse.indices, sparse.data, start, end - start, panelAt(sparse.vt, d, panel), panel.lanes, panel.lanes,
        panelAt(sparse.pt, n, panel), centred ? shift + width * 8 + panel.first * 4 : 0,
      );
    });
    barrier.wait();
    this.forEachSparseChunk('columns', panels, ({ start, end }, panel) => {
      const gt = panelAt(sparse.gt, d, panel);
      const chunk = gt + start * panel.lanes * 4;
      kernels.sparseTimes(sparse.colptr, sparse.colIndices, sparse.colData, start, end - start, panelAt(sparse.pt, n, panel), panel.lanes, panel.lanes, gt, 0);
      kernels.divideF32(chunk, (end - start) * panel.lanes, n);
      kernels.transpose(chunk, end - start, playersOf(panel, k), panel.lanes, plan.g + (panel.first * d + start) * 4, d);
    });
  }

  /**
   * G = U X̃X̃ᵀ / n from the sparse matrix, for players U of its rows' length, X̃ = X − 1μᵀ never formed. Each device
   * computes the players' dots with the centring rows itself (their sums s and U·X̃μ, float64), transposes its share
   * of U's columns into Ũᵀ = (U − (s/n) 1ᵀ)ᵀ (X̃ᵀU = XᵀŨ, as X̃ᵀ1 = 0 and Xᵀ1 = nμ); then Q = XᵀŨᵀ for the chunks of
   * sparse columns it claims; then the rows of Gᵀ = X Q − 1 (μᵀQ) (μᵀQ = U·X̃μ) of the chunks of sparse rows it
   * claims, ÷ n, transposed into their columns of G. Every value is computed by one device: no sum across devices.
   * Panel by panel, as sparseProduct.
   * Without centring the centring rows are zeros, and their dots, the means and the shift are skipped.
   */
  private sparseGramProduct(): void {
    const { kernels, plan, barrier } = this.context;
    const sparse = this.sparse;
    const { d: n, k } = plan;
    const { cols: d, panels } = sparse;
    const { shifted } = this.gramShifts();
    const { centred } = this;
    this.gramColumnsProduct(plan.v);
    barrier.wait();
    this.forEachSparseChunk('rows', panels, ({ start, end }, panel) => {
      const gt = panelAt(sparse.gt, n, panel);
      const chunk = gt + start * panel.lanes * 4;
      kernels.sparseTimes(
        sparse.indptr, sparse.indices, sparse.data, start, end - start, panelAt(sparse.pt, d, panel), panel.lanes, panel.lanes, gt,
        centred ? shifted + panel.first * 4 : 0,
      );
      kernels.divideF32(chunk, (end - start) * panel.lanes, n);
      kernels.transpose(chunk, end - start, playersOf(panel, k), panel.lanes, plan.g + (panel.first * n + start) * 4, n);
    });
  }

  /**
   * sparseGramProduct's first half for the k rows U at `players` (k × n float32): their dots with the centring rows
   * (float64: their sums, and U·X̃μ, whose float32 copy the second product takes off), Ũᵀ in the device's share of
   * rows, barrier, Q = XᵀŨᵀ for the chunks of columns it claims.
   */
  private gramColumnsProduct(players: number): void {
    const { kernels, plan, device, barrier, memory } = this.context;
    const sparse = this.sparse;
    const { d: n, k } = plan;
    const { cols: d, panels } = sparse;
    const rows = part(n, this.context.topology.devices, device);
    const bandRows = rows.end - rows.start;
    const { dots: shift, means, shifted } = this.gramShifts();
    const { centred } = this;
    if (centred) {
      kernels.crossDots(players, k, sparse.centring, 2, n, shift);
      const dots = new Float64Array(memory.buffer, shift, 2 * k);
      const means32 = new Float32Array(memory.buffer, means, k);
      const shifted32 = new Float32Array(memory.buffer, shifted, k);
      for (let i = 0; i < k; i++) {
        means32[i] = dots[2 * i] / n;
        shifted32[i] = dots[2 * i + 1];
      }
    }
    if (bandRows > 0) {
      for (const panel of panels) {
        const band = panelAt(sparse.vt, n, panel) + rows.start * panel.lanes * 4;
        kernels.transpose(players + (panel.first * n + rows.start) * 4, playersOf(panel, k), bandRows, n, band, panel.lanes);
        if (centred) kernels.subtractMean(band, bandRows, panel.lanes, means + panel.first * 4);
      }
    }
    barrier.wait();
    this.forEachSparseChunk('columns', panels, ({ start, end }, panel) => {
      kernels.sparseTimes(
        sparse.colptr, sparse.colIndices, sparse.colData, start, end - start, panelAt(sparse.vt, n, panel), panel.lanes, panel.lanes,
        panelAt(sparse.pt, d, panel), 0,
      );
    });
  }

  /** This device's share of the players' work (built at its first 'play' round: plans without players have none). */
  private get playerShare(): PlayerShare {
    const { kernels, memory, plan, device, topology } = this.context;
    this.share ??= new PlayerShare(kernels, memory, plan, device, topology.devices);
    return this.share;
  }

  /**
   * Calls `each` with the chunks of the sparse matrix's rows or columns (of `count` from `first`: all by default;
   * ranges relative to `first`) this device claims from the products' work queue, panel after panel (each chunk once
   * a panel): PRODUCT_CHUNKS_PER_DEVICE a device, cut by work (partByWork), so that a device the system holds back
   * (another program on its core) takes fewer while the others take more. The devices claim in order, so that they
   * read one panel's rows at a time, as a band would. Each value of a product is computed by one device whoever claims
   * its chunk: the chunks change the work, not the bits.
   */
  private forEachSparseChunk<P>(
    of: 'rows' | 'columns', panels: readonly P[], each: (range: Range, panel: P) => void, first = 0, count?: number,
  ): void {
    const { memory, topology, queues } = this.context;
    const sparse = this.sparse;
    const total = of === 'rows' ? sparse.rows : sparse.cols;
    const pointers = new Int32Array(memory.buffer, of === 'rows' ? sparse.indptr : sparse.colptr, total + 1);
    const chunks = PRODUCT_CHUNKS_PER_DEVICE * topology.devices;
    for (let item: number; (item = queues.take(GRAM_QUEUE, chunks * panels.length, topology.devices)) >= 0;) {
      const range = partByWork(pointers, first, count ?? total - first, chunks, item % chunks);
      if (range.end > range.start) each(range, panels[Math.floor(item / chunks)]);
    }
  }

  /** Whether the sparse products take the mean off (SparseShape.centred): without, its dots and shifts are skipped. */
  private get centred(): boolean {
    return this.sparse.centred !== false;
  }

  /**
   * This device's centring scratch on the sparse Gram route (SparsePlan.shifts): the players' dots with the centring
   * rows (width pairs of float64), then their means and the shift of X Q (width float32 each).
   */
  private gramShifts(): { dots: number; means: number; shifted: number } {
    const { shifts, shiftStride, width } = this.sparse;
    const dots = shifts + this.context.device * shiftStride;
    const means = dots + width * 16;
    return { dots, means, shifted: means + width * 4 };
  }

  /**
   * The sparse Gram route's components, X̃ᵀu before the centring, for the sparse matrix's columns [first, first +
   * count) (the 'back-project' job): Xᵀ times the `lanes` float64 vectors (rows of `lanes`) into the plan's float64
   * columns, each device the chunks of them it claims (assembly/sparsetimes64.ts: each column summed by one device,
   * in stored order).
   */
  backProject(first: number, count: number, lanes: number): boolean {
    const { kernels, barrier } = this.context;
    const sparse = this.sparse;
    // One panel: all the vectors' lanes.
    this.forEachSparseChunk('columns', [lanes], ({ start, end }) => {
      kernels.sparseTimes64(sparse.colptr, sparse.colIndices, sparse.colData, first + start, end - start, sparse.vectors64, lanes, lanes, sparse.columns64 + start * lanes * 8);
    }, first, count);
    return barrier.waitAtStepEnd();
  }

  /**
   * Writes each 4 KiB page of the memory's byte ranges once, keeping its value (an atomic add of 0), this device's
   * share of each range's pages (the 'touch' job): the operating system maps a page at its first write, and on the
   * machines measured here that costs 3 ms a MiB to the thread that writes it first, in parallel across threads.
   */
  touch(ranges: Range[]): boolean {
    const { memory, topology, device, barrier } = this.context;
    const words = new Int32Array(memory.buffer);
    for (const { start, end } of ranges) {
      const pages = pageShare(start, end - start, TOUCHED_PAGE, topology.devices, device);
      for (let page = pages.start; page < pages.end; page++) Atomics.add(words, page * (TOUCHED_PAGE / 4), 0);
    }
    return barrier.waitAtStepEnd();
  }

  private get sparse(): SparsePlan {
    const { sparse } = this.context.plan;
    if (!sparse) throw new Error('this memory plan has no sparse matrix');
    return sparse;
  }

  /**
   * One round of the γ-EigenGame players on a pencil (the 'pencil' job, pencil.ts): each device solves for its share
   * of the players' directions, then computes its rows of their images; device 0 (`players`) judges and moves them,
   * and every device learns at the end barrier whether that was the last round.
   */
  pencilRound(plan: PencilPlan, step: number, players: PencilPlayers | null): { stop: boolean; outcome: RoundOutcome | null } {
    const { kernels, memory, topology, device, barrier } = this.context;
    const work = { kernels, memory, devices: topology.devices, device };
    if (step > 1) solveDirections(work, plan);
    barrier.wait();
    multiplyPlayers(work, plan, step);
    barrier.wait();
    const outcome = players ? players.round(step) : null;
    if (outcome?.stop) barrier.requestStop();
    const stop = barrier.waitAtStepEnd() || (outcome?.stop ?? false);
    return { stop, outcome };
  }

  /** The judge of a 'pencil' job's players, on device 0; null on the others. */
  leadPencil(plan: PencilPlan, goal: PencilGoal): PencilPlayers | null {
    const { kernels, memory, device } = this.context;
    return device === 0 ? new PencilPlayers(new KernelPlayerSpace(kernels, memory, plan), goal, FLOAT32_DROP) : null;
  }

  /** The players of a 'play' job, on device 0 (the one that judges and moves them); null on the others. */
  leadPlayers(): Players | null {
    const { kernels, memory, plan, device } = this.context;
    return device === 0 ? new Players(kernels, memory, plan) : null;
  }

  /** G = C V over resident rows [first, first + count), complete (every device's share reduced) when it returns. */
  private dataProduct(first: number, count: number): void {
    const { barrier } = this.context;
    const chunking = new Chunking(count, this.context.plan.chunks);
    this.dataTerm(first, chunking);
    barrier.wait();
    this.reduceG(chunking);
  }

  private get operator(): OperatorPlan {
    const { operator } = this.context.plan;
    if (!operator) throw new Error('this memory plan has no operator');
    return operator;
  }

  get k(): number {
    return this.context.plan.k;
  }

  get d(): number {
    return this.context.plan.d;
  }

  /** Live view of V (k × d): every device's rows are final after a step's end barrier. */
  vectors(): Float32Array {
    const { plan } = this.context;
    return new Float32Array(this.context.memory.buffer, plan.v, plan.k * plan.d);
  }

  private dataTerm(first: number, chunking: Chunking): void {
    const { kernels, plan } = this.context;
    const { d, k } = plan;
    const { start: p0, end: p1 } = this.role.players;
    const players = p1 - p0;
    const scratch = this.scratch;
    const { queues } = this.context;
    const queue = sliceQueue(this.role.slice);
    for (let c: number; (c = queues.take(queue, chunking.chunks, this.role.shards)) >= 0;) {
      const rows = chunking.rows(c);
      const partial = plan.gChunks + c * plan.partialStride + p0 * d * 4;
      for (let block = rows.start; block < rows.end; block += ROW_BLOCK) {
        const blockRows = Math.min(ROW_BLOCK, rows.end - block);
        const target = block === rows.start ? partial : scratch;
        kernels.dataTerm(
          plan.x + (first + block) * d * 4, blockRows, d, plan.v + p0 * d * 4, players,
          plan.p + (block * k + p0) * 4, k, target,
        );
        if (target === scratch) kernels.addF32(partial, scratch, players * d);
      }
    }
  }

  private gramPartials(chunking: Chunking): void {
    const { kernels, plan } = this.context;
    const { k } = plan;
    const { queues, topology } = this.context;
    for (let c: number; (c = queues.take(GRAM_QUEUE, chunking.chunks, topology.devices)) >= 0;) {
      const { start, end } = chunking.rows(c);
      kernels.gram(plan.p + start * k * 4, end - start, k, k, plan.mChunks + c * k * k * 8);
    }
  }

  /** This device's share of G: the chunks' partials summed in chunk order (÷ batch size for 'mean'). */
  private reduceG(chunking: Chunking): void {
    const { kernels, plan, settings } = this.context;
    const { d, k } = plan;
    const { start, end } = this.role.reduced(k, d);
    if (end <= start) return;
    const bytes = (end - start) * 4;
    const target = plan.g + start * 4;
    const partial = (c: number) => plan.gChunks + c * plan.partialStride + start * 4;
    this.copy(target, partial(0), bytes);
    for (let c = 1; c < chunking.chunks; c++) kernels.addF32(target, partial(c), end - start);
    if (settings.reduction === 'mean') kernels.divideF32(target, end - start, chunking.count);
  }

  /** M, the chunks' Gram partials summed in chunk order (÷ batch size if `mean`), into this device's copy. */
  private reduceM(chunking: Chunking, mean: boolean): Float64Array {
    const { kernels, plan, device } = this.context;
    const { k } = plan;
    const target = plan.m + device * plan.partialStride;
    this.copy(target, plan.mChunks, k * k * 8);
    for (let c = 1; c < chunking.chunks; c++) kernels.addF64(target, plan.mChunks + c * k * k * 8, k * k);
    if (mean) kernels.divideF64(target, k * k, chunking.count);
    if (device === 0) kernels.utilities(target, k, plan.utilities);
    return this.f64(target, k * k);
  }

  /** This device's k × d scratch: one block's partial G in phase 1, its players' directions in phases 3–4. */
  private get scratch(): number {
    const { plan, device } = this.context;
    return plan.gBlocks + device * plan.partialStride;
  }

  private directions(m: Float64Array): void {
    const { kernels, plan, settings } = this.context;
    const { start, end } = this.role.updates;
    kernels.direction(
      plan.g, m.byteOffset, plan.v, plan.k, plan.d, start, end - start, settings.variant === 'alpha',
      settings.riemannian, this.scratch,
    );
  }

  private rayleighRates(m: Float64Array, scale: number): Float64Array {
    const { k } = this.context.plan;
    const rates = this.rates;
    let top = 0;
    for (let i = 0; i < k; i++) top = Math.max(top, m[i * k + i]);
    for (let i = 0; i < k; i++) rates[i] = top > 0 ? scale / Math.max(m[i * k + i], MIN_EIGENVALUE_RATIO * top) : 0;
    return rates;
  }

  /** The optimizer's update of this device's players (with per-player rates, one at a time), then unit rows. */
  private update(t: number, rates: Float64Array | null): void {
    const { kernels, plan, settings } = this.context;
    const { start, end } = this.role.updates;
    if (rates) {
      for (let i = start; i < end; i++) this.applyOptimizer(i, 1, t, rates[i], this.scratch + (i - start) * plan.d * 4);
    } else if (end > start) {
      this.applyOptimizer(start, end - start, t, settings.optimizer.learningRate, this.scratch);
    }
    kernels.normalizeRows(plan.v + start * plan.d * 4, end - start, plan.d);
  }

  /** Players first .. first+count−1 step along the directions at `g` (count rows). */
  private applyOptimizer(first: number, count: number, t: number, learningRate: number, g: number): void {
    const { kernels, plan, settings } = this.context;
    const offset = first * plan.d * 4;
    const n = count * plan.d;
    const v = plan.v + offset;
    const optimizer = settings.optimizer;
    if (optimizer.type === 'sgd') {
      const trace = optimizer.momentum > 0 ? plan.optimizer[0] + offset : 0;
      kernels.sgd(v, g, trace, n, learningRate, optimizer.momentum, optimizer.nesterov);
      return;
    }
    kernels.adam(
      v, g, plan.optimizer[0] + offset, plan.optimizer[1] + offset, n, learningRate,
      optimizer.b1, optimizer.b2, optimizer.eps, optimizer.epsRoot, 1 - optimizer.b1 ** t, 1 - optimizer.b2 ** t,
    );
  }

  private copy(target: number, source: number, bytes: number): void {
    new Uint8Array(this.context.memory.buffer).copyWithin(target, source, source + bytes);
  }

  private f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.context.memory.buffer, offset, length);
  }
}
