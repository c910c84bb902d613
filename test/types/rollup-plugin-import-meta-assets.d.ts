// The plugin ships types that its package.json "exports" does not expose to TypeScript's resolver.
declare module '@web/rollup-plugin-import-meta-assets' {
  import type { Plugin } from 'rollup';
  export function importMetaAssets(options?: { include?: string[]; exclude?: string[]; warnOnError?: boolean }): Plugin;
}
