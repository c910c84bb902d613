// The package entry for Vercel's edge runtime and Next.js edge routes (`edge-light` condition): their bundlers turn
// a `.wasm?module` import into a WebAssembly.Module, so no init() is needed there.
import kernels from '../../wasm/eigengame.simd.wasm?module';
import { installHost } from '../host';
import { edgeHost } from '../host-edge';

installHost(edgeHost(kernels));

export * from '../api';
