// The in-thread engine: one kernel instance on one memory, running whole steps. It owns the memory plan, the
// players' vectors and the optimizer state; EigenGame and pca drive it.

import { ROW_BLOCK, planMemory, type MemoryPlan } from './memory';
import { optimizerSlots, type GameSettings } from './options';
import { PAGE_BYTES, createMemory, instantiate, type BuildName, type KernelExports } from './wasm';

export interface EngineShape {
  d: number;
  k: number;
  /** Data rows that fit in memory at once; grown on demand by `reserveRows`. */
  rowCapacity: number;
}

export class Engine {
  /** Steps taken so far (Adam's bias correction counts them). */
  stepCount = 0;

  private constructor(
    readonly settings: GameSettings,
    private plan: MemoryPlan,
    private readonly memory: WebAssembly.Memory,
    private readonly kernels: KernelExports,
  ) {}

  static async create(shape: EngineShape, settings: GameSettings, build: BuildName = 'simd'): Promise<Engine> {
    const memory = createMemory(build, 1);
    const kernels = await instantiate(build, memory);
    const plan = planMemory({ ...shape, optimizerSlots: optimizerSlots(settings.optimizer) }, kernels.heapBase());
    growTo(memory, plan.pages);
    return new Engine(settings, plan, memory, kernels);
  }

  get d(): number {
    return this.plan.d;
  }

  get k(): number {
    return this.plan.k;
  }

  /** Live view of the players' vectors V (k × d, row-major). Views are invalid after `reserveRows`. */
  vectors(): Float32Array {
    return this.f32(this.plan.v, this.plan.k * this.plan.d);
  }

  /** Live view of the mean subtracted from every row (zeros: no centring). */
  mean(): Float32Array {
    return this.f32(this.plan.mean, this.plan.d);
  }

  /** Live view of the optimizer's state buffer `slot` (k × d). */
  optimizerState(slot: number): Float32Array {
    return this.f32(this.plan.optimizer[slot], this.plan.k * this.plan.d);
  }

  /** Live view of resident data rows [first, first + count). */
  rows(first: number, count: number): Float32Array {
    return this.f32(this.plan.x + first * this.plan.d * 4, count * this.plan.d);
  }

  /** Makes room for `rows` resident rows (the data region is last, so nothing else moves). */
  reserveRows(rows: number): void {
    if (rows <= this.plan.rowCapacity) return;
    const plan = planMemory({ ...this.plan, rowCapacity: rows }, this.plan.base);
    growTo(this.memory, plan.pages);
    this.plan = plan;
  }

  /**
   * One step of the game on resident rows [first, first + count): utilities (returned, computed with V before
   * the step), gradients, the optimizer's update and the renormalisation of V.
   */
  step(first: number, count: number): Float64Array {
    const utilities = this.gradients(first, count);
    this.update();
    return utilities;
  }

  /** The first half of a step: G and M over the rows (reduced), and the utilities (returned). */
  gradients(first: number, count: number): Float64Array {
    const { kernels, plan, settings } = this;
    const { d, k } = plan;
    this.accumulate(first, count);
    if (settings.reduction === 'mean') {
      kernels.divideF32(plan.g, k * d, count);
      kernels.divideF64(plan.m, k * k, count);
    }
    kernels.utilities(plan.m, k, plan.utilities);
    return this.f64(plan.utilities, k).slice();
  }

  /**
   * The second half of a step: directions from G and M, the optimizer's update, renormalisation of V. With
   * `learningRates` (one per player) each player steps with its own rate instead of the optimizer's.
   */
  update(learningRates?: ArrayLike<number>): void {
    const { kernels, plan, settings } = this;
    const { d, k } = plan;
    kernels.direction(plan.g, plan.m, plan.v, k, d, 0, k, settings.variant === 'alpha', settings.riemannian, plan.g);
    if (learningRates) {
      for (let i = 0; i < k; i++) this.applyOptimizer(i, 1, learningRates[i]);
    } else {
      this.applyOptimizer(0, k, settings.optimizer.learningRate);
    }
    kernels.normalizeRows(plan.v, k, d);
    this.stepCount++;
  }

  /**
   * The data term over resident rows [first, first + count): G (k × d) and M (k × k, float64) in the plan.
   * Blocks of ROW_BLOCK rows are summed from zero, and the block sums added in block order.
   */
  private accumulate(first: number, count: number): void {
    const { kernels, plan } = this;
    const { d, k } = plan;
    for (let start = 0, block = 0; start < count; start += ROW_BLOCK, block++) {
      const rows = Math.min(ROW_BLOCK, count - start);
      const x = plan.x + (first + start) * d * 4;
      const g = block === 0 ? plan.g : plan.gBlock;
      const m = block === 0 ? plan.m : plan.mBlock;
      kernels.dataTerm(x, rows, d, plan.mean, plan.v, k, plan.p, g);
      kernels.gram(plan.p, rows, k, k, m);
      if (block > 0) {
        kernels.addF32(plan.g, plan.gBlock, k * d);
        kernels.addF64(plan.m, plan.mBlock, k * k);
      }
    }
  }

  /** Live view of M (k × k) between `gradients` and `update`. */
  gram(): Float64Array {
    return this.f64(this.plan.m, this.plan.k * this.plan.k);
  }

  /** M = Pᵀ P (k × k, float64) over resident rows [first, first + count) with the current V, without G. */
  projectedGram(first: number, count: number): Float64Array {
    const { kernels, plan } = this;
    const { d, k } = plan;
    for (let start = 0, block = 0; start < count; start += ROW_BLOCK, block++) {
      const rows = Math.min(ROW_BLOCK, count - start);
      kernels.project(plan.x + (first + start) * d * 4, rows, d, plan.mean, plan.v, k, plan.p, k);
      kernels.gram(plan.p, rows, k, k, block === 0 ? plan.m : plan.mBlock);
      if (block > 0) kernels.addF64(plan.m, plan.mBlock, k * k);
    }
    return this.gram().slice();
  }

  /** Normalises the first `rows` rows of V. */
  normalize(rows: number): void {
    this.kernels.normalizeRows(this.plan.v, rows, this.plan.d);
  }

  /** The optimizer's update of players first .. first+count−1 with one learning rate. */
  private applyOptimizer(first: number, count: number, learningRate: number): void {
    const { kernels, plan } = this;
    const offset = first * plan.d * 4;
    const n = count * plan.d;
    const [v, g] = [plan.v + offset, plan.g + offset];
    const optimizer = this.settings.optimizer;
    if (optimizer.type === 'sgd') {
      const trace = optimizer.momentum > 0 ? plan.optimizer[0] + offset : 0;
      kernels.sgd(v, g, trace, n, learningRate, optimizer.momentum, optimizer.nesterov);
      return;
    }
    const t = this.stepCount + 1;
    kernels.adam(
      v, g, plan.optimizer[0] + offset, plan.optimizer[1] + offset, n, learningRate,
      optimizer.b1, optimizer.b2, optimizer.eps, optimizer.epsRoot, 1 - optimizer.b1 ** t, 1 - optimizer.b2 ** t,
    );
  }

  private f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  private f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, offset, length);
  }
}

function growTo(memory: WebAssembly.Memory, pages: number): void {
  const current = memory.buffer.byteLength / PAGE_BYTES;
  if (pages <= current) return;
  try {
    memory.grow(pages - current);
  } catch (cause) {
    throw new RangeError(`could not grow WebAssembly memory to ${pages * PAGE_BYTES} bytes: ${String(cause)}`);
  }
}
