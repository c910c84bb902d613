// Bundles each package entry (src/entries/) and each device worker (workers/) into one self-contained file in
// dist/: every host gets only its own code (no node: imports in a browser or edge bundle, no Worker URL in an edge
// bundle), and a worker file has no imports, so asset plugins can copy it as it is. Comlink is bundled in: no
// runtime dependencies. The wasm builds stay separate files in wasm/: the `new URL('../wasm/…', import.meta.url)`
// and `new URL('../dist/device.js', import.meta.url)` expressions are kept as written (src/ and dist/ are both one
// level below the root, so they resolve from either); the workerd and edge-light entries import the .wasm file
// itself, kept as an import for the host's bundler. One .d.ts serves every entry.
import { basename } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const external = (id) => id.startsWith('node:');

/** Keeps `import kernels from '…/wasm/x.wasm'` (and `x.wasm?module`) as imports of ../wasm/x.wasm from dist/. */
const wasmImports = {
  name: 'wasm-imports',
  resolveId(source) {
    return /\.wasm(\?module)?$/.test(source) ? { id: `../wasm/${basename(source)}`, external: true } : null;
  },
};

/** One self-contained ES module (and optionally a CJS twin) from one input. */
function bundle(input, file, { cjs = false } = {}) {
  const outputs = [{ file: `dist/${file}.js`, format: 'es', sourcemap: true }];
  if (cjs) outputs.push({ file: `dist/${file}.cjs`, format: 'cjs', sourcemap: true, exports: 'named' });
  return {
    input,
    external,
    plugins: [wasmImports, nodeResolve(), typescript({ tsconfig: './tsconfig.build.json' })],
    output: outputs.map((output) => ({ ...output, inlineDynamicImports: true })),
  };
}

export default [
  bundle('src/entries/node.ts', 'node', { cjs: true }),
  bundle('src/entries/browser.ts', 'browser'),
  bundle('src/entries/edge.ts', 'edge'),
  bundle('src/entries/workerd.ts', 'workerd'),
  bundle('src/entries/edge-light.ts', 'edge-light'),
  bundle('workers/device.ts', 'device'),
  bundle('workers/device-node.ts', 'device-node'),
  {
    input: 'src/api.ts',
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
