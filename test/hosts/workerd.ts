// Cloudflare's workerd, the runtime of Cloudflare Workers, from its npm package. It is not a devDependency: the
// registry we install from serves its binary for Linux only, which leaves package-lock.json unusable for `npm ci`
// elsewhere; so the tests install this pinned version on first use into node_modules/.cache (gone with the next
// `npm ci`, like every other installed file).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export const WORKERD_VERSION = '1.20261117.1';
const prefix = new URL(`../../node_modules/.cache/eigengame-workerd-${WORKERD_VERSION}/`, import.meta.url).pathname;
const entry = `${prefix}node_modules/workerd/lib/main.js`;

/** The platform's workerd binary (the package's main module names it) and the newest compatibility date it knows. */
export function workerd(): { binary: string; compatibilityDate: string } {
  const { default: binary, compatibilityDate } = createRequire(import.meta.url)(entry) as { default: string; compatibilityDate: string };
  return { binary, compatibilityDate };
}

/** Installs workerd if needed; returns why it is not available, or null. */
export function workerdMissing(): string | null {
  if (!existsSync(entry)) {
    try {
      execFileSync('npm', [
        'install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `workerd@${WORKERD_VERSION}`,
      ], { stdio: 'pipe', timeout: 300_000 });
    } catch (error) {
      return `could not install workerd@${WORKERD_VERSION} from the npm registry: ${String(error).split('\n')[0]}`;
    }
  }
  try {
    execFileSync(workerd().binary, ['--version'], { stdio: 'pipe' });
  } catch (error) {
    return `workerd@${WORKERD_VERSION} does not run on this machine: ${String(error).split('\n')[0]}`;
  }
  return null;
}
