// The sharded example's own suite (examples/sharded: BullMQ on a real Redis, three worker processes, faults), run
// as its README says, `npm ci && npm test` inside it, against the package built from this checkout.

import { execFileSync, spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeIfAvailable, redisMissing } from '../hosts/requirements';

const example = new URL('../../examples/sharded/', import.meta.url).pathname;

describeIfAvailable('examples/sharded', redisMissing(), () => {
  it('passes its own tests (npm ci && npm test)', () => {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: example, stdio: 'pipe' });
    const run = spawnSync('npm', ['test'], { cwd: example, encoding: 'utf8', timeout: 900_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    // Every case ran: node's runner prints its counts last.
    expect(output).toMatch(/# pass 6\n# fail 0/);
  }, 1_000_000);
});
