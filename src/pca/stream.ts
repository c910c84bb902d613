// pca of a streamed source (a file larger than memory, a browser File, a stream), read in batches so that memory
// stays O(batch · d + d²) whatever the data's size.
//
// - The covariance route (d small enough for a d × d matrix, the usual case): one pass, for a source that can be
//   read again or not. Each block of rows is centred at its own mean in float64 (stats.ts) and its XᵀX summed on the
//   devices (syrk); the blocks' means are merged exactly at the end (C = Σ_b S_b + Σ_b n_b (m_b − m)(m_b − m)ᵀ, the
//   second sum by syrk too), so the answer is the in-memory one, with every row read.
// - The data route (d too large): a first pass for the statistics, then the players on XᵀX / n, each round a pass
//   over the source; a source that can be read again only.
// - A one-shot stream too wide for the covariance: the game on its minibatches, in one pass (it cannot converge to
//   the exact answer; the model says whether its estimate got below tol).

import { Engine } from '../devices/engine';
import { PlayerShare, Players, playRound, type RoundOutcome } from '../devices/players';
import { ConvergenceEstimate } from '../devices/schedule';
import { batchesOf, withTurns } from '../game/game';
import { checkDimensions } from '../game/options';
import { defersChecks, type MatrixSource, type RowBatch, type SourceInfo } from '../io/source';
import { OPERATOR_BUDGET_BYTES, routeCosts, type Solver } from './choose';
import { PCA_SETTINGS, PLAY_SETTINGS, componentsModel, type PCASettings } from './core';
import type { PCAModel } from './model';
import { CovariancePass, tolerantScale } from './covariance';
import { Stager, padToPanels } from './pack';
import { solveSummed, summingEngine, type Summed } from './routes';
import { playerCount, progressOf, ritzVectors, startPlayers } from './solve';
import { ColumnMoments, STAGE_ROWS, powerOfTwoScale, stageSize } from './stats';

/** Floats a default batch may take. */
const DEFAULT_BATCH_FLOATS = 1 << 22;

/** The route a source takes: the covariance in one pass where it fits, else passes over the data, else the game. */
function streamedRoute(d: number, info: SourceInfo, asked: PCASettings['solver'], name: string): Solver | 'stream' {
  const padded = padToPanels(d);
  const fits = 12 * padded * padded <= OPERATOR_BUDGET_BYTES;
  if (asked === 'gram') {
    throw new RangeError(`solver 'gram' needs every row in memory (its matrix is n × n): fit ${name} in memory, or use 'covariance' or 'data'`);
  }
  if (asked === 'covariance' && !fits) {
    throw new RangeError(`solver 'covariance' needs a ${d} × ${d} matrix of ${12 * padded * padded} bytes, more than ${OPERATOR_BUDGET_BYTES}: use solver 'data' or 'auto'`);
  }
  if (asked === 'data' && !info.rereadable) {
    throw new RangeError(`solver 'data' reads ${name} once per round, and it is a stream that can be read once: use 'covariance' or 'auto'`);
  }
  if (asked === 'covariance' || (asked === 'auto' && fits)) return 'covariance';
  return info.rereadable ? 'data' : 'stream';
}

/** Rows per batch of a source of rows of d values: the caller's, or 4096 within DEFAULT_BATCH_FLOATS (and ≥ 2k). */
export function batchSizeFor(settings: PCASettings, d: number): number {
  return settings.batchSize ?? Math.max(Math.min(4096, Math.floor(DEFAULT_BATCH_FLOATS / d)), 2 * settings.k, 2);
}

export async function pcaOfSource(source: MatrixSource, settings: PCASettings): Promise<PCAModel> {
  const { k, signal } = settings;
  signal?.throwIfAborted();
  const info = await source.info();
  const d = info.cols;
  checkDimensions(d, k);
  const batch = batchSizeFor(settings, d);
  const route = streamedRoute(d, info, settings.solver, source.name);
  if (route === 'covariance') return covarianceOfSource(source, settings, d, batch);
  if (route === 'data') return dataOfSource(source, settings, d, batch);
  return gameOfStream(source, settings, d, batch);
}

