// One library's fit of one dataset, in a process of its own so that its peak RSS is its own:
//   tsx bench/peer-run.ts <eigengame|eigengame-relaxed|eigengame-1|druidjs|ml-pca> <dataset>
// Prints { seconds, rssMiB, components (k × d, row-major) } as JSON. The input is built in the library's own format
// before the clock starts.
import * as druid from '@saehrimnir/druidjs';
import { PCA as MlPCA } from 'ml-pca';
import { init, pca } from '../src/entries/node';
import { dataset, type DatasetName } from './datasets';

const [method, name] = process.argv.slice(2) as [string, DatasetName];
const { data, rows, cols, k } = dataset(name);
const asRows = () => Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));

let fit: () => Promise<ArrayLike<number>> | ArrayLike<number>;
if (method === 'eigengame' || method === 'eigengame-relaxed' || method === 'eigengame-1') {
  const input = { data, rows, cols };
  // Compiling the kernels is loading the library, as DruidJS compiles its wasm on import: before the clock.
  await init();
  fit = async () => (await pca(input, { k, devices: method === 'eigengame-1' ? 1 : 'auto' })).components;
} else if (method === 'druidjs') {
  const matrix = druid.Matrix.from(asRows());
  fit = () => druid.PCA.principal_components(matrix, { d: k }).transpose().to2dArray().flatMap((row) => Array.from(row));
} else if (method === 'ml-pca') {
  const input = asRows();
  fit = () => {
    const vectors = new MlPCA(input).getEigenvectors();
    return Array.from({ length: k }, (_, i) => vectors.getColumn(i)).flat();
  };
} else {
  throw new Error(`unknown method ${method}`);
}
const start = performance.now();
const components = Array.from(await fit());
const seconds = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ seconds, rssMiB: process.resourceUsage().maxRSS / 1024, components }));
