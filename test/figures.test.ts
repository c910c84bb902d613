// The figures that README.md and docs/*.md quote (the package's size and files, the benchmark's numbers) are what
// scripts/figures.mjs writes from `npm pack --dry-run` and bench/results.md: a document that drifts from its
// sources fails here (run `node scripts/figures.mjs` to rewrite the blocks).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blocksOf, documents, figures, sameFigures } from '../scripts/figures.mjs';

describe('the figures in README.md and docs/', () => {
  it("are what scripts/figures.mjs writes from npm pack, bench/results.md and the package's own fits", async () => {
    const differences = await figures({ check: true });
    expect(differences.map(({ document, name, documented, written }) => `${document} figures:${name}\n--- documented\n${documented}\n+++ written\n${written}`)).toEqual([]);
  }, 120_000);

  it('quote the package, the headline numbers, every benchmark table and the sparse comparison', () => {
    const names = documents().flatMap((document) => blocksOf(readFileSync(new URL(`../${document}`, import.meta.url), 'utf8')).map(({ name }) => `${document}:${name}`));
    expect(names).toEqual(expect.arrayContaining(['README.md:pack', 'README.md:headline', 'docs/performance.md:bench', 'docs/performance.md:sparse', 'docs/design.md:pack', 'docs/generalized.md:sklearn']));
  });

  it('let sizes in kB lag by the stated tolerance, and nothing else', () => {
    expect(sameFigures('`npm pack`: 320 kB (1214 kB unpacked), 19 files', '`npm pack`: 330 kB (1190 kB unpacked), 19 files')).toBe(true);
    expect(sameFigures('`npm pack`: 320 kB (1214 kB unpacked), 19 files', '`npm pack`: 400 kB (1214 kB unpacked), 19 files')).toBe(false);
    expect(sameFigures('`npm pack`: 320 kB (1214 kB unpacked), 19 files', '`npm pack`: 320 kB (1214 kB unpacked), 18 files')).toBe(false);
    expect(sameFigures('| 0.58–2.71× |', '| 0.58–2.72× |')).toBe(false);
  });
});
