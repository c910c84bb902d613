// pca against the JavaScript peers on the pca part's data (bench/datasets.ts): each fit runs in a process of its own
// (bench/peer-run.ts), timed from data in the library's own input format to the components, with its peak RSS;
// accuracy is measured here against the exact answer (float64 `eigh` of the exact covariance).
import { accuracy, showCos, showDistance } from './accuracy';
import { runJavaScript, type ChildRun, type FitResult } from './children';
import { DATASETS, prepareDatasets, readAnswer, type DatasetName } from './datasets';
import { paragraph, type Say } from './text';

/** The peers form the d × d covariance or an SVD in plain JavaScript: only the sets where that takes minutes, not hours. */
const PLAN: { name: DatasetName; methods: string[]; quickMethods: string[] }[] = [
  { name: 'mnist', methods: ['eigengame', 'druidjs', 'ml-pca'], quickMethods: ['eigengame', 'druidjs', 'ml-pca'] },
  { name: 'columns', methods: ['eigengame', 'druidjs', 'ml-pca'], quickMethods: ['eigengame', 'druidjs'] },
];
const LABELS: Record<string, string> = {
  eigengame: 'eigengame pca (devices: auto)', druidjs: 'DruidJS 0.9.0 PCA', 'ml-pca': 'ml-pca 4.1.1 (SVD)',
};
/**
 * Fresh-process fits of eigengame per row, the median shown: a 1-second fit on this shared VM varies by a third from
 * one run to the next. The peers run once (tens of seconds to minutes: their spread is small beside the ratios).
 */
const EIGENGAME_REPEATS = 3;

export async function peersSection(say: Say, quick: boolean): Promise<void> {
  say('## pca against the JavaScript peers: time to the answer, peak RSS, accuracy');
  say();
  try {
    prepareDatasets(PLAN.map(({ name }) => name));
  } catch (error) {
    paragraph(say, `**No peers: ${(error as Error).message}**`);
    return;
  }
  const repeats = quick ? 'one run (--quick)' : `the median of ${EIGENGAME_REPEATS} such runs`;
  paragraph(say, `Each fit runs alone in a fresh process, timed from data in the library's own format to its result,
    copied out for this report after the clock (loading the library, DruidJS's wasm and eigengame's \`init()\` included, is before the clock; starting device workers
    is inside it); eigengame's rows are ${repeats}. Accuracy is against float64 \`eigh\` of the exact covariance, as in
    the pca part. The peers run on the two sets where they finish in minutes (DruidJS and ml-pca form the d × d
    covariance or an SVD in plain JavaScript${quick ? '; --quick leaves ml-pca out on 50000 × 500' : ''}).`);
  say('| data, k | library | time | vs eigengame | peak RSS | min \\|cos\\| | subspace distance |');
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const { name, methods, quickMethods } of PLAN) {
    const answer = readAnswer(name);
    const data = `${DATASETS[name].label}, k = ${DATASETS[name].k}`;
    let ours = NaN;
    for (const method of quick ? quickMethods : methods) {
      const repeats = method === 'eigengame' && !quick ? EIGENGAME_REPEATS : 1;
      const runs = Array.from({ length: repeats }, () => runJavaScript<FitResult>(method, name));
      const failed = runs.find((run): run is string => typeof run === 'string');
      const done = (runs as ChildRun<FitResult>[]).sort((a, b) => a.result.seconds - b.result.seconds);
      if (failed) {
        say(`| ${data} | ${LABELS[method]} | ${failed} | | | | |`);
        continue;
      }
      const { result } = done[Math.floor(done.length / 2)];
      if (method === 'eigengame') ours = result.seconds;
      const { distance, minCos } = accuracy(result.components, undefined, answer);
      const ratio = method === 'eigengame' ? '1×'
        : result.seconds >= ours ? `${(result.seconds / ours).toFixed(1)}× slower` : `${(ours / result.seconds).toFixed(1)}× faster`;
      say(`| ${data} | ${LABELS[method]} | ${result.seconds.toFixed(2)} s | ${ratio} | ${result.rssMiB!.toFixed(0)} MiB | ${showCos(minCos)} | ${showDistance(distance)} |`);
    }
  }
  say();
}
