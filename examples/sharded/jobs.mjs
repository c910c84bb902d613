// The two kinds of job of a sharded fit, as BullMQ workers run them.
// - A shard (child job): the Moments of its slice of rows, read from the file with `NpySource({ rows })` so it reads
//   only its own bytes, returned as the Moments' binary form (base64 in the job's return value, kept by Redis).
//   For lda, one Moments per class of the slice (the label is the file's last column).
// - A fit (parent job): runs once every shard is done; takes its children's values, keeps one per shard id (a shard
//   retried after its worker died, or submitted twice, counts once), checks that every shard is there, merges them in
//   shard order and fits. A shard whose data is bad fails for good (no retry can mend it), and fails the fit with it.

import { Moments, NpySource, lda, pca } from 'eigengame';
import { UnrecoverableError } from 'bullmq';

export const SHARD_QUEUE = 'eigengame-shards';
export const FIT_QUEUE = 'eigengame-fits';

const toBase64 = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromBase64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

/** A shard job: { shard, file, rows: [start, end), mode: 'pca' | 'lda' }. `onProgress` sees rows read. */
export async function shardJob(job, onProgress = () => {}) {
  const { shard, file, rows, mode = 'pca' } = job.data;
  const where = `shard ${shard} (${file}, rows ${rows[0]}–${rows[1] - 1})`;
  try {
    if (mode === 'lda') return { shard, classes: await classMoments(file, rows, onProgress) };
    const moments = await Moments.of(new NpySource(file, { rows }), { onProgress: (progress) => onProgress(progress.rowsRead ?? 0) });
    return { shard, n: moments.n, moments: toBase64(moments.toBytes()) };
  } catch (error) {
    // Bad data stays bad: fail the shard (and its fit) at once, naming where, rather than retrying it.
    if (error instanceof RangeError || error instanceof TypeError) throw new UnrecoverableError(`${where}: ${error.message}`);
    throw error;
  }
}

/** Per-class Moments of a slice whose last column is the class label. */
async function classMoments(file, rows, onProgress) {
  const source = new NpySource(file, { rows });
  const byClass = new Map();
  let read = 0;
  try {
    for await (const batch of source.batches(4096)) {
      const d = batch.cols - 1;
      const groups = new Map();
      for (let r = 0; r < batch.rows; r++) {
        const label = batch.data[r * batch.cols + d];
        if (!groups.has(label)) groups.set(label, []);
        groups.get(label).push(batch.data.slice(r * batch.cols, r * batch.cols + d));
      }
      for (const [label, members] of groups) {
        if (!byClass.has(label)) byClass.set(label, new Moments(d));
        await byClass.get(label).partialFit(members);
      }
      read += batch.rows;
      onProgress(read);
    }
  } finally {
    await source.close();
  }
  return Object.fromEntries([...byClass].map(([label, moments]) => [label, toBase64(moments.toBytes())]));
}

/**
 * A fit job: { shards, k, mode, seed }. Its children's values are one per child job; a shard id seen twice is
 * counted once (its bits are the same: a shard's Moments depend only on its rows).
 */
export async function fitJob(job) {
  const { shards, k, mode = 'pca', seed = 0 } = job.data;
  const byShard = new Map();
  for (const value of Object.values(await job.getChildrenValues())) {
    if (!byShard.has(value.shard)) byShard.set(value.shard, value);
  }
  const missing = Array.from({ length: shards }, (_, shard) => shard).filter((shard) => !byShard.has(shard));
  if (missing.length > 0) throw new UnrecoverableError(`the fit has no result for shards ${missing.join(', ')} of ${shards}`);
  const ordered = Array.from({ length: shards }, (_, shard) => byShard.get(shard));
  if (mode === 'lda') {
    const labels = [...new Set(ordered.flatMap((value) => Object.keys(value.classes)))].sort((a, b) => Number(a) - Number(b));
    const parts = labels.map((label) => Moments.merge(ordered.filter((value) => label in value.classes).map((value) => Moments.fromBytes(fromBase64(value.classes[label])))));
    const model = await lda(parts, labels.map(Number), { k, seed });
    return { mode, shards, model: model.toJSON() };
  }
  const moments = Moments.merge(ordered.map((value) => Moments.fromBytes(fromBase64(value.moments))));
  const model = await pca(moments, { k, seed });
  return { mode, shards, n: moments.n, model: model.toJSON() };
}

/** What a one-process fit of the same shards gives, merged in the same order: the reference of the tests. */
export async function fitInOneProcess(plan, k, mode = 'pca', seed = 0) {
  const children = {};
  for (const shard of plan) children[`shard-${shard.shard}`] = await shardJob({ data: { ...shard, mode } });
  return fitJob({ data: { shards: plan.length, k, mode, seed }, getChildrenValues: async () => children });
}
