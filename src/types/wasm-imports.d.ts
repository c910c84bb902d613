// A .wasm file imported as a module, as edge hosts' bundlers do it: a compiled WebAssembly.Module.
// Cloudflare's wrangler for `import m from './x.wasm'`, Vercel and Next.js for `import m from './x.wasm?module'`.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
