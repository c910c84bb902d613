// A worker process: runs shard jobs and fit jobs from Redis until SIGTERM or SIGINT. Start as many as you like, on
// as many machines as reach Redis and the data file: `REDIS_URL=redis://host:6379 node worker.mjs`. A worker that
// dies in the middle of a job leaves it "stalled"; another worker's stalled-job check puts it back in the queue
// after the job's lock expires (EIGENGAME_LOCK_MS, default BullMQ's 30 s), and it runs again from its start.
// Each event is a JSON line on stdout (the tests read them).

import { Worker } from 'bullmq';
import { redisConnection } from './connection.mjs';
import { FIT_QUEUE, SHARD_QUEUE, fitJob, shardJob } from './jobs.mjs';

const connection = redisConnection();
const lockDuration = Number(process.env.EIGENGAME_LOCK_MS ?? 30000);
const options = { connection, lockDuration, stalledInterval: Math.max(500, lockDuration / 2), maxStalledCount: 3 };
const say = (event) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);

const shards = new Worker(SHARD_QUEUE, async (job) => {
  say({ event: 'shard-start', shard: job.data.shard, attempt: job.attemptsMade });
  const result = await shardJob(job, (rows) => say({ event: 'shard-progress', shard: job.data.shard, rows }));
  say({ event: 'shard-done', shard: job.data.shard });
  return result;
}, options);
const fits = new Worker(FIT_QUEUE, async (job) => {
  say({ event: 'fit-start', id: job.id });
  const result = await fitJob(job);
  say({ event: 'fit-done', id: job.id });
  return result;
}, options);
for (const worker of [shards, fits]) worker.on('error', (error) => say({ event: 'error', message: error.message }));

await Promise.all([shards.waitUntilReady(), fits.waitUntilReady()]);
say({ event: 'ready' });

async function stop() {
  await Promise.all([shards.close(), fits.close()]);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
