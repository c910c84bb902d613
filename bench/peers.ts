// pca against the JavaScript peers on the same data: each fit runs in a process of its own (bench/peer-run.ts),
// timed from data in the library's own input format to the components, with its peak RSS; accuracy is measured
// here against the exact eigenvectors (numpy's for MNIST, the planted ones otherwise).
import { execFileSync } from 'node:child_process';
import { subspaceDistance } from '../src/entries/node';
import { dataset, type DatasetName } from './datasets';

/** A peer is skipped where it would not finish in reasonable time (measured or estimated in the note). */
const PLAN: { name: DatasetName; methods: string[]; quickMethods: string[] }[] = [
  { name: 'mnist', methods: ['eigengame', 'eigengame-relaxed', 'eigengame-1', 'druidjs', 'ml-pca'], quickMethods: ['eigengame', 'druidjs', 'ml-pca'] },
  { name: 'planted-50000x500', methods: ['eigengame', 'eigengame-relaxed', 'eigengame-1', 'druidjs', 'ml-pca'], quickMethods: ['eigengame', 'druidjs'] },
  { name: 'planted-20000x4096', methods: ['eigengame', 'eigengame-relaxed', 'eigengame-1'], quickMethods: ['eigengame'] },
];
const LABELS: Record<string, string> = {
  eigengame: 'eigengame pca (devices: auto)', 'eigengame-relaxed': 'eigengame pca (devices: auto, relaxed SIMD)',
  'eigengame-1': 'eigengame pca (1 device)', druidjs: 'DruidJS 0.9.0 PCA', 'ml-pca': 'ml-pca 4.1.1 (SVD)',
};
const TIMEOUT_SECONDS = 900;
/**
 * Fresh-process fits of eigengame per row, the median shown: a 1-second fit on this shared VM varies by a third from
 * one run to the next. The peers run once (tens of seconds to minutes: their spread is small beside the ratios).
 */
const EIGENGAME_REPEATS = 3;

interface Run {
  seconds: number;
  rssMiB: number;
  components: number[];
}

function runPeer(method: string, name: DatasetName): Run | string {
  try {
    // Node 20 runs the relaxed-SIMD kernels only with V8's flag; pca picks them by itself where they validate.
    const flags = method === 'eigengame-relaxed' ? ['--experimental-wasm-relaxed-simd'] : [];
    const script = new URL('./peer-run.ts', import.meta.url).pathname;
    const output = execFileSync(process.execPath, [...flags, '--import', 'tsx', script, method, name], {
      encoding: 'utf8', timeout: TIMEOUT_SECONDS * 1000, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(output) as Run;
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr || error);
    return (error as { signal?: string }).signal ? `did not finish in ${TIMEOUT_SECONDS} s` : `failed: ${text.split('\n').find((line) => /Error/.test(line)) ?? text.slice(0, 200)}`;
  }
}

export async function peersSection(say: (line?: string) => void, quick: boolean): Promise<void> {
  say('## pca against the JavaScript peers: time to the answer, peak RSS, accuracy');
  say();
  say('Each fit runs alone in a fresh process, timed from data in the library\'s own format to the components (loading');
  say('the library, DruidJS\'s wasm and eigengame\'s `init()` included, is before the clock; starting device workers is');
  const repeats = quick ? 'one run (--quick)' : `the median of ${EIGENGAME_REPEATS} such runs`;
  say(`inside it); eigengame's rows are ${repeats}. Accuracy is against the exact eigenvectors: numpy's float64`);
  say('`eigh` for MNIST, the planted ones (5 % eigengaps) otherwise.');
  say('Peers are skipped where they would not finish in reasonable time (DruidJS and ml-pca form the d × d covariance or');
  say('an SVD in plain JavaScript: for d = 4096 that is hours).');
  say();
  say('| data | library | time | vs eigengame | peak RSS | min \\|cos\\| | subspace distance |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const { name, methods, quickMethods } of PLAN) {
    const { name: label, k, cols, truth } = dataset(name);
    let ours = NaN;
    for (const method of quick ? quickMethods : methods) {
      const repeats = method.startsWith('eigengame') && !quick ? EIGENGAME_REPEATS : 1;
      const runs = Array.from({ length: repeats }, () => runPeer(method, name));
      const failed = runs.find((run) => typeof run === 'string');
      const done = runs.filter((run): run is Run => typeof run !== 'string').sort((a, b) => a.seconds - b.seconds);
      const run = failed ?? done[Math.floor(done.length / 2)];
      if (typeof run === 'string') {
        say(`| ${label} | ${LABELS[method]} | ${run} | | | | |`);
        continue;
      }
      if (method === 'eigengame') ours = run.seconds;
      let minCos = 1;
      for (let i = 0; i < k; i++) {
        let dot = 0;
        let norm = 0;
        for (let c = 0; c < cols; c++) {
          dot += run.components[i * cols + c] * truth[i * cols + c];
          norm += run.components[i * cols + c] ** 2;
        }
        minCos = Math.min(minCos, Math.abs(dot) / Math.sqrt(norm));
      }
      const distance = subspaceDistance({ data: Float64Array.from(run.components), rows: k, cols }, { data: truth, rows: k, cols });
      const ratio = method === 'eigengame' ? '1×'
        : run.seconds >= ours ? `${(run.seconds / ours).toFixed(1)}× slower` : `${(ours / run.seconds).toFixed(1)}× faster`;
      // Below 1e-15 the distance is rounding (it can come out as 0): a subspace found exactly.
      const shownDistance = distance < 1e-15 ? '< 1e-15' : distance.toExponential(1);
      say(`| ${label} | ${LABELS[method]} | ${run.seconds.toFixed(2)} s | ${ratio} | ${run.rssMiB.toFixed(0)} MiB | ${minCos.toFixed(6)} | ${shownDistance} |`);
    }
  }
  say();
}
