// The event loop's turns (src/hosts/turns.ts): a turn is a macrotask, due every 50 ms of work on the calling thread,
// and a long fit in this thread gives them at that cadence (the README's promise), whatever it is doing.

import { describe, expect, it } from 'vitest';
import { pca } from '../../src/entries/node';
import { TURN_EVERY_MS, turn, turnDue, yieldToEventLoop } from '../../src/hosts/turns';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';
import { turnsDuring } from '../helpers/event-loop';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('turns of the event loop', () => {
  it('a turn is a macrotask: an immediate set before it has run when it resolves (a chain of microtasks would not)', async () => {
    const ran: string[] = [];
    setImmediate(() => ran.push('immediate'));
    for (let i = 0; i < 100; i++) await Promise.resolve();
    ran.push('microtasks');
    await yieldToEventLoop();
    ran.push('turn');
    expect(ran).toEqual(['microtasks', 'immediate', 'turn']);
  });

  it('is due once 50 ms of work have passed since the last turn, and turn() gives it then only', async () => {
    expect(TURN_EVERY_MS).toBe(50);
    await yieldToEventLoop();
    expect(turnDue()).toBe(false);
    let immediates = 0;
    setImmediate(() => immediates++);
    await turn(); // not due: no macrotask
    expect(immediates).toBe(0);
    busy(TURN_EVERY_MS + 5);
    expect(turnDue()).toBe(true);
    await turn();
    expect(immediates).toBe(1);
    expect(turnDue()).toBe(false);
  });

  it('turn(signal) throws the reason of an abort that its turn let through', async () => {
    const controller = new AbortController();
    const reason = { aborted: 'by a timer' };
    setTimeout(() => controller.abort(reason), 0);
    busy(TURN_EVERY_MS + 5);
    await expect(turn(controller.signal)).rejects.toBe(reason);
  });
});

describe('the 50 ms cadence of a fit in this thread', () => {
  it('pca on one in-thread device gives the event loop a turn at least every few cadences while it plays', async () => {
    const X = plantedData({ n: 4000, d: 300, spectrum: gappedSpectrum(300, 10, 0.02), seed: 2 });
    const { outcome, turns, longestGap, duration } = await turnsDuring(() => pca(X, { k: 10, devices: 1, tol: 0, maxSteps: 400 }));
    expect(outcome).toHaveProperty('value.rounds', 400);
    // Measured here (2 cores shared by many jobs): about 1.5 s, a turn every 10–30 ms, gaps up to ~150 ms. Bounds for
    // a machine 5x slower and loaded: a turn per 10 cadences on average, and no gap above 20 cadences (1 s).
    expect(turns).toBeGreaterThanOrEqual(Math.max(3, Math.floor(duration / (10 * TURN_EVERY_MS))));
    expect(longestGap).toBeLessThan(20 * TURN_EVERY_MS);
  }, 60_000);
});
