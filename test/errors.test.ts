// Bad input: each case names the error type and the words the message must contain, and checks nothing changed.

import { describe, expect, it } from 'vitest';
import {
  EigenGame, NpySource, PCAModel, deviceStats, init, pca, longestStreak, setDevices, subspaceDistance,
} from '../src/entries/node';
import { chunkedStream, npyBytes } from './helpers/npy';
import { expectError } from './helpers/expect-error';
import { covariance } from './helpers/pencil-reference';
import { jacobiEigen } from './helpers/reference';

type Case = [label: string, run: () => unknown, type: ErrorConstructor, message: RegExp];

const good = { data: new Float64Array(20).map((_, i) => Math.sin(i) * (i % 7)), rows: 5, cols: 4 };
const nanAt = (row: number, col: number) => {
  const data = Float64Array.from(good.data);
  data[row * 4 + col] = NaN;
  return { ...good, data };
};

const pcaCases: Case[] = [
  ['NaN names row and column', () => pca(nanAt(3, 2), { k: 2 }), RangeError, /X has a value that is not a number at row 3, column 2: NaN/],
  ['Infinity names row and column', () => pca([[1, 2], [3, Infinity], [0, 1]], { k: 1 }), RangeError, /X has an infinite value at row 1, column 1: Infinity/],
  ['squares beyond float64', () => pca([[1, 2], [1e300, 1], [0, 1]], { k: 1 }), RangeError, /^X's values are too large for float64 arithmetic: their squares overflow it \(beyond about 1e154\)$/],
  ['a string cell', () => pca([[1, 2], [3, 'x' as unknown as number], [0, 1]], { k: 1 }), TypeError, /not a number at row 1, column 1: "x"/],
  ['ragged rows', () => pca([[1, 2, 3], [4, 5, 6], [7, 8]], { k: 1 }), RangeError, /X is ragged: row 2 has 2 values, row 0 has 3/],
  ['k < 1', () => pca(good, { k: 0 }), RangeError, /k must be a positive integer.*got 0/],
  ['k not an integer', () => pca(good, { k: 1.5 }), RangeError, /k must be a positive integer.*got 1.5/],
  ['k > d', () => pca(good, { k: 5 }), RangeError, /k = 5 is larger than d = 4/],
  ['k > rows', () => pca({ data: new Float64Array(12).map(Math.sin), rows: 2, cols: 6 }, { k: 3 }), RangeError, /k = 3 is larger than the number of rows \(2\)/],
  ['empty array', () => pca([], { k: 1 }), RangeError, /X is empty \(no rows\)/],
  ['rows with no values', () => pca([[], []], { k: 1 }), RangeError, /X is empty/],
  ['empty dense matrix', () => pca({ data: new Float32Array(0), rows: 0, cols: 3 }, { k: 1 }), RangeError, /X is empty \(0 rows × 3 columns\)/],
  ['rows·cols ≠ data.length', () => pca({ data: new Float32Array(11), rows: 3, cols: 4 }, { k: 1 }), RangeError, /X.data has 11 values but X.rows × X.cols = 3 × 4 = 12/],
  ['data of the wrong type', () => pca({ data: [1, 2, 3, 4] as unknown as Float32Array, rows: 2, cols: 2 }, { k: 1 }), TypeError, /X.data must be a Float32Array or Float64Array/],
  ['not a matrix at all', () => pca('1,2,3' as never, { k: 1 }), TypeError, /X must be \{ data, rows, cols \}, an array of rows or an Arrow table, got "1,2,3"/],
  ['a row that is not an array', () => pca([[1, 2], 3 as never], { k: 1 }), TypeError, /X\[1\] must be an array of numbers, got 3/],
  ['one row only', () => pca([[1, 2, 3]], { k: 1 }), RangeError, /X has 1 row; PCA needs at least 2/],
  ['constant data', () => pca([[1, 2], [1, 2], [1, 2]], { k: 1 }), RangeError, /X has no variance/],
  ['bad maxSteps', () => pca(good, { k: 1, maxSteps: 0 }), RangeError, /maxSteps must be a positive integer, got 0/],
  ['bad tol', () => pca(good, { k: 1, tol: -1 }), RangeError, /tol must be a finite number ≥ 0, got -1/],
  ['bad center', () => pca(good, { k: 1, center: 'yes' as never }), TypeError, /center must be a boolean/],
  ['bad onProgress', () => pca(good, { k: 1, onProgress: 3 as never }), TypeError, /onProgress must be a function/],
  ['bad signal', () => pca(good, { k: 1, signal: {} as never }), TypeError, /signal must be an AbortSignal/],
  ['bad seed', () => pca(good, { k: 1, seed: 0.5 }), TypeError, /seed must be a safe integer, got 0.5/],
];

const gameCases: Case[] = [
  ['d missing', () => EigenGame.create({ k: 2 } as never), RangeError, /d must be a positive integer.*got undefined/],
  ['k > d', () => EigenGame.create({ d: 3, k: 4 }), RangeError, /k = 4 is larger than d = 3/],
  ['unknown preset', () => EigenGame.create({ d: 3, k: 1, preset: 'paper' as never }), RangeError, /preset must be one of seed, got "paper"/],
  ['bad reduction', () => EigenGame.create({ d: 3, k: 1, reduction: 'avg' as never }), RangeError, /reduction must be 'sum' or 'mean', got "avg"/],
  ['bad variant', () => EigenGame.create({ d: 3, k: 1, variant: 'beta' as never }), RangeError, /variant must be 'mu' or 'alpha', got "beta"/],
  ['bad optimizer type', () => EigenGame.create({ d: 3, k: 1, optimizer: { type: 'rmsprop' } as never }), TypeError, /optimizer.type must be 'sgd' or 'adam', got "rmsprop"/],
  ['negative learning rate', () => EigenGame.create({ d: 3, k: 1, optimizer: { type: 'sgd', learningRate: -1 } }), RangeError, /optimizer.learningRate must be a finite number > 0, got -1/],
  ['momentum ≥ 1', () => EigenGame.create({ d: 3, k: 1, optimizer: { type: 'sgd', learningRate: 1, momentum: 1 } }), RangeError, /optimizer.momentum must be a number in \[0, 1\), got 1/],
  ['init of the wrong shape', () => EigenGame.create({ d: 3, k: 2, init: [[1, 0, 0]] }), RangeError, /init is 1 × 3, but the game needs k × d = 2 × 3/],
  ['init with a zero row', () => EigenGame.create({ d: 2, k: 2, init: [[1, 0], [0, 0]] }), RangeError, /init row 1 is all zeros/],
  ['init with NaN', () => EigenGame.create({ d: 2, k: 1, init: [[1, NaN]] }), RangeError, /init has a value that is not a number at row 0, column 1/],
  ['mean of the wrong length', () => EigenGame.create({ d: 3, k: 1, mean: [0, 0] }), RangeError, /mean has 2 values, but the game has d = 3/],
  ['mean with a string', () => EigenGame.create({ d: 3, k: 1, mean: [0, 'x' as never, 0] }), TypeError, /mean has a value that is not a number at row 0, column 1: "x"/],
  ['memory beyond the wasm32 limit', () => EigenGame.create({ d: 2 ** 22, k: 300 }), RangeError, /more than the wasm32 limit/],
];

describe('bad input to pca', () => {
  it.each(pcaCases)('%s', async (_label, run, type, message) => expectError(run, type, message));

  it('names the memory limit when the data would not fit in wasm32 memory', async () => {
    // 2^20 rows × 1100 columns of float32 is 4.4 GB: the data route, which keeps the rows in memory, refuses it
    // before any allocation, from the shape alone (the covariance route holds two batches of rows at a time).
    const rows = 2 ** 20;
    const cols = 1100;
    const fake = { rows, cols, data: { length: rows * cols } };
    Object.setPrototypeOf(fake.data, Float32Array.prototype);
    await expectError(() => pca(fake as never, { k: 1, solver: 'data' }), RangeError, /more than the wasm32 limit of 4294967296 bytes/);
  });
});

describe('bad input to EigenGame', () => {
  it.each(gameCases)('%s', async (_label, run, type, message) => expectError(run, type, message));

  it('a bad minibatch throws before anything changes', async () => {
    const game = await EigenGame.create({ d: 4, k: 2, seed: 1 });
    const before = game.save();
    await expectError(() => game.step([[1, 2, 3]]), RangeError, /minibatch has 3 columns, but this game has d = 4/);
    await expectError(() => game.step([[1, 2, 3, 4], [1, 2, NaN, 4]]), RangeError, /minibatch has a value that is not a number at row 1, column 2/);
    await expectError(() => game.step([]), RangeError, /minibatch is empty/);
    const after = game.save();
    expect(after.vectors).toEqual(before.vectors);
    expect(after.optimizerState).toEqual(before.optimizerState);
    expect(after.step).toBe(0);
  });

  it('use after dispose, and disposing twice, are clear errors', async () => {
    const game = await EigenGame.create({ d: 4, k: 2 });
    game.dispose();
    await expectError(() => game.step([[1, 2, 3, 4]]), Error, /this EigenGame has been disposed/);
    expect(() => game.components()).toThrow(/this EigenGame has been disposed/);
    expect(() => game.dispose()).toThrow(/this EigenGame has been disposed/);
  });

  it('restore refuses a state that is not one', async () => {
    await expectError(() => EigenGame.restore({} as never), TypeError, /needs a state from EigenGame.prototype.save/);
    const game = await EigenGame.create({ d: 4, k: 2 });
    const state = game.save();
    await expectError(() => EigenGame.restore({ ...state, vectors: new Float32Array(3) }), TypeError, /state.vectors must be a Float32Array of 8 values/);
    await expectError(() => EigenGame.restore({ ...state, optimizerState: [] }), TypeError, /state.optimizerState must hold 1 buffers/);
  });
});

describe('bad device options', () => {
  it.each([
    ['setDevices without options', () => setDevices(3 as never), TypeError, /^setDevices needs an options object like \{ max: 4 \}, got 3$/],
    ['an unknown option', () => setDevices({ maxWorkers: 2 } as never), TypeError, /^setDevices: unknown option maxWorkers \(known: max, idleTimeout\)$/],
    ['max as a string', () => setDevices({ max: '4' as never }), TypeError, /^setDevices: max must be a positive integer or 'auto', got "4"$/],
    ['max of 0', () => setDevices({ max: 0 }), RangeError, /^setDevices: max must be a positive integer or 'auto', got 0$/],
    ['max of 2.5', () => setDevices({ max: 2.5 }), RangeError, /^setDevices: max must be a positive integer or 'auto', got 2.5$/],
    ['idleTimeout as a string', () => setDevices({ idleTimeout: '5s' as never }), TypeError, /^setDevices: idleTimeout must be a number of milliseconds, got "5s"$/],
    ['a negative idleTimeout', () => setDevices({ idleTimeout: -1 }), RangeError, /^setDevices: idleTimeout must be ≥ 0 milliseconds, got -1$/],
    ['idleTimeout NaN', () => setDevices({ idleTimeout: NaN }), RangeError, /^setDevices: idleTimeout must be ≥ 0 milliseconds, got NaN$/],
    ['whenBusy of pca', () => pca(good, { k: 1, whenBusy: 'later' as never }), RangeError, /^whenBusy must be 'wait' or 'in-thread', got "later"$/],
    ['whenBusy of a game', () => EigenGame.create({ d: 4, k: 1, whenBusy: 1 as never }), TypeError, /^whenBusy must be 'wait' or 'in-thread', got 1$/],
  ] as Case[])('%s', async (_label, run, type, message) => {
    const before = deviceStats();
    await expectError(run, type, message);
    expect(deviceStats()).toEqual(before);
  });
});

describe('bad input elsewhere', () => {
  it('PCAModel.fromJSON names the bad field', () => {
    expect(() => PCAModel.fromJSON({ format: 'nope' } as never)).toThrow(TypeError);
    const json = { format: 'eigengame-pca', version: 1, k: 1, d: 2, nSamples: 3, components: [1, 0], explainedVariance: [1], explainedVarianceRatio: [1], mean: [0] } as const;
    expect(() => PCAModel.fromJSON(json as never)).toThrow(/model.mean must be an array of 2 numbers/);
    expect(() => PCAModel.fromJSON({ ...json, mean: [0, 0], components: [1, NaN] } as never)).toThrow(/model.components has a value that is not a finite number/);
  });

  it('transform checks columns and values', () => {
    const model = new PCAModel({
      components: Float32Array.of(1, 0), explainedVariance: Float64Array.of(1), explainedVarianceRatio: Float64Array.of(1),
      mean: Float64Array.of(0, 0), nSamples: 2, k: 1, d: 2,
    });
    expect(() => model.transform([[1, 2, 3]])).toThrow(/X has 3 columns, but the model has d = 2/);
    expect(() => model.transform([[1, 2], [Infinity, 0]])).toThrow(/X has an infinite value at row 1, column 0/);
    expect(() => model.inverseTransform([[1, 2]])).toThrow(/Y has 2 columns, but the model has k = 1/);
  });

  it('metrics check shapes and angle', () => {
    expect(() => subspaceDistance([[1, 0]], [[1, 0, 0]])).toThrow(/V has 2 columns but U has 3/);
    expect(() => subspaceDistance([[1, 0]], [[1, 0], [0, 1]])).toThrow(/V has 1 rows but U has 2/);
    expect(() => subspaceDistance([[1, 0], [2, 0]], [[1, 0], [0, 1]])).toThrow(/rows of V are linearly dependent/);
    expect(() => longestStreak([[1, 0]], [[1, 0]], 3)).toThrow(/angle must be a number of radians in \[0, π\/2\], got 3/);
    expect(() => longestStreak([[1, 0]], [[1, 0]], '0.1' as unknown as number)).toThrow(/got "0.1"/);
    // A NaN would make every comparison false: the streak would be 0 and the distance NaN, without a word.
    expect(() => longestStreak([[1, NaN]], [[1, 0]])).toThrow(/V has a value that is not a number at row 0, column 1: NaN/);
    expect(() => subspaceDistance([[1, 0]], [[Infinity, 0]])).toThrow(/U has an infinite value at row 0, column 0/);
  });

  it('option messages of every layer quote strings', async () => {
    await expect(init({ relaxedSimd: 'no' as unknown as boolean })).rejects.toThrow(/relaxedSimd must be a boolean, got "no"/);
    await expect(init({ workerUrl: 'http://[bad' })).rejects.toThrow(/workerUrl is not a valid URL: "http:\/\/\[bad"/);
    await expect(EigenGame.create({ d: 4, k: 2, kPerDevice: '1' as unknown as number })).rejects.toThrow(/got "1"/);
    await expect(EigenGame.create({ d: 4, k: 2, seed: '7' as unknown as number })).rejects.toThrow(/seed must be a safe integer, got "7"/);
    await expect(EigenGame.create({ d: 2, k: 1, mean: [0, null] as unknown as number[] })).rejects.toThrow(/mean has a value that is not a number at row 0, column 1: null/);
  });
});

describe('matrix inputs take numbers only', () => {
  // Each value here was once converted by Number() or a typed array's set() without a word: null and '' to 0,
  // '0x10' to 16, true to 1, a Date to its time. Now each is a TypeError naming the row, the column and the value.
  const notNumbers: [value: unknown, shown: string][] = [
    [null, 'null'], ['', '""'], [[], 'an array of 0'], [true, 'true'], [new Date(0), '[object Date]'], ['0x10', '"0x10"'],
    ['3', '"3"'], [undefined, 'undefined'], [1n, '1n'], [new Number(2), '[object Number]'],
  ];
  async function withGame(run: (game: EigenGame) => Promise<unknown>) {
    const game = await EigenGame.create({ d: 4, k: 1 });
    try {
      return await run(game);
    } finally {
      game.dispose();
    }
  }
  /** 4 × 4 rows with `value` at row 3, column 1. */
  const withValue = (value: unknown) => [[1, 0, 2, 0], [0, 3, 0, 1], [2, 1, 1, 0], [1, value, 0, 4]] as number[][];
  const identity = new PCAModel({
    components: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), explainedVariance: Float64Array.of(4, 3, 2, 1),
    explainedVarianceRatio: Float64Array.of(0.4, 0.3, 0.2, 0.1), mean: new Float64Array(4), nSamples: 10, k: 4, d: 4,
  });
  const entries: [label: string, name: string, run: (rows: number[][]) => unknown][] = [
    ['pca', 'X', (rows) => pca(rows, { k: 1 })],
    ['pca on 2 devices', 'X', (rows) => pca(rows, { k: 1, devices: 2 })],
    ['EigenGame.step', 'minibatch', (rows) => withGame((game) => game.step(rows))],
    ['EigenGame.run', 'data', (rows) => withGame((game) => game.run(rows, { steps: 1 }))],
    ['EigenGame init', 'init', (rows) => EigenGame.create({ d: 4, k: 4, init: rows })],
    ['PCAModel.transform', 'X', (rows) => identity.transform(rows)],
    ['PCAModel.inverseTransform', 'Y', (rows) => identity.inverseTransform(rows)],
    ['subspaceDistance', 'V', (rows) => subspaceDistance(rows, withValue(0))],
    ['longestStreak', 'U', (rows) => longestStreak(withValue(0), rows)],
  ];
  for (const [label, name, run] of entries) {
    it(`${label} rejects every value that is not a number, naming it`, async () => {
      for (const [value, shown] of notNumbers) {
        await expectError(() => run(withValue(value)), TypeError, new RegExp(`^${name} has a value that is not a number at row 3, column 1: ${shown.replace(/[[\]]/g, '\\$&')}$`));
      }
    });
  }

  it('a JSON array with null for a missing value is refused, not fitted as 0', async () => {
    const rows = JSON.parse('[[1, 2], [3, null], [0, 1], [2, 2]]') as number[][];
    await expectError(() => pca(rows, { k: 1 }), TypeError, /X has a value that is not a number at row 1, column 1: null/);
  });

  it('a hole in a sparse row is refused', async () => {
    // eslint-disable-next-line no-sparse-arrays
    await expectError(() => pca([[1, 2, 3], [4, , 6], [7, 8, 0]] as number[][], { k: 1 }), TypeError, /X has a value that is not a number at row 1, column 1: undefined/);
  });

  it('typed-array rows of any numeric type are read as numbers; BigInt rows are refused', async () => {
    const typedRows = [Int32Array.of(-70000, 2), Float32Array.of(3, 1.5), Uint8Array.of(250, 5), Int16Array.of(-3, 7)];
    const model = await pca(typedRows, { k: 1 });
    // The float64 answer of the same numbers: their mean, and the top eigenpair of their covariance.
    const values = Float64Array.from(typedRows.flatMap((row) => Array.from(row)));
    const reference = jacobiEigen(covariance(values, 4, 2), 2);
    const mean = [0, 1].map((c) => (values[c] + values[2 + c] + values[4 + c] + values[6 + c]) / 4);
    // Measured: the mean exact, the variance 7.9e-9 relative, the component 6.4e-10 off (float32 rounding of the
    // first entry); the bounds are about 13× and 15× those.
    expect(Array.from(model.mean)).toEqual(mean);
    expect(Math.abs(model.explainedVariance[0] / reference.values[0] - 1)).toBeLessThan(1e-7);
    const sign = Math.sign(reference.vectors[0]);
    model.components.forEach((value, c) => expect(Math.abs(value - sign * reference.vectors[c])).toBeLessThan(1e-8));
    await expectError(() => pca([BigInt64Array.of(1n, 2n), BigInt64Array.of(3n, 1n)] as never, { k: 1 }), TypeError, /X has a value that is not a number at row 0, column 0: 1n/);
  });

  it('NaN and Infinity keep their RangeErrors', async () => {
    await expectError(() => pca(withValue(NaN), { k: 1 }), RangeError, /X has a value that is not a number at row 3, column 1: NaN/);
    await expectError(() => pca(withValue(-Infinity), { k: 1 }), RangeError, /X has an infinite value at row 3, column 1: -Infinity/);
  });
});

