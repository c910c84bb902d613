// scripts/build-if-stale.mjs (`npm run build`): a step runs when an output is missing or an input is newer than the
// oldest output, and is skipped otherwise; --force runs every step. File times are set explicitly (no sleeping).

import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEPS, buildIfStale, staleReason } from '../../scripts/build-if-stale.mjs';

const step = { name: 'bundle', inputs: ['src', 'config.json'], outputs: ['out/a.js', 'out/b.js'], script: 'build:bundle' };
const HOUR = 3600_000;
let root = '';

function write(path: string, time: number): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), path);
  utimesSync(join(root, path), new Date(time), new Date(time));
}

/** Builds with a fake npm that writes the step's outputs; returns the scripts it ran and the lines it printed. */
function build(force = false) {
  const ran: string[] = [];
  const lines: string[] = [];
  const status = buildIfStale(root, {
    steps: [step], force, log: (line: string) => lines.push(line),
    run: (_: string, script: string) => {
      ran.push(script);
      step.outputs.forEach((path) => write(path, Date.now()));
      return 0;
    },
  });
  return { status, ran, lines };
}

describe('build-if-stale', () => {
  const past = Date.now() - 10 * HOUR;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'eigengame-build-'));
    write('src/deep/module.ts', past);
    write('config.json', past);
    step.outputs.forEach((path) => write(path, past + HOUR));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('skips a step whose outputs are newer than every input, and says so', () => {
    expect(staleReason(root, step)).toBeNull();
    const { status, ran, lines } = build();
    expect({ status, ran }).toEqual({ status: 0, ran: [] });
    expect(lines).toEqual(['build: bundle up to date (2 files newer than src, config.json): skipped']);
  });

  it('rebuilds when an input deep in a directory, or a single input file, is newer than the oldest output', () => {
    write('out/b.js', past + 3 * HOUR);
    write('src/deep/module.ts', past + 2 * HOUR);
    expect(staleReason(root, step)).toBe('src/deep/module.ts changed since the last build');
    expect(build().ran).toEqual(['build:bundle']);
    expect(build().ran).toEqual([]);
    write('config.json', Date.now() + HOUR);
    expect(build().ran).toEqual(['build:bundle']);
  });

  it('rebuilds when an output is missing (a fresh clone has none)', () => {
    rmSync(join(root, 'out/b.js'));
    expect(staleReason(root, step)).toBe('out/b.js is missing');
    rmSync(join(root, 'out'), { recursive: true });
    const { ran, lines } = build();
    expect(ran).toEqual(['build:bundle']);
    expect(lines[0]).toBe('build: bundle: out/a.js is missing: npm run build:bundle');
  });

  it('runs every step with force, even when nothing changed', () => {
    expect(build(true).ran).toEqual(['build:bundle']);
  });

  it('dates the outputs to when the step started, so an input edited during the build rebuilds next time', () => {
    const before = Date.now();
    const status = buildIfStale(root, {
      steps: [step], force: true, log: () => {},
      run: () => {
        write('src/deep/module.ts', before + HOUR);
        step.outputs.forEach((path) => write(path, before + 2 * HOUR));
        return 0;
      },
    });
    expect(status).toBe(0);
    expect(statSync(join(root, 'out/a.js')).mtimeMs).toBeLessThan(before + HOUR);
    expect(staleReason(root, step)).toBe('src/deep/module.ts changed since the last build');
  });

  it('stops at a failing step with its status, and at a step that did not write its outputs', () => {
    const steps = [step, { ...step, name: 'second', script: 'build:second' }];
    const ran: string[] = [];
    expect(buildIfStale(root, { steps, force: true, log: () => {}, run: (_: string, script: string) => (ran.push(script), 3) })).toBe(3);
    expect(ran).toEqual(['build:bundle']);
    rmSync(join(root, 'out'), { recursive: true });
    const lines: string[] = [];
    expect(buildIfStale(root, { steps, log: (line: string) => lines.push(line), run: () => 0 })).toBe(1);
    expect(lines.at(-1)).toBe('build: bundle: npm run build:bundle did not write out/a.js');
  });

  it('covers the project\'s own build: every input and output it names, and scripts that exist', async () => {
    const project = new URL('../..', import.meta.url).pathname;
    const scripts = (await import('../../package.json', { with: { type: 'json' } })).default.scripts as Record<string, string>;
    for (const { inputs, script } of STEPS) {
      expect(scripts[script], script).toBeDefined();
      for (const input of inputs) expect(() => statSync(join(project, input)), input).not.toThrow();
    }
    const [wasm, bundles] = STEPS;
    expect(wasm.inputs).toEqual(expect.arrayContaining(['assembly', 'asconfig.json', 'package.json']));
    expect(bundles.inputs).toEqual(expect.arrayContaining(['src', 'workers', 'rollup.config.mjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json']));
    // Every file a build writes is an output: the wasm targets of asconfig.json, the bundles of rollup.config.mjs.
    const asconfig = (await import('../../asconfig.json', { with: { type: 'json' } })).default as { targets: Record<string, { outFile: string }> };
    expect([...wasm.outputs].sort()).toEqual(Object.values(asconfig.targets).map(({ outFile }) => outFile).sort());
    for (const output of bundles.outputs) expect(statSync(join(project, output)).isFile(), output).toBe(true);
    expect(scripts.prepack).toBe('npm run build:all');
    expect(scripts['build:all']).toBe('npm run build:wasm && npm run build:js');
  });
});
