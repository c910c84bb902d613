// The reference every host is compared with: the conformance cases run here, in Node, from the sources, and checked
// against the truth (the planted eigenvectors, the golden trajectory of the seed rule).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Arithmetic } from '../../src/kernels/exports';
import * as eigengame from '../../src/entries/node';
import { PLANTED, plantedCase, runCases } from './cases.mjs';

export interface CaseResults {
  capabilities: { host: string; threads: boolean; threadsUnavailable: string | null; arithmetic: Arithmetic };
  /** What startDevices gave before the fit: how many workers wait warm, or why the host has none (null: not asked). */
  startDevices: { warm: number } | { refused: string } | null;
  warnings: string[];
  pca: { backend: { kind: string; devices: number }; components: number[]; componentBits: string; varianceBits: string };
  golden?: { backend: { kind: string; devices: number }; trajectory: { utilities: number[]; V: number[]; bits: string }[] };
  crossOriginIsolated?: boolean;
  mainThreadWaits?: number;
}

export const goldenFile = new URL('../fixtures/golden/seed-small.json', import.meta.url);
export const golden = JSON.parse(readFileSync(goldenFile, 'utf8'));

const cached = new Map<Arithmetic, Promise<CaseResults>>();

/**
 * The cases in Node from src/, one in-thread device, on the kernels of `arithmetic`: plain SIMD in this process (the
 * test setup asks for it), relaxed SIMD in a child Node with V8's flag for it.
 */
export function reference(arithmetic: Arithmetic = 'simd'): Promise<CaseResults> {
  let results = cached.get(arithmetic);
  if (!results) {
    results = arithmetic === 'simd'
      ? runCases(eigengame, { devices: 1, golden }) as Promise<CaseResults>
      : Promise.resolve(JSON.parse(execFileSync(
        process.execPath,
        ['--experimental-wasm-relaxed-simd', '--import', 'tsx', new URL('./relaxed-reference.ts', import.meta.url).pathname],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      )) as CaseResults);
    cached.set(arithmetic, results);
  }
  return results;
}

const BUILDS = {
  simd: { 'in-thread': 'simd', workers: 'threads' },
  'relaxed-simd': { 'in-thread': 'relaxed', workers: 'relaxed-threads' },
} as const;

/** The build a backend of `kind` runs with `arithmetic`. */
export function expectedBuild(arithmetic: Arithmetic, kind: 'workers' | 'in-thread'): string {
  return BUILDS[arithmetic][kind];
}

/** The planted eigenvectors the pca case must find (k rows of d). */
export function plantedTruth(): { eigenvectors: Float64Array; k: number; d: number } {
  return { eigenvectors: plantedCase().eigenvectors, k: PLANTED.k, d: PLANTED.d };
}

/** Same bits as the reference: components and variances of pca, and V after every step of the golden case. */
export function expectSameBits(actual: CaseResults, expected: CaseResults): void {
  expect(actual.pca.componentBits, 'pca components').toBe(expected.pca.componentBits);
  expect(actual.pca.varianceBits, 'pca explained variances').toBe(expected.pca.varianceBits);
  // Every host runs the golden case (an app is handed the file): a result without it is a host that skipped it.
  expect(actual.golden, 'the golden case was run').toBeDefined();
  expect(actual.golden!.trajectory.length, 'golden case, steps').toBe(expected.golden!.trajectory.length);
  actual.golden!.trajectory.forEach((step, t) => {
    expect(step.bits, `golden case, V after step ${t + 1}`).toBe(expected.golden!.trajectory[t].bits);
    expect(step.utilities, `golden case, utilities of step ${t + 1}`).toEqual(expected.golden!.trajectory[t].utilities);
  });
}
