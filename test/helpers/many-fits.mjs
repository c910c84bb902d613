// Many pca fits at once in one process, as a Node service that fits per request runs them. concurrent-fits.ts runs it in
// a child Node and watches its threads from outside (the device tests, the bench):
//   node test/helpers/many-fits.mjs '<options as JSON>'
// options: entry (URL of a build's Node entry; default this repository's dist/node.js), fits (how many at once),
// n, d, k (the data: planted, 5 % eigengaps), devices (default 'auto'), seeds (fits cycle through seeds 0..seeds−1),
// sequential (first time that many fits one after the other: cold, then warm), max (setDevices({ max })).
// Prints one JSON line: the process's own threads before any worker started, the seconds, fits per second, fits whose
// bits differ from the same fit run alone, the backends used, the peak RSS and deviceStats() (when the build has it).
import { readFileSync } from 'node:fs';
import { gappedSpectrum, plantedData } from '../../scripts/planted.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const { fits = 1, n = 4000, d = 100, k = 10, devices = 'auto', seeds = 1, sequential = 0, max } = options;
const eigengame = await import(options.entry ?? new URL('../../dist/node.js', import.meta.url).href);
const { init, pca } = eigengame;

const threads = () => Number(/Threads:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const planted = plantedData({ n, d, spectrum: gappedSpectrum(d, k, 0.05), seed: 1 });
const X = { data: Float32Array.from(planted.data), rows: n, cols: d };
const fit = (seed) => pca(X, { k, devices, seed });

await init();
if (max !== undefined) eigengame.setDevices({ max });
// Everything this process starts besides the device workers (libuv's and V8's threads) is running after one fit.
await pca(X, { k, devices: 1 });
const ownThreads = threads();

const latencies = [];
for (let i = 0; i < sequential; i++) {
  const start = performance.now();
  await fit(0);
  latencies.push(performance.now() - start);
}
const alone = [];
for (let seed = 0; seed < seeds; seed++) alone.push(await fit(seed));

const start = performance.now();
const models = await Promise.all(Array.from({ length: fits }, (_, i) => fit(i % seeds)));
const seconds = (performance.now() - start) / 1000;

const sameBits = (a, b) => a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
const differing = models.filter((model, i) => {
  const reference = alone[i % seeds];
  return !sameBits(model.components, reference.components) || !sameBits(model.explainedVariance, reference.explainedVariance);
}).length;
const backends = [...new Set(models.map(({ backend }) => `${backend.kind} ${backend.devices}`))];
process.stdout.write(`${JSON.stringify({
  ownThreads, seconds, fitsPerSecond: fits / seconds, differing, backends, latencies,
  aloneBackend: alone[0].backend, maxRssMiB: process.resourceUsage().maxRSS / 1024, stats: eigengame.deviceStats?.(),
})}\n`);
