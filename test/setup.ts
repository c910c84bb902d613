// Every test file runs on the Node host, as `import 'eigengame'` in Node would: files that import src/ modules
// directly (kernels, devices) need a host installed all the same. The project (vitest.config.ts) names the kernel
// arithmetic its tests are for; a host that cannot give it fails the file instead of testing the other one.
import { init } from '../src/entries/node';
import type { Arithmetic } from '../src/kernels/exports';

export const testArithmetic = (process.env.EIGENGAME_TEST_ARITHMETIC ?? 'simd') as Arithmetic;

const found = await init({ relaxedSimd: testArithmetic === 'relaxed-simd' });
if (found.arithmetic !== testArithmetic) {
  throw new Error(
    `this test project is for the ${testArithmetic} kernels, but the host runs ${found.arithmetic} `
      + `(relaxed SIMD validated: ${found.relaxedSimd}; Node 20 needs --experimental-wasm-relaxed-simd)`,
  );
}
