// Packs the package once per test run, as `npm pack` makes it for the registry, and installs the tarball in a
// scratch consumer project, as a user's `npm install` does: the host and bundler suites use that copy, so they see
// exactly the published files (exports map, dist/, wasm/) and nothing of the repository.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export interface PackedPackage {
  /** The scratch directory everything lives in. */
  directory: string;
  tarball: string;
  /** Bytes of the tarball and the files it holds. */
  size: number;
  files: string[];
  /** A consumer project (type: module) with the tarball installed in node_modules/eigengame. */
  consumer: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: PackedPackage;
  }
}

const root = new URL('../..', import.meta.url).pathname;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The version of a dev dependency that package.json pins (already in npm's cache after `npm ci`). */
function devDependency(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name];
}

export default function setup(project: TestProject): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'eigengame-hosts-'));
  // --ignore-scripts: `npm test` has just built dist/ and wasm/; pack would run `prepack` (the build) again.
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', directory], root)) as {
    filename: string; size: number; files: { path: string }[];
  }[];
  const consumer = join(directory, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({
    name: 'eigengame-consumer',
    private: true,
    type: 'module',
    // apache-arrow as a user who hands Arrow tables to the package has it (the docs' examples make tables with it).
    dependencies: { eigengame: `file:../${packed.filename}`, 'apache-arrow': devDependency('apache-arrow') },
  }));
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], consumer);
  project.provide('packed', {
    directory, tarball: join(directory, packed.filename), size: packed.size, files: packed.files.map(({ path }) => path), consumer,
  });
  return () => rmSync(directory, { recursive: true, force: true });
}
