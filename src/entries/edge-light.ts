// The package entry for Vercel's edge runtime and Next.js edge routes (`edge-light` condition): their bundlers turn
// a `.wasm?module` import into a WebAssembly.Module, so no init() is needed there.
import kernels from '../../wasm/eigengame.simd.wasm?module';
import { installHost } from '../hosts/host';
import { edgeHost } from '../hosts/edge';

installHost(edgeHost(kernels));

export * from '../api';
