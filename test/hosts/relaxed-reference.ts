// The conformance cases on the relaxed-SIMD kernels, printed as JSON: run by reference.ts in a Node started with
// --experimental-wasm-relaxed-simd (Node 20 validates relaxed SIMD only behind that flag), so that browsers, which
// pick the relaxed builds, have Node's bits of the same arithmetic to match.
import { readFileSync } from 'node:fs';
import * as eigengame from '../../src/entries/node';
import { runCases } from './cases.mjs';

const found = await eigengame.init({ relaxedSimd: true });
if (found.arithmetic !== 'relaxed-simd') throw new Error(`expected the relaxed-SIMD kernels, the host runs ${found.arithmetic}`);
const golden = JSON.parse(readFileSync(new URL('../fixtures/golden/seed-small.json', import.meta.url), 'utf8'));
process.stdout.write(JSON.stringify(await runCases(eigengame, { devices: 1, golden })));
