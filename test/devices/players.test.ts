// pca's players between two products (src/devices/players.ts), driven directly on one memory: the rounds that the
// devices share by column chunks against the reference of a round in order, on one device and on three.

import { describe, expect, it } from 'vitest';
import { planMemory, type MemoryPlan } from '../../src/devices/memory';
import { moveChunks } from '../../src/devices/partition';
import { PlayerShare, Players, playRound, type PlayGoal } from '../../src/devices/players';
import type { KernelExports } from '../../src/kernels/exports';
import { createMemory, instantiate } from '../../src/kernels/load';
import { expectClose } from '../helpers/expect-close';
import { normals } from '../helpers/random';
import * as ref from '../helpers/reference';
import { testArithmetic } from '../setup';

const build = testArithmetic === 'relaxed-simd' ? 'relaxed-threads' : 'threads';

interface Bench {
  kernels: KernelExports;
  memory: WebAssembly.Memory;
  plan: MemoryPlan;
  f32(at: number, length: number): Float32Array;
}

/** p players of length d on `devices` devices' plan, with G, V (orthonormal rows) and U from seeds. */
async function bench(p: number, d: number, devices: number, images?: Float32Array): Promise<Bench> {
  const memory = createMemory(build, 256);
  const kernels = await instantiate(build, memory);
  const plan = planMemory({ d, k: p, optimizerSlots: 0, rowCapacity: 0, devices, play: true }, kernels.heapBase());
  const f32 = (at: number, length: number) => new Float32Array(memory.buffer, at, length);
  f32(plan.g, p * d).set(images ?? normals(1, p * d, 2));
  f32(plan.v, p * d).set(ref.normalizeRows(normals(2, p * d), p, d));
  f32(plan.players!.u, p * d).set(normals(3, p * d, 0.2));
  return { kernels, memory, plan, f32 };
}

/** A round without a check (checkEvery 2, round 1): the quotients, then the move. */
const goal: PlayGoal = { k: 3, tol: 1e-6, checkEvery: 2, maxSteps: 10 };

/** β as device 0 takes it: a quarter of the smallest Rayleigh quotient's square. */
function betaOf(b: Bench, p: number, d: number): number {
  const g = b.f32(b.plan.g, p * d);
  const v = b.f32(b.plan.v, p * d);
  let smallest = Infinity;
  for (let i = 0; i < p; i++) smallest = Math.min(smallest, ref.crossDots(v.subarray(i * d, (i + 1) * d), 1, g.subarray(i * d, (i + 1) * d), 1, d)[0]);
  return Math.fround((Math.max(0, smallest) / 2) ** 2);
}

describe("pca's players' rounds, shared by column chunks", () => {
  const [p, d] = [7, 301];

  it('a move is Gram–Schmidt of G − βU in the players\' order (the reference of a round in order), with the momentum carried', async () => {
    expect(moveChunks(p, d).count, 'several chunks, or the sums are not shared').toBeGreaterThan(3);
    const b = await bench(p, d, 1);
    const expected = ref.play(b.f32(b.plan.g, p * d).slice(), b.f32(b.plan.v, p * d).slice(), b.f32(b.plan.players!.u, p * d).slice(), p, d, betaOf(b, p, d));
    const outcome = playRound(new PlayerShare(b.kernels, b.memory, b.plan, 0, 1), new Players(b.kernels, b.memory, b.plan), 1, goal, () => {});
    expect(outcome?.stop).toBe(false);
    const positions = b.f32(b.plan.v, p * d);
    expectClose(positions, expected.v, 2 ** -18, undefined, 'positions');
    expectClose(b.f32(b.plan.players!.u, p * d), expected.u, 2 ** -16, Float64Array.from(expected.u, (x) => 1 + Math.abs(x)), 'momentum');
    const overlaps = ref.crossDots(positions, p, positions, p, d);
    overlaps.forEach((value, at) => expect(Math.abs(value - (at % (p + 1) === 0 ? 1 : 0))).toBeLessThan(1e-6));
    // The factor's path ran, not the round in order: the two round differently.
    const inOrder = await bench(p, d, 1);
    inOrder.kernels.play(inOrder.plan.g, inOrder.plan.v, inOrder.plan.players!.u, p, d, betaOf(inOrder, p, d), 0, inOrder.plan.players!.row);
    expect(positions).not.toEqual(inOrder.f32(inOrder.plan.v, p * d));
  });

  it('three devices taking their chunks leave the same bits as one device taking them all', async () => {
    const one = await bench(p, d, 1);
    playRound(new PlayerShare(one.kernels, one.memory, one.plan, 0, 1), new Players(one.kernels, one.memory, one.plan), 1, goal, () => {});
    const three = await bench(p, d, 3);
    const shares = [0, 1, 2].map((device) => new PlayerShare(three.kernels, three.memory, three.plan, device, 3));
    const players = new Players(three.kernels, three.memory, three.plan);
    // The phases of playRound with the barriers between them, device by device.
    for (const share of shares) share.sumDots(false);
    players.afterDots(1, goal, false);
    for (const share of shares) share.sumGram();
    players.factorMove();
    for (const share of shares) share.apply();
    expect(three.f32(three.plan.v, p * d)).toEqual(one.f32(one.plan.v, p * d));
    expect(three.f32(three.plan.players!.u, p * d)).toEqual(one.f32(one.plan.players!.u, p * d));
  });

  it('directions too close to singular for the factor are moved in order, as assembly/play.ts moves them', async () => {
    // Two images the same: W is singular, no Cholesky factor keeps its rows orthonormal.
    const images = normals(1, p * d, 2);
    images.copyWithin(2 * d, d, 2 * d);
    const b = await bench(p, d, 1, images);
    const beta = betaOf(b, p, d);
    const floor = 1e-12 * Math.max(...Array.from({ length: p }, (_, i) => ref.crossDots(b.f32(b.plan.v + i * d * 4, d), 1, b.f32(b.plan.g + i * d * 4, d), 1, d)[0]));
    const copy = await bench(p, d, 1, images);
    copy.kernels.play(copy.plan.g, copy.plan.v, copy.plan.players!.u, p, d, beta, floor, copy.plan.players!.row);
    playRound(new PlayerShare(b.kernels, b.memory, b.plan, 0, 1), new Players(b.kernels, b.memory, b.plan), 1, goal, () => {});
    expect(b.f32(b.plan.v, p * d)).toEqual(copy.f32(copy.plan.v, p * d));
    expect(b.f32(b.plan.players!.u, p * d)).toEqual(copy.f32(copy.plan.players!.u, p * d));
  });
});
