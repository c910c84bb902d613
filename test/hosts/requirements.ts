// Suites that need a program from outside npm (Chromium, workerd): when it is missing they say so loudly and are
// reported as skipped; under CI=true a missing program fails the run instead.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

export const inCI = Boolean(process.env.CI) && process.env.CI !== 'false';

/** Registers `body` as the suite `name` if `missing` is null; otherwise a loud skip (or, in CI, a failure). */
export function describeIfAvailable(name: string, missing: string | null, body: () => void): void {
  if (missing === null) {
    describe(name, body);
    return;
  }
  const message = `${name}: NOT RUN: ${missing}`;
  if (inCI) {
    describe(name, () => it('has what it needs (CI=true: a missing requirement fails the run)', () => {
      throw new Error(message);
    }));
    return;
  }
  const rule = '!'.repeat(Math.min(message.length, 110));
  console.warn(`\n${rule}\n${message}\n${rule}\n`);
  describe.skip(`${name} [NOT RUN: ${missing}]`, () => it('needs what is missing', () => {}));
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/** The Chromium to drive: $CHROMIUM_PATH, or the first of the usual system paths that exists. */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return CHROMIUM_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

export const chromiumMissing = (): string | null =>
  chromiumPath() === null
    ? `no Chromium at $CHROMIUM_PATH or ${CHROMIUM_CANDIDATES.join(', ')} (install it: apt-get install chromium)`
    : null;

/** Why the sharded example cannot run here (no redis-server on the PATH), or null. */
export function redisMissing(): string | null {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? null : 'no redis-server on the PATH (install it: apt-get install redis-server)';
}
