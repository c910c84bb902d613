// What the tests start: a Redis server on a free loopback port (append-only file on, so that a restart keeps the
// queues), worker processes whose JSON lines are collected, and data files in a scratch directory. Everything is
// stopped and removed by `stopAll`, which the tests call in `after`, whether they passed or not.

import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('..', import.meta.url).pathname;
export const scratch = mkdtempSync(join(tmpdir(), 'eigengame-sharded-'));
const started = new Set();

/** A port nobody listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `child`'s output has a line for which `test` is true (rejects if it exits first or after `ms`). */
function waitForLine(child, test, what, ms = 60_000) {
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no such line within ${ms} ms`)), ms);
    const onData = (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      const line = lines.find(test);
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(line);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: the process exited (${code}) first`));
    });
  });
}

/** redis-server on `port` with its files in the scratch directory; resolves when it accepts connections. */
export async function startRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', scratch, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  started.add(child);
  child.once('exit', () => started.delete(child));
  await waitForLine(child, (line) => line.includes('Ready to accept connections'), `redis-server on port ${port}`);
  return child;
}

/** Stops a Redis server the way an operator restarts one (SIGTERM: it flushes its append-only file and exits). */
export async function stopRedis(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A worker process (worker.mjs); `events` collects its JSON lines. Resolves once it is ready. */
export async function startWorker(redisUrl) {
  const child = spawn(process.execPath, [join(here, 'worker.mjs')], {
    cwd: here, env: { ...process.env, REDIS_URL: redisUrl, EIGENGAME_LOCK_MS: '2000' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.setEncoding('utf8');
  child.events = [];
  let pending = '';
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.startsWith('{')) child.events.push(JSON.parse(line));
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  await waitForLine(child, (line) => line.includes('"ready"'), 'a worker');
  return child;
}

/** Resolves with the first event of any of `workers` that `test` accepts (polling their collected events). */
export async function firstEvent(workers, test, ms = 120_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const worker of workers) {
      const event = worker.events.find(test);
      if (event) return { worker, event };
    }
    if (Date.now() > deadline) throw new Error(`no worker event matched within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Writes a float32 .npy of `rows` × `cols` (row r, column c from a fixed recipe: a few strong directions plus noise)
 * in blocks, so a file of hundreds of MiB never sits in memory. `label` makes the last column a class 0..3, `nanAt`
 * puts NaN at that row's first value.
 */
export function writeNpy(name, rows, cols, { label = false, nanAt = -1 } = {}) {
  const path = join(scratch, name);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const header = dict + ' '.repeat(((64 - ((10 + dict.length + 1) % 64)) % 64)) + '\n';
  const preamble = Buffer.alloc(10);
  preamble.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  preamble.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, preamble);
    writeSync(fd, header, null, 'latin1');
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296) - 0.5;
    const blockRows = 4096;
    const block = new Float32Array(blockRows * cols);
    for (let first = 0; first < rows; first += blockRows) {
      const count = Math.min(blockRows, rows - first);
      for (let r = 0; r < count; r++) {
        const row = first + r;
        const klass = row % 4;
        const a = next() * 8;
        const b = next() * 3;
        for (let c = 0; c < cols; c++) {
          block[r * cols + c] = a * Math.cos(c) + b * Math.sin(2 * c) + next() + (label ? klass * Math.cos(3 * c) : 0);
        }
        if (label) block[r * cols + cols - 1] = klass;
        if (row === nanAt) block[r * cols] = NaN;
      }
      writeSync(fd, new Uint8Array(block.buffer, 0, count * cols * 4));
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Ends every process the tests started and removes the scratch directory. */
export async function stopAll() {
  await Promise.all([...started].map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  })));
  rmSync(scratch, { recursive: true, force: true });
}
