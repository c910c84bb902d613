// Throughput of a sharded fit with 1, 2 and 3 worker processes on this machine: Redis on loopback, a 256 MiB
// float32 file (262144 × 256) in 12 shards, k = 8; the time from submitting the flow to its answer, best of 2.
// `npm run bench` inside examples/sharded. The numbers go into docs/sharded.md by hand, with the machine's load.

import { cpus, loadavg } from 'node:os';
import { submitFit } from './fit.mjs';
import { freePort, startRedis, startWorker, stopAll, writeNpy } from './test/harness.mjs';

const rows = 262144;
const cols = 256;
const port = await freePort();
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
try {
  await startRedis(port);
  const file = writeNpy('bench.npy', rows, cols);
  const megabytes = (rows * cols * 4) / 2 ** 20;
  console.log(`${cpus().length} cores (${cpus()[0].model}), load average ${loadavg()[0].toFixed(1)}; ${megabytes} MiB, 12 shards, k = 8`);
  console.log('| workers | time | rows/s | MiB/s |\n| --- | --- | --- | --- |');
  for (const count of [1, 2, 3]) {
    const workers = await Promise.all(Array.from({ length: count }, () => startWorker(`redis://127.0.0.1:${port}`)));
    let best = Infinity;
    for (let run = 0; run < 2; run++) {
      const start = performance.now();
      await submitFit({ file, shards: 12, k: 8, connection });
      best = Math.min(best, (performance.now() - start) / 1000);
    }
    console.log(`| ${count} | ${best.toFixed(2)} s | ${Math.round(rows / best).toLocaleString('en')} | ${Math.round(megabytes / best)} |`);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
  }
} finally {
  await stopAll();
}
