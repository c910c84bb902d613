// The example runs against the package of this checkout (dependency "file:../.."): build it if it is not built.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;
if (!existsSync(new URL('../../dist/node.js', import.meta.url))) {
  if (!existsSync(new URL('../../node_modules', import.meta.url))) execFileSync('npm', ['ci'], { cwd: root, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
