// Where each kernel build lies, next to the package: literal `new URL(…, import.meta.url)` expressions, one per build,
// so that bundlers see every file (rollup re-expresses them relative to dist/ in the package's bundles). The Node and
// browser hosts read the same files, by path and by fetch.

import type { BuildName } from './host';

export function kernelFile(build: BuildName): URL {
  switch (build) {
    case 'simd': return new URL('../../wasm/eigengame.simd.wasm', import.meta.url);
    case 'threads': return new URL('../../wasm/eigengame.threads.wasm', import.meta.url);
    case 'relaxed': return new URL('../../wasm/eigengame.relaxed.wasm', import.meta.url);
    case 'relaxed-threads': return new URL('../../wasm/eigengame.relaxed-threads.wasm', import.meta.url);
  }
}
