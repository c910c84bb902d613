// Bundles the package entries (src/entries/) into dist/: each entry is its host's code (src/hosts/) over shared
// core chunks that no host's specifics reach, so a browser or edge bundle has no node: imports and an edge bundle
// no Worker URL. The device workers (workers/) and the CJS build are each one self-contained file; a worker file has
// no imports, so asset plugins can copy it as it is. Comlink is bundled in: no runtime dependencies. The wasm builds
// stay separate files in wasm/, referenced by literal `new URL('…', import.meta.url)` expressions that bundlers
// recognise (re-expressed relative to dist/, where every bundle lands), and the workerd and edge-light entries'
// `.wasm` imports are kept as imports for the host's bundler. One .d.ts serves every entry.
import { basename, dirname, relative, resolve } from 'node:path';
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

const dist = resolve('dist');

/**
 * `new URL('<relative>', import.meta.url)` in a source module names a file relative to that module (src/hosts/ in the
 * tests); in the bundle it must name it relative to dist/. The expression stays a literal, so bundlers still see it.
 */
const assetUrls = {
  name: 'asset-urls',
  transform(code, id) {
    const pattern = /new URL\('(\.\.?\/[^']*)', import\.meta\.url\)/g;
    if (!pattern.test(code)) return null;
    return code.replace(pattern, (_, path) => {
      const fromDist = relative(dist, resolve(dirname(id), path)).replaceAll('\\', '/');
      return `new URL('${fromDist.startsWith('.') ? fromDist : `./${fromDist}`}', import.meta.url)`;
    });
  },
};

const plugins = () => [assetUrls, wasmImports, nodeResolve(), typescript({ tsconfig: './tsconfig.build.json' })];

/** One self-contained file from one input (a device worker, or the CJS build). */
function bundle(input, file, format = 'es') {
  return { input, external, plugins: plugins(), output: { file, format, exports: 'named', inlineDynamicImports: true } };
}

export default [
  {
    // The host entries share the host-independent code through chunks; each entry adds its host.
    input: {
      node: 'src/entries/node.ts',
      browser: 'src/entries/browser.ts',
      edge: 'src/entries/edge.ts',
      workerd: 'src/entries/workerd.ts',
      'edge-light': 'src/entries/edge-light.ts',
      cli: 'src/cli/main.ts',
    },
    external,
    plugins: plugins(),
    // No source maps: they would point at src/, which is not published (and a missing map makes dev servers complain).
    output: {
      dir: 'dist', format: 'es', chunkFileNames: 'core-[hash].js',
      banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
  bundle('src/entries/node.ts', 'dist/node.cjs', 'cjs'),
  bundle('workers/device.ts', 'dist/device.js'),
  bundle('workers/device-node.ts', 'dist/device-node.js'),
  {
    input: 'src/api.ts',
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
