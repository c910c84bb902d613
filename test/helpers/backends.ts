// The backends that the core suites (golden trajectories, pca on planted spectra) run against: one in-thread
// device, and two worker devices on a shared memory (real worker_threads running dist/device-node.js).

export const backends = [
  { name: 'in-thread', devices: 1, kind: 'in-thread' },
  { name: '2 worker devices', devices: 2, kind: 'workers' },
] as const;