/** What a fit needs of a source's rows: two at least, k at least, and some variance. */
function checkRows(moments: ColumnMoments, settings: PCASettings, name: string): void {
  const { k, center } = settings;
  if (moments.rows < 2) throw new RangeError(`${name} has ${moments.rows} row; PCA needs at least 2`);
  if (k > moments.rows) throw new RangeError(`k = ${k} is larger than the number of rows (${moments.rows}) in ${name}`);
  if (!(moments.sumOfSquares(center) > 0)) throw new RangeError(`${name} has no variance: every row is the same`);
}

async function covarianceOfSource(source: MatrixSource, settings: PCASettings, d: number, batch: number): Promise<PCAModel> {
  const { rows } = await source.info();
  const summed = await sumSource(source, settings, d, batch, playerCount(settings.k, d), rows === null ? undefined : routeCosts(rows, d, settings.k).covariance);
  try {
    checkRows(summed.moments, settings, source.name);
    return await solveSummed(summed, settings);
  } finally {
    summed.engine.dispose();
  }
}

/**
 * The covariance route's one pass over a source, re-readable or not (each block centred at its own mean, merged
 * exactly): the sums in an engine with `players` players.
 */
export async function sumSource(
  source: MatrixSource, settings: PCASettings, d: number, batch: number, players: number, totalWork?: number,
): Promise<Summed> {
  const engine = await summingEngine(d, batch, players, settings, totalWork);
  const overflow = () => new RangeError(`${source.name}: the statistics of its values overflowed float64 (values beyond about 1e154)`);
  try {
    const { center, signal, onProgress } = settings;
    // A block's statistics are not finite when a value is not, or when they overflowed. A source that can leave its
    // check to the pass (a .npy file: the check cost more than the pass's own work on its values) is asked which;
    // the others refused such values as they read them.
    const unchecked = defersChecks(source) ? await source.uncheckedBatches(batch) : null;
    let current: RowBatch | null = null;
    const pass = new CovariancePass(engine, d, batch, center, source.name, () => {
      if (unchecked && current) unchecked.refuseNonFinite(current);
      throw overflow();
    }, signal);
    let batches = 0;
    for await (const rows of unchecked ? withTurns(unchecked.batches, signal) : batchesOf(source, batch, undefined, signal)) {
      current = rows;
      const { data } = rows;
      if (data instanceof Float32Array) await pass.addFloat32(rows.rows, data);
      else await pass.add(rows.rows, (first, count, into) => into.set(data.subarray(first * d, (first + count) * d)));
      onProgress?.({
        step: ++batches, maxSteps: settings.maxSteps, batchSize: rows.rows, utilities: new Float64Array(0),
        residuals: new Float64Array(0), residual: Infinity, remaining: Infinity, epoch: 1, rowsRead: pass.moments.rows,
      });
    }
    await pass.finish();
    if (!pass.moments.finite()) throw overflow();
    return { engine, moments: pass.moments, passes: 1 };
  } catch (error) {
    engine.dispose();
    throw error;
  }
}

/** Stages a batch's rows a block at a time and calls `visit(first, count)` (rows relative to the batch). */
function forEachGroup(rows: RowBatch, stager: Stager, visit: (first: number, count: number) => void): void {
  const { data, cols } = rows;
  for (let first = 0; first < rows.rows; first += STAGE_ROWS) {
    const count = Math.min(STAGE_ROWS, rows.rows - first);
    stager.rows(count).set(data.subarray(first * cols, (first + count) * cols));
    visit(first, count);
  }
}

/** The statistics of a source that can be read again: its exact moments, in one pass. */
async function sourceMoments(source: MatrixSource, stager: Stager, d: number, batch: number, signal?: AbortSignal): Promise<ColumnMoments> {
  const moments = new ColumnMoments(d);
  for await (const rows of batchesOf(source, batch, undefined, signal)) forEachGroup(rows, stager, (_first, count) => stager.measure(count, moments));
  if (!moments.finite()) throw new RangeError(`${source.name}: the statistics of its values overflowed float64 (values beyond about 1e154)`);
  return moments;
}

