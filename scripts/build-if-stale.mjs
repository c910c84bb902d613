// `npm run build`: runs each build step (the four wasm files, the bundles) only when one of its outputs is missing or
// one of its inputs changed since it was made, and says what it skipped; `npm run build -- --force` (or
// `npm run build:all`, which `prepack` runs) builds everything. After a step, its outputs' times are set to the
// moment the step started, so an input edited while the step ran is newer than them and rebuilds next time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** The project's build steps: what each reads, what it writes, and the npm script that does it. */
export const STEPS = [
  {
    name: 'wasm',
    // package.json holds the asc command lines (build:wasm); package-lock.json the compiler's version.
    inputs: ['assembly', 'asconfig.json', 'package.json', 'package-lock.json'],
    outputs: ['simd', 'threads', 'relaxed', 'relaxed-threads'].map((target) => `wasm/eigengame.${target}.wasm`),
    script: 'build:wasm',
  },
  {
    name: 'bundles',
    inputs: ['src', 'workers', 'rollup.config.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'],
    outputs: [
      'node.js', 'node.cjs', 'browser.js', 'edge.js', 'workerd.js', 'edge-light.js', 'cli.js', 'device.js', 'device-node.js', 'index.d.ts',
    ].map((file) => `dist/${file}`),
    script: 'build:js',
  },
];

/** The newest file under `paths` (files, or directories read recursively) relative to `root`: { path, time } or null. */
export function newestInput(root, paths) {
  let newest = null;
  const visit = (path) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    const stats = statSync(full);
    if (stats.isDirectory()) {
      for (const entry of readdirSync(full)) visit(join(path, entry));
    } else if (newest === null || stats.mtimeMs > newest.time) {
      newest = { path, time: stats.mtimeMs };
    }
  };
  paths.forEach(visit);
  return newest;
}

/** Why `step` must run (a missing output, or the input newer than the oldest output), or null when it need not. */
export function staleReason(root, step) {
  const missing = step.outputs.find((path) => !existsSync(join(root, path)));
  if (missing !== undefined) return `${missing} is missing`;
  const oldest = Math.min(...step.outputs.map((path) => statSync(join(root, path)).mtimeMs));
  const newest = newestInput(root, step.inputs);
  return newest !== null && newest.time > oldest ? `${newest.path} changed since the last build` : null;
}

function npmRun(root, script) {
  const result = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return result.status ?? 1;
}

/**
 * Runs the steps that are stale (every step with `force`), in order; returns the exit status of the first step that
 * fails, or 0. `run(root, script)` runs an npm script and returns its exit status; `log` prints a line.
 */
export function buildIfStale(root, { steps = STEPS, force = false, run = npmRun, log = console.log } = {}) {
  for (const step of steps) {
    const reason = force ? 'forced' : staleReason(root, step);
    if (reason === null) {
      log(`build: ${step.name} up to date (${step.outputs.length} files newer than ${step.inputs.join(', ')}): skipped`);
      continue;
    }
    log(`build: ${step.name}: ${reason}: npm run ${step.script}`);
    const started = new Date();
    const status = run(root, step.script);
    if (status !== 0) return status;
    const missing = step.outputs.find((path) => !existsSync(join(root, path)));
    if (missing !== undefined) {
      log(`build: ${step.name}: npm run ${step.script} did not write ${missing}`);
      return 1;
    }
    for (const path of step.outputs) utimesSync(join(root, path), started, started);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const unknown = process.argv.slice(2).filter((argument) => argument !== '--force');
  if (unknown.length > 0) {
    console.error(`build-if-stale: unknown argument ${unknown[0]} (the one option is --force: build everything)`);
    process.exit(2);
  }
  process.exit(buildIfStale(new URL('..', import.meta.url).pathname, { force: process.argv.includes('--force') }));
}
