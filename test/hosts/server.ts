// A static file server for the browser suites: serves directories under URL prefixes, optionally with the headers
// that make a page cross-origin isolated (COOP: same-origin, COEP: require-corp), plus pages given as strings.

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json', '.css': 'text/css',
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/** mounts: URL prefix ('/pkg/') → directory; the longest matching prefix wins. */
export async function serve(
  mounts: Record<string, string>, options: { isolated: boolean; pages?: Record<string, string> },
): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (options.isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    const page = options.pages?.[path];
    if (page !== undefined) {
      response.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(page);
      return;
    }
    const prefix = prefixes.find((candidate) => path.startsWith(candidate));
    const root = prefix === undefined ? undefined : normalize(mounts[prefix]);
    const file = root === undefined ? '' : normalize(join(root, path.slice(prefix!.length)));
    if (root === undefined || !file.startsWith(root)) {
      response.writeHead(404, headers).end(`not served: ${path}`);
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404, headers).end(`not found: ${path}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