/**
 * The data route for a source that can be read again: the statistics pass, then rounds of the players on XᵀX / n,
 * each a pass over the source (the devices sum each batch's XᵀX V), judged and moved in this thread.
 */
async function dataOfSource(source: MatrixSource, settings: PCASettings, d: number, batch: number): Promise<PCAModel> {
  const { k, center, signal, onProgress, maxSteps, tol } = settings;
  const players = playerCount(k, d);
  const engine = await Engine.create(
    { d, k: players, rowCapacity: batch, play: true, stage: stageSize(d) }, PLAY_SETTINGS,
    { ...settings.engine, workPerStep: 4 * batch * d * players },
  );
  try {
    const stager = new Stager(engine, d);
    const moments = await sourceMoments(source, stager, d, batch, signal);
    checkRows(moments, settings, source.name);
    const centring = { mean: moments.subtracted(center), scale: powerOfTwoScale(moments, center, source.name) };
    const n = moments.rows;
    startPlayers(engine, d, settings.seed);
    const { kernels, plan, memory } = engine.hostKernels();
    const judge = new Players(kernels, memory, plan);
    const share = new PlayerShare(kernels, memory, plan, 0, 1);
    const product = new Float64Array(players * d);
    const unscale = n / (n - 1) / (centring.scale * centring.scale);
    let outcome: RoundOutcome = { remaining: Infinity, residual: Infinity, converged: false, stop: false };
    let round = 0;
    while (!outcome.stop) {
      round++;
      product.fill(0);
      for await (const rows of batchesOf(source, batch, undefined, signal)) {
        forEachGroup(rows, stager, (first, count) => stager.pack(count, first, centring, { kind: 'plain' }));
        await engine.run({ kind: 'product', rows: rows.rows }, undefined, signal);
        // The mean reduction left G = XᵀX V ÷ the batch's rows.
        const part = engine.gradient();
        for (let i = 0; i < product.length; i++) product[i] += part[i] * rows.rows;
      }
      const g = engine.gradient();
      for (let i = 0; i < product.length; i++) g[i] = product[i] / n;
      outcome = playRound(share, judge, round, { k, tol, maxSteps, checkEvery: 1 }, () => {})!;
      onProgress?.({
        ...progressOf({ ...outcome, steps: round, utilities: engine.utilities(), squaredResiduals: engine.players().squaredResiduals }, k, maxSteps, batch, unscale),
        epoch: round + 1, rowsRead: n * (round + 1),
      });
    }
    const top = ritzVectors(engine, k);
    const residuals = engine.players().squaredResiduals.slice(0, top.values.length).map((square) => Math.sqrt(square) * unscale);
    return componentsModel({
      ...top, width: d, d, values: top.values.map((value) => value * unscale), residuals, ending: outcome.ending,
      totalVariance: moments.totalVariance(center),
      mean: centring.mean, n, backend: engine.backend, solver: 'data', converged: outcome.converged,
      remaining: outcome.remaining, settings, passes: round + 1, rounds: round,
    });
  } finally {
    engine.dispose();
  }
}

/** The data's variance per unit of the players' operator (XᵀX / n of rows scaled by `scale`). */
function unscaleOf(n: number, scale: number): number {
  return n / (n - 1) / (scale * scale);
}

/** Steps between the one-shot game's subspace checks (and progress reports). */
const CHECK_EVERY = 10;
/** Checks without the subspace settling, after which step sizes are halved. */
const PATIENCE = 3;
/** Step sizes are never scaled below this (2⁻¹²). */
const MIN_RATE_SCALE = 1 / 4096;
/** Weight of the past in the one-shot game's average utilities (about the last 50 steps count). */
const UTILITY_DECAY = 0.98;

/**
 * A one-shot stream too wide for the covariance: the game on each batch once (pca's per-player rates, halved when
 * the subspace stops settling), each batch centred at the running mean of the rows read so far. The model is the
 * game's vectors in the players' order, with the players' utilities averaged over the last steps as variances.
 */
