// The architecture as rules (npm run deps, part of npm test): no import circles, type-only imports included, and
// layers that only point down. From the top: the package entries (src/entries/) and the CLI (src/cli/) over the
// public API (src/api.ts); CCA, PLS and LDA (src/generalized/) over pca (src/pca/) over the game (src/game/) over the devices (src/devices/) over the kernels'
// loading (src/kernels/) over the hosts (src/hosts/); the data readers (src/io/) over the hosts; and two leaves,
// dense float64 algebra and the generator (src/math/) and how messages show values (src/describe.ts).

/** A rule forbidding a layer to import anything in src/ but the layers it is allowed to. */
function layer(name, from, allowed) {
  return {
    name,
    severity: 'error',
    comment: `${from} may import only ${allowed.join(', ')}`,
    from: { path: `^${from}` },
    to: { path: '^src/', pathNot: [`^${from}`, ...allowed.map((path) => `^${path}`)] },
  };
}

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import circles, type-only imports included', from: {}, to: { circular: true } },
    layer('hosts-are-the-bottom', 'src/hosts/', []),
    layer('math-is-a-leaf', 'src/math/', ['src/describe.ts']),
    layer('describe-is-a-leaf', 'src/describe.ts', []),
    layer('kernels-over-hosts', 'src/kernels/', ['src/hosts/', 'src/describe.ts']),
    layer('io-over-hosts', 'src/io/', ['src/hosts/', 'src/describe.ts']),
    layer('devices-over-kernels', 'src/devices/', ['src/kernels/', 'src/hosts/', 'src/math/', 'src/describe.ts']),
    layer('game-over-devices', 'src/game/', ['src/devices/', 'src/kernels/', 'src/io/', 'src/math/', 'src/describe.ts']),
    layer('pca-over-the-game', 'src/pca/', ['src/game/', 'src/devices/', 'src/kernels/', 'src/io/', 'src/math/', 'src/describe.ts']),
    layer('generalized-over-pca', 'src/generalized/', ['src/pca/', 'src/game/', 'src/devices/', 'src/kernels/', 'src/io/', 'src/math/', 'src/describe.ts']),
    layer('api-over-everything-but-entries', 'src/api.ts', ['src/generalized/', 'src/pca/', 'src/game/', 'src/devices/', 'src/kernels/', 'src/io/']),
    layer('entries-install-a-host', 'src/entries/', ['src/api.ts', 'src/hosts/']),
    layer('cli-over-the-node-entry', 'src/cli/', ['src/entries/node.ts', 'src/io/']),
    {
      name: 'workers-are-thin',
      severity: 'error',
      comment: 'a device worker entry connects the device API to its port, nothing else',
      from: { path: '^workers/' },
      to: { path: '^src/', pathNot: '^src/devices/device.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
