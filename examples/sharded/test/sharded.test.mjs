// A sharded fit on BullMQ, run for real: Redis on a loopback port, three worker processes, a 200 MiB file. Every
// answer is held to the bits of one process that reads the same shards and merges them in the same order, through
// the faults distributed runs meet: a worker killed in the middle of a shard, a shard with NaN, Redis restarted
// between shards, a shard that completes twice.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { submitFit } from '../fit.mjs';
import { fitInOneProcess } from '../jobs.mjs';
import { planShards } from '../shards.mjs';
import { firstEvent, freePort, startRedis, startWorker, stopAll, stopRedis, writeNpy } from './harness.mjs';

const SHARDS = 6;
const K = 8;
let redis;
let port;
let redisUrl;
let connection;
let workers = [];
let big;
let reference;

before(async () => {
  port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  redis = await startRedis(port);
  // 196608 rows × 256 float32 columns: 201 MB.
  big = writeNpy('big.npy', 196608, 256);
  workers = await Promise.all([0, 1, 2].map(() => startWorker(redisUrl)));
  reference = await fitInOneProcess(await planShards(big, SHARDS), K);
}, { timeout: 600_000 });

after(stopAll);

test('a sharded fit gives the bits of one process merging the same shards in the same order', { timeout: 300_000 }, async () => {
  const result = await submitFit({ file: big, shards: SHARDS, k: K, connection });
  assert.equal(result.n, 196608);
  assert.deepEqual(result.model, reference.model);
  // Every worker took part, and no shard ran twice.
  const started = workers.flatMap((worker) => worker.events.filter((event) => event.event === 'shard-start'));
  assert.equal(started.length, SHARDS);
  assert.ok(workers.every((worker) => worker.events.some((event) => event.event === 'shard-start')), 'every worker ran a shard');
});

test('lda from per-class Moments of each shard: the bits of one process', { timeout: 300_000 }, async () => {
  const labelled = writeNpy('classes.npy', 40000, 17, { label: true });
  const expected = await fitInOneProcess(await planShards(labelled, 4), 3, 'lda');
  const result = await submitFit({ file: labelled, shards: 4, k: 3, mode: 'lda', connection });
  assert.deepEqual(result.model, expected.model);
  assert.equal(result.model.classes.length, 4);
});

test('a worker killed with SIGKILL in the middle of a shard: the shard runs again elsewhere, the answer is unchanged', { timeout: 300_000 }, async () => {
  for (const worker of workers) worker.events.length = 0;
  const fit = submitFit({ file: big, shards: SHARDS, k: K, connection });
  // The first worker seen reading rows of a shard dies before the shard is done.
  const { worker: victim, event } = await firstEvent(workers, (e) => e.event === 'shard-progress' && e.rows > 0);
  assert.ok(!victim.events.some((e) => e.event === 'shard-done' && e.shard === event.shard), 'the victim is in the middle of its shard');
  victim.kill('SIGKILL');
  workers = workers.filter((worker) => worker !== victim);
  const result = await fit;
  assert.deepEqual(result.model, reference.model);
  const retried = workers.flatMap((worker) => worker.events).filter((e) => e.event === 'shard-done' && e.shard === event.shard);
  assert.equal(retried.length, 1, `shard ${event.shard} was finished by a surviving worker`);
  workers.push(await startWorker(redisUrl));
});

test('a shard whose rows hold NaN fails the fit, naming the shard, the file and the row', { timeout: 300_000 }, async () => {
  const poisoned = writeNpy('poisoned.npy', 12000, 16, { nanAt: 7777 });
  await assert.rejects(submitFit({ file: poisoned, shards: 3, k: 2, connection }), (error) => {
    assert.match(error.message, /shard 1 \(.*poisoned\.npy, rows 4000–7999\): .*row 7777/);
    return true;
  });
});

test('Redis restarted between shards: the workers and the waiting client reconnect, the answer is unchanged', { timeout: 300_000 }, async () => {
  for (const worker of workers) worker.events.length = 0;
  const fit = submitFit({ file: big, shards: SHARDS, k: K, connection });
  await firstEvent(workers, (e) => e.event === 'shard-done');
  await stopRedis(redis);
  redis = await startRedis(port);
  const result = await fit;
  assert.deepEqual(result.model, reference.model);
});

test('a shard that completes twice is merged once', { timeout: 300_000 }, async () => {
  // Shard 1 is submitted twice: both copies complete, and the fit must count its rows once.
  const result = await submitFit({ file: big, shards: SHARDS, k: K, connection, extraChildren: [1] });
  assert.equal(result.n, 196608);
  assert.deepEqual(result.model, reference.model);
});
