// How a file is cut into shards: contiguous slices of rows, one child job each, numbered in file order. The merge
// follows these numbers, so the same file and shard count give the same bits however the jobs were scheduled.

import { NpySource } from 'eigengame';

/** The shards of an .npy file: `count` slices [start, end) of nearly equal size, in file order. */
export async function planShards(file, count) {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the shard count must be a positive integer, got ${count}`);
  const source = new NpySource(file);
  const { rows, cols } = await source.info();
  await source.close();
  if (count > rows) throw new RangeError(`${file} has ${rows} rows: it cannot be cut into ${count} shards`);
  return Array.from({ length: count }, (_, shard) => ({
    shard,
    file,
    cols,
    rows: [Math.floor((shard * rows) / count), Math.floor(((shard + 1) * rows) / count)],
  }));
}
