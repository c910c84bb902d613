// `eigengame/edge`: for any host that forbids compiling wasm from bytes. Nothing is loaded until the application
// hands over the kernels: `init({ module })` with eigengame.simd.wasm imported as a WebAssembly.Module.
import { installHost } from '../hosts/host';
import { edgeHost } from '../hosts/edge';

installHost(edgeHost(null));

export * from '../api';
