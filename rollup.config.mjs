// Bundles src/ into one ESM and one CJS file plus one .d.ts. The wasm builds stay separate files in wasm/,
// found at run time through `new URL('../wasm/…', import.meta.url)`, which rollup keeps as written (and turns
// into a file URL of __filename in the CJS build).
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const external = [/^node:/];

export default [
  {
    input: 'src/index.ts',
    external,
    plugins: [typescript({ tsconfig: './tsconfig.build.json' })],
    output: [
      { file: 'dist/index.js', format: 'es', sourcemap: true },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', dynamicImportInCjs: false },
    ],
  },
  {
    input: 'src/index.ts',
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
