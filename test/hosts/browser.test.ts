// Real Chromium, loading the packed package's dist/browser.js as a page does without a bundler. A page served with
// COOP/COEP runs the conformance cases on 2 module Web Workers; a page without those headers falls back to one
// in-thread device. Both must give the reference bits, and neither may block the page's main thread.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { runPage, useChromium } from './chromium';
import { expectSameBits, expectedBuild, reference, type CaseResults } from './reference';
import { chromiumMissing, describeIfAvailable } from './requirements';
import { serve, type StaticServer } from './server';

const packed = inject('packed');
const repository = new URL('../..', import.meta.url).pathname;

const page = `<!doctype html><meta charset="utf-8"><title>eigengame conformance</title>
<script type="module">
  import * as eigengame from '/pkg/dist/browser.js';
  import { runCases } from '/repo/test/hosts/cases.mjs';
  import { report } from '/repo/test/hosts/page-harness.mjs';
  report(async () => {
    const golden = await (await fetch('/repo/test/fixtures/golden/seed-small.json')).json();
    return runCases(eigengame, { devices: 2, golden });
  });
</script>`;

describeIfAvailable('Chromium, no bundler', chromiumMissing(), () => {
  const browser = useChromium();
  const servers: StaticServer[] = [];
  const origins: Record<'isolated' | 'plain', string> = { isolated: '', plain: '' };

  beforeAll(async () => {
    const mounts = { '/pkg/': join(packed.consumer, 'node_modules/eigengame'), '/repo/': repository };
    for (const isolated of [true, false]) {
      const server = await serve(mounts, { isolated, pages: { '/': page } });
      servers.push(server);
      origins[isolated ? 'isolated' : 'plain'] = server.origin;
    }
  });
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('a cross-origin-isolated page runs on 2 module Web Workers with the reference bits', async () => {
    const result = await runPage<CaseResults>(browser(), `${origins.isolated}/`);
    expect(result.crossOriginIsolated).toBe(true);
    // Chromium validates relaxed SIMD: the feature detection must pick the fused builds there.
    expect(result.capabilities).toMatchObject({ host: 'browser', threads: true, threadsUnavailable: null, arithmetic: 'relaxed-simd' });
    expect(result.startDevices).toEqual({ warm: 2 });
    expect(result.pca.backend).toEqual({ kind: 'workers', devices: 2, build: 'relaxed-threads' });
    expect(result.golden!.backend).toMatchObject({ kind: 'workers', devices: 2 });
    expect(result.warnings).toEqual([]);
    expect(result.mainThreadWaits).toBe(0);
    expectSameBits(result, await reference('relaxed-simd'));
  }, 120_000);

  it('a page that is not isolated falls back to one in-thread device, says why, and gives the same bits', async () => {
    const result = await runPage<CaseResults>(browser(), `${origins.plain}/`);
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.capabilities).toMatchObject({ host: 'browser', threads: false });
    expect(result.capabilities.threadsUnavailable).toMatch(/not cross-origin isolated/);
    expect(result.startDevices).toEqual({ refused: `startDevices: device workers need threads, but ${result.capabilities.threadsUnavailable}` });
    expect(result.pca.backend).toMatchObject({ kind: 'in-thread', devices: 1, build: expectedBuild(result.capabilities.arithmetic, 'in-thread') });
    expect(result.warnings.length).toBeGreaterThan(0);
    for (const warning of result.warnings) expect(warning).toMatch(/2 devices need threads, but the page is not cross-origin isolated/);
    expect(result.mainThreadWaits).toBe(0);
    expectSameBits(result, await reference(result.capabilities.arithmetic));
  }, 120_000);
});