describe('EigenGame.run and device options', () => {
  it('rejects bad run options and data before any step, leaving the game as it was', async () => {
    const game = await EigenGame.create({ d: 4, k: 2, seed: 1 });
    const before = game.components();
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [game.run(good, { steps: 0 }), RangeError, /steps must be a positive integer, got 0/],
      [game.run(good, { steps: 2.5 }), RangeError, /steps must be a positive integer, got 2.5/],
      [game.run(good, { steps: 1, batchSize: 6 }), RangeError, /batchSize = 6 is larger than the data's 5 rows/],
      [game.run(good, { steps: 1, batchSize: 0 }), RangeError, /batchSize must be a positive integer, got 0/],
      [game.run(good, { steps: 1, progressEvery: -1 }), RangeError, /progressEvery must be a positive integer, got -1/],
      [game.run(good, { steps: 1, onProgress: 3 as unknown as () => void }), TypeError, /onProgress must be a function, got 3/],
      [game.run(good, { steps: 1, signal: {} as AbortSignal }), TypeError, /signal must be an AbortSignal/],
      [game.run(good, null as unknown as { steps: number }), TypeError, /run needs an options object like \{ steps: 100 \}, got null/],
      [game.run([[1, 2, 3]], { steps: 1 }), RangeError, /data has 3 columns, but this game has d = 4/],
      [game.run(nanAt(4, 1), { steps: 1 }), RangeError, /data has a value that is not a number at row 4, column 1: NaN/],
    ];
    for (const [promise, type, message] of cases) {
      const error = await (promise as Promise<unknown>).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    expect(game.stepCount).toBe(0);
    expect(game.components()).toEqual(before);
    game.dispose();
  });

  it('rejects bad device options with the option named', async () => {
    await expect(EigenGame.create({ d: 4, k: 2, devices: 'all' as unknown as number })).rejects.toThrow(/devices must be a positive integer or 'auto', got "all"/);
    await expect(EigenGame.create({ d: 4, k: 2, kPerDevice: 0 })).rejects.toThrow(/kPerDevice must be a positive integer, got 0/);
    await expect(EigenGame.create({ d: 4, k: 2, onWarning: 'log' as unknown as () => void })).rejects.toThrow(/onWarning must be a function, got "log"/);
    await expect(pca(good, { k: 2, kPerDevice: 3 as never })).rejects.toThrow(/^kPerDevice splits an EigenGame's players between devices; pca splits .*leave it out \(got 3\)$/);
  });
});

describe('PCAModel.fromJSON checks the values, naming the field and the index', () => {
  const valid = {
    format: 'eigengame-pca', version: 2, converged: false, k: 2, d: 3, nSamples: 10, components: [0.6, 0.8, 0, 0, 0, 1],
    explainedVariance: [2, 1], explainedVarianceRatio: [0.5, 0.25], mean: [1, 2, 3],
  } as const;
  const cases: [string, object, ErrorConstructor, RegExp][] = [
    ['a component that is not a unit row', { components: [0.6, 0.8, 0, 0, 0, 1.5] }, RangeError, /^model.components row 1 has norm 1.5: components must be unit rows \(\|norm − 1\| ≤ 1e-5\)$/],
    ['a zero component', { components: [0, 0, 0, 0, 0, 1] }, RangeError, /^model.components row 0 has norm 0: /],
    ['a negative variance', { explainedVariance: [2, -0.5] }, RangeError, /^model.explainedVariance\[1\] is -0.5: a variance must be ≥ 0$/],
    ['a ratio above 1', { explainedVarianceRatio: [1.5, 0] }, RangeError, /^model.explainedVarianceRatio\[0\] is 1.5: a share of the total variance must be in \[0, 1\]$/],
    ['a negative ratio', { explainedVarianceRatio: [0.5, -0.1] }, RangeError, /^model.explainedVarianceRatio\[1\] is -0.1: /],
    ['ratios that sum to more than 1', { explainedVarianceRatio: [0.75, 0.5] }, RangeError, /^model.explainedVarianceRatio sums to 1.25: shares of the total variance must sum to at most 1$/],
    ['one sample', { nSamples: 1 }, RangeError, /^model.nSamples must be at least 2 \(a variance needs two rows\), got 1$/],
    ['a non-integer nSamples', { nSamples: '10' }, RangeError, /^model.nSamples must be a positive integer, got "10"$/],
    ['k > d', { k: 4, d: 3 }, RangeError, /^model.k = 4 is larger than model.d = 3/],
    ['a value that is not a number', { components: [0.6, 0.8, 0, 0, 'x', 1] }, RangeError, /^model.components has a value that is not a finite number at index 4: "x"$/],
    ['converged that is not a boolean', { converged: 'yes' }, TypeError, /^model.converged must be a boolean, got "yes"$/],
    ['an unknown version', { version: '2' }, RangeError, /^unsupported PCA model version "2" \(this version reads 1 and 2\)$/],
  ];

  it.each(cases)('%s', (_label, change, type, message) => {
    let caught: unknown;
    try {
      PCAModel.fromJSON({ ...valid, ...change } as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(type);
    expect((caught as Error).message).toMatch(message);
  });

  it('accepts what rounding leaves: float32 unit rows, ratios a hair above 1; and a version 1 file as converged', () => {
    const f32 = Array.from(Float32Array.of(1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3), 0, Math.SQRT1_2, -Math.SQRT1_2));
    const model = PCAModel.fromJSON({ ...valid, components: f32, explainedVarianceRatio: [0.99995, 0.00009] } as never);
    expect(Array.from(model.components)).toEqual(f32);
    expect(model.converged).toBe(false);
    const { converged: _, ...version1 } = { ...valid, version: 1 };
    expect(PCAModel.fromJSON(version1 as never).converged).toBe(true);
  });
});

describe('data far from 1 is scaled by a power of two (exact), and data of too low a rank gives zero variances', () => {
  const scaled = (factor: number) => ({ data: good.data.map((value) => value * factor), rows: 5, cols: 4 });
  const npyOf = (matrix: { data: Float64Array; rows: number; cols: number }) =>
    npyBytes(matrix.data, matrix.rows, matrix.cols, 'float64');

  it.each([1e20, 1e-25, 1e100, 1e-100])('values scaled by %s give the same components, and variances scaled by its square', async (factor) => {
    const reference = await pca(good, { k: 2, devices: 1 });
    for (const fit of [
      pca(scaled(factor), { k: 2, devices: 1 }),
      pca(new NpySource(npyOf(scaled(factor)), { name: 'scaled.npy' }), { k: 2, devices: 1 }),
      pca(new NpySource(chunkedStream(npyOf(scaled(factor)), [64]), { name: 'scaled stream' }), { k: 2, devices: 1, batchSize: 2 }),
    ]) {
      const model = await fit;
      Array.from(model.components).forEach((value, i) => expect(Math.abs(value - reference.components[i])).toBeLessThan(1e-6));
      model.explainedVariance.forEach((value, i) => expect(Math.abs(value / (reference.explainedVariance[i] * factor * factor) - 1)).toBeLessThan(1e-6));
    }
  });

  it('data of rank below k: the extra components have zero variance; constant data: no variance', async () => {
    const rows = 300;
    const rankOne = new Float64Array(rows * 4).map((_, i) => (Math.floor(i / 4) % 17) * ((i % 4) + 1));
    for (const fit of [pca({ data: rankOne, rows, cols: 4 }, { k: 3 }), pca(new NpySource(npyBytes(rankOne, rows, 4, 'float64'), { name: 'line.npy' }), { k: 3, batchSize: 64 })]) {
      const model = await fit;
      expect(model.converged).toBe(true);
      expect(model.explainedVarianceRatio[0]).toBeCloseTo(1, 6);
      expect(model.explainedVariance[1] / model.explainedVariance[0]).toBeLessThan(1e-6);
      const direction = [1, 2, 3, 4].map((value) => value / Math.sqrt(30));
      expect(Math.abs(direction.reduce((sum, value, c) => sum + value * model.components[c], 0))).toBeCloseTo(1, 6);
    }
    const constant = new Float64Array(40).fill(2.5);
    await expectError(() => pca({ data: constant, rows: 10, cols: 4 }, { k: 1 }), RangeError, /^X has no variance: every row is the same$/);
    await expectError(
      () => pca(new NpySource(npyBytes(constant, 10, 4, 'float64'), { name: 'flat.npy' }), { k: 1, devices: 1 }), RangeError,
      /^flat\.npy has no variance: every row is the same$/,
    );
  });
});

describe('option messages quote strings, so that a number given as a string reads as one', () => {
  const quoted: Case[] = [
    ['k', () => pca(good, { k: '3' as never }), RangeError, /^k must be a positive integer \(the number of components\), got "3"$/],
    ['center', () => pca(good, { k: 1, center: 'true' as never }), TypeError, /^center must be a boolean, got "true"$/],
    ['maxSteps', () => pca(good, { k: 1, maxSteps: '10' as never }), RangeError, /^maxSteps must be a positive integer, got "10"$/],
    ['tol', () => pca(good, { k: 1, tol: '1e-3' as never }), RangeError, /^tol must be a finite number ≥ 0, got "1e-3"$/],
    ['batchSize', () => pca(good, { k: 1, batchSize: '64' as never }), RangeError, /^batchSize must be an integer ≥ 2, got "64"$/],
    ['solver', () => pca(good, { k: 1, solver: 'svd' as never }), RangeError, /^solver must be 'auto', 'covariance', 'gram', 'data', 'sparse-covariance', 'sparse-data' or 'sparse-gram', got "svd"$/],
    ['devices', () => pca(good, { k: 1, devices: '2' as never }), RangeError, /^devices must be a positive integer or 'auto', got "2"$/],
    ['kPerDevice', () => EigenGame.create({ d: 4, k: 1, kPerDevice: '1' as never }), RangeError, /^kPerDevice must be a positive integer, got "1"$/],
    ['options', () => pca(good, 'k=1' as never), TypeError, /^pca needs an options object like \{ k: 10 \}, got "k=1"$/],
    ['d', () => EigenGame.create({ d: '4' as never, k: 1 }), RangeError, /^d must be a positive integer \(the number of columns\), got "4"$/],
    ['learningRate', () => EigenGame.create({ d: 4, k: 1, optimizer: { type: 'sgd', learningRate: '0.1' as never } }), RangeError, /^optimizer.learningRate must be a finite number > 0, got "0.1"$/],
    ['momentum', () => EigenGame.create({ d: 4, k: 1, optimizer: { type: 'sgd', learningRate: 1, momentum: '0.9' as never } }), RangeError, /^optimizer.momentum must be a number in \[0, 1\), got "0.9"$/],
    ['nesterov', () => EigenGame.create({ d: 4, k: 1, optimizer: { type: 'sgd', learningRate: 1, nesterov: 'yes' as never } }), TypeError, /^optimizer.nesterov must be a boolean, got "yes"$/],
    ['eps', () => EigenGame.create({ d: 4, k: 1, optimizer: { type: 'adam', learningRate: 1, eps: '1e-8' as never } }), RangeError, /^optimizer.eps must be a finite number ≥ 0, got "1e-8"$/],
    ['riemannian', () => EigenGame.create({ d: 4, k: 1, riemannian: 'no' as never }), TypeError, /^riemannian must be a boolean, got "no"$/],
    ['steps', async () => (await EigenGame.create({ d: 4, k: 1 })).run(good, { steps: '5' as never }), RangeError, /^steps must be a positive integer, got "5"$/],
  ];
  it.each(quoted)('%s', async (_label, run, type, message) => expectError(run, type, message));
});
