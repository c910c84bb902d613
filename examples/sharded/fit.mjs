// Submits a sharded fit and waits for its answer:
//   REDIS_URL=redis://127.0.0.1:6379 node fit.mjs data.npy --shards 8 -k 10 [--mode lda] [--out model.json]
// The file's path must be the same for every worker (a shared disk, or the same copy on each machine).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import { redisConnection } from './connection.mjs';
import { FIT_QUEUE, SHARD_QUEUE } from './jobs.mjs';
import { planShards } from './shards.mjs';

/** Adds the flow (one child per shard, the fit as their parent) and resolves to the fit's result. */
export async function submitFit({ file, shards, k, mode = 'pca', seed = 0, connection = redisConnection(), timeout = 600_000, extraChildren = [] }) {
  const plan = await planShards(file, shards);
  const events = new QueueEvents(FIT_QUEUE, { connection });
  const flow = new FlowProducer({ connection });
  try {
    await events.waitUntilReady();
    const child = (shard) => ({
      name: `shard-${shard.shard}`,
      queueName: SHARD_QUEUE,
      data: { ...shard, mode },
      // A failed shard fails the fit; a shard that failed for a passing reason (not its data) is tried again.
      opts: { failParentOnFailure: true, attempts: 3, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: false },
    });
    const tree = await flow.add({
      name: 'fit',
      queueName: FIT_QUEUE,
      data: { shards, k, mode, seed },
      children: [...plan, ...extraChildren.map((index) => plan[index])].map(child),
    });
    try {
      return await tree.job.waitUntilFinished(events, timeout);
    } catch (error) {
      throw new Error(`the fit failed: ${await failedShards(tree, connection) ?? error.message}`);
    }
  } finally {
    await Promise.all([events.close(), flow.close()]);
  }
}

/** Why the failed shards of a flow failed (a failed child fails its parent with only "child … failed"). */
async function failedShards(tree, connection) {
  const queue = new Queue(SHARD_QUEUE, { connection });
  try {
    const reasons = [];
    for (const { job } of tree.children ?? []) {
      const child = await Job.fromId(queue, job.id);
      if (child?.failedReason) reasons.push(child.failedReason);
    }
    return reasons.length > 0 ? reasons.join('; ') : null;
  } finally {
    await queue.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { shards: { type: 'string', default: '4' }, k: { type: 'string', short: 'k', default: '8' }, mode: { type: 'string', default: 'pca' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node fit.mjs <file.npy> [--shards N] [-k K] [--mode pca|lda] [--out model.json]\n');
    process.exit(2);
  }
  const result = await submitFit({ file: positionals[0], shards: Number(values.shards), k: Number(values.k), mode: values.mode });
  if (values.out) writeFileSync(values.out, JSON.stringify(result.model));
  process.stdout.write(`${JSON.stringify({ ...result, model: undefined, explainedVariance: result.model.explainedVariance ?? result.model.eigenvalues })}\n`);
}
