import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects, one per kernel arithmetic. `simd`: every test on the plain SIMD builds. `relaxed-simd`: the suites
 * that hold the numbers (kernels against their references, the golden trajectories, same bits on any number of
 * devices, pca against known eigenvectors) again on the relaxed-SIMD builds, which Node 20 runs only with V8's flag.
 * test/setup.ts fails a project whose host does not give it the arithmetic it is for.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // The sharded example's suite is node:test's, run inside the example by test/examples/sharded.test.ts.
    exclude: [...configDefaults.exclude, 'examples/**'],
    globalSetup: ['test/hosts/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'simd', env: { EIGENGAME_TEST_ARITHMETIC: 'simd' } } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: ['test/kernels/kernels.test.ts', 'test/game/golden.test.ts', 'test/devices/devices.test.ts', 'test/pca/pca.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { EIGENGAME_TEST_ARITHMETIC: 'relaxed-simd' },
        },
      },
    ],
  },
});
