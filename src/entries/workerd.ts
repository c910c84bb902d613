// The package entry for Cloudflare Workers (`workerd` condition): wrangler turns this .wasm import into a
// WebAssembly.Module (its default rule for *.wasm), so no init() is needed there.
import kernels from '../../wasm/eigengame.simd.wasm';
import { installHost } from '../hosts/host';
import { edgeHost } from '../hosts/edge';

installHost(edgeHost(kernels));

export * from '../api';