async function gameOfStream(source: MatrixSource, settings: PCASettings, d: number, batch: number): Promise<PCAModel> {
  const { k, center, signal, onProgress, maxSteps, tol } = settings;
  const engine = await Engine.create(
    { d, k, rowCapacity: batch, stage: stageSize(d) }, PCA_SETTINGS, { ...settings.engine, workPerStep: 4 * batch * d * k },
  );
  try {
    startPlayers(engine, d, settings.seed);
    const stager = new Stager(engine, d);
    const moments = new ColumnMoments(d);
    const convergence = new ConvergenceEstimate();
    const averageUtility = new Float64Array(k);
    let averageWeight = 0;
    let scale = 0;
    let rateScale = 1;
    let checksSinceAnneal = 0;
    let stalled = 0;
    let step = 0;
    for await (const rows of batchesOf(source, batch, undefined, signal)) {
      forEachGroup(rows, stager, (_first, count) => {
        const block = new ColumnMoments(d);
        stager.measure(count, block);
        if (scale === 0) scale = tolerantScale(block, center, source.name);
        moments.merge(count, block.mean, block.squares);
      });
      const centring = { mean: moments.subtracted(center), scale };
      forEachGroup(rows, stager, (first, count) => stager.pack(count, first, centring, { kind: 'plain' }));
      await engine.run(
        { kind: 'windows', rows: rows.rows, batchSize: rows.rows, steps: 1, reportEvery: 1, rule: 'rayleigh', rateScale },
        undefined, signal,
      );
      step++;
      const utilities = engine.utilities();
      // A step's utilities are those of V before it: step 1's are of the random start, so the average starts over
      // at step 2 (step 1's stand only for a stream of one batch). Divided by its weight (as Adam's moments are), a
      // short stream's few steps count in full instead of next to the zeros the average starts from.
      if (step === 2) averageUtility.fill(0), (averageWeight = 0);
      for (let i = 0; i < k; i++) averageUtility[i] = UTILITY_DECAY * averageUtility[i] + (1 - UTILITY_DECAY) * utilities[i];
      averageWeight = UTILITY_DECAY * averageWeight + (1 - UTILITY_DECAY);
      if (step % CHECK_EVERY === 0) {
        convergence.observe(engine.vectors(), k, d);
        // The estimate needs three moves (four checks) before "not settling" means anything.
        if (++checksSinceAnneal < 4 || Number.isFinite(convergence.remaining)) {
          stalled = 0;
        } else if (++stalled >= PATIENCE && rateScale > MIN_RATE_SCALE) {
          rateScale /= 2;
          stalled = 0;
          checksSinceAnneal = 0;
        }
        onProgress?.({
          step, maxSteps, batchSize: rows.rows, utilities: utilities.map((value) => value * unscaleOf(moments.rows, scale)),
          residuals: new Float64Array(k).fill(NaN), residual: Infinity, remaining: convergence.remaining, epoch: 1,
          rowsRead: moments.rows, rateScale,
        });
      }
      if (step >= maxSteps) break;
    }
    checkRows(moments, settings, source.name);
    const vectors = Float64Array.from(engine.vectors());
    const unscale = unscaleOf(moments.rows, scale);
    const capped = step >= maxSteps;
    return componentsModel({
      vectors, width: d, d, values: averageUtility.map((value) => (value / averageWeight) * unscale), totalVariance: moments.totalVariance(center),
      mean: moments.subtracted(center), n: moments.rows, backend: engine.backend, solver: 'stream',
      converged: convergence.remaining < tol, remaining: convergence.remaining, settings, passes: 1, rounds: step,
      cap: capped
        ? { what: `maxSteps = ${maxSteps} steps`, advice: 'raise maxSteps or tol' }
        : { what: `the stream ended (${step} steps)`, advice: 'fit from a file instead: it can be read again, for exact passes' },
    });
  } finally {
    engine.dispose();
  }
}
