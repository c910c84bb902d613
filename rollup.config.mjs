// Bundles src/ into one ESM and one CJS entry plus one .d.ts, and the device worker (workers/device.ts) into
// dist/device.js, an ES module that the ESM entry shares its chunks with. Comlink is bundled in, so the worker
// and the package run in a page without a bundler. The wasm builds stay separate files in wasm/, found at run
// time through `new URL('../wasm/…', import.meta.url)`, and the worker through `new URL('../dist/device.js', …)`:
// rollup keeps both as written (and turns import.meta.url into a file URL of __filename in the CJS build).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const external = [/^node:/];
const plugins = () => [nodeResolve(), typescript({ tsconfig: './tsconfig.build.json' })];

export default [
  {
    input: { index: 'src/index.ts', device: 'workers/device.ts' },
    external,
    plugins: plugins(),
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'shared-[hash].js' },
  },
  {
    input: 'src/index.ts',
    external,
    plugins: plugins(),
    output: { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', dynamicImportInCjs: false, inlineDynamicImports: true },
  },
  {
    input: 'src/index.ts',
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
