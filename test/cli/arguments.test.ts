// The command line, read in one place (src/cli/arguments.ts): every option of every command, malformed, is refused
// with one line that names it and says what to do (exit code 2 through the CLI); an option a command does not take
// is refused, never ignored; and each command's help lists its own options and no other.

import { describe, expect, it } from 'vitest';
import { ArgumentError, COMMANDS, commandHelp, overviewHelp, parseCommandLine, resolveColumns, resolveViews, type Arguments } from '../../src/cli/arguments';

const refusal = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ArgumentError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
};
const run = (argv: string[]) => {
  const request = parseCommandLine(argv);
  if (request.kind !== 'run') throw new Error(`not a run: ${request.kind}`);
  return request;
};

describe('the command line', () => {
  it('reads every option of fit into typed values, in every spelling', () => {
    const { command, files, args } = run([
      'fit', 'data.csv', '-k', '3', '--devices=2', '--batch', '512', '--solver', 'data', '--tol', '1e-9', '--max-steps', '40',
      '--seed', '7', '--no-center', '--out', 'm.json', '--columns', 'a, 2 ,b', '--delimiter', '\\t', '--header', 'yes', '--format', 'csv', '--quiet', '--json',
    ]);
    expect(command).toBe('fit');
    expect(files).toEqual(['data.csv']);
    expect(args).toEqual({
      k: 3, devices: 2, batch: 512, solver: 'data', tol: 1e-9, maxSteps: 40, seed: 7, noCenter: true, out: 'm.json',
      columns: ['a', 2, 'b'], delimiter: '\t', header: 'yes', format: 'csv', transpose: false, stream: false, quiet: true, json: true,
    } satisfies Arguments);
    expect(run(['info', 'm.mtx.gz', '--transpose', '--format', 'mtx']).args).toMatchObject({ transpose: true, format: 'mtx' });
    expect(run(['fit', 'm.mtx.gz', '-k', '2', '--transpose', '--stream']).args).toMatchObject({ transpose: true, stream: true });
    expect(run(['fit', 'x.npy', '-k5']).args.k).toBe(5);
    expect(run(['fit', 'x.npy', '-k=5', '--devices', 'auto']).args).toMatchObject({ k: 5, devices: 'auto' });
    expect(run(['fit', '-k', '2', '--', '--odd-name.npy']).files).toEqual(['--odd-name.npy']);
    expect(run(['lda', 'c.csv', '--labels', '0', '-k', '1', '--regularization', '.5']).args).toMatchObject({ labels: 0, regularization: 0.5 });
    expect(run(['cca', 'c.csv', '--x', 'a,b', '--y', '3', '-k', '1']).args).toMatchObject({ x: ['a', 'b'], y: [3] });
  });

  it.each([
    // Empty or malformed numbers (Number('') is 0, Number('0x10') 16: neither is accepted).
    [['fit', 'f.csv', '-k', ''], /^-k must be a whole number ≥ 1, got ""$/],
    [['fit', 'f.csv', '-k', '0'], /^-k must be a whole number ≥ 1, got "0"$/],
    [['fit', 'f.csv', '-k', '2.5'], /^-k must be a whole number ≥ 1, got "2\.5"$/],
    [['fit', 'f.csv', '-k', '0x10'], /^-k must be a whole number ≥ 1, got "0x10"$/],
    [['fit', 'f.csv', '-k', '-1'], /^-k must be a whole number ≥ 1, got "-1"$/],
    [['fit', 'f.csv', '-k', '1', '--tol', ''], /^--tol must be a decimal number ≥ 0 \(like 1e-6\), got ""$/],
    [['fit', 'f.csv', '-k', '1', '--tol=-1'], /^--tol must be a decimal number ≥ 0 \(like 1e-6\), got "-1"$/],
    [['fit', 'f.csv', '-k', '1', '--tol', 'Infinity'], /^--tol must be a decimal number ≥ 0/],
    [['fit', 'f.csv', '-k', '1', '--tol', '1e999'], /^--tol must be a decimal number ≥ 0/],
    [['fit', 'f.csv', '-k', '1', '--seed', ''], /^--seed must be a whole number ≥ 0, got ""$/],
    [['fit', 'f.csv', '-k', '1', '--seed', '99999999999999999999'], /^--seed must be a whole number ≥ 0/],
    [['fit', 'f.csv', '-k', '1', '--batch', '1'], /^--batch must be a whole number ≥ 2, got "1"$/],
    [['fit', 'f.csv', '-k', '1', '--max-steps', ' '], /^--max-steps must be a whole number ≥ 1, got " "$/],
    [['fit', 'f.csv', '-k', '1', '--devices', ''], /^--devices must be a whole number ≥ 1 or auto, got ""$/],
    [['fit', 'f.csv', '-k', '1', '--devices', '0'], /^--devices must be a whole number ≥ 1 or auto, got "0"$/],
    [['fit', 'f.csv', '-k', '1', '--solver', 'fast'], /^--solver must be auto, covariance, data or gram, got "fast"$/],
    [['fit', 'f.csv', '-k', '1', '--format', 'tsv'], /^--format must be npy, csv, parquet, npz or mtx, got "tsv"$/],
    [['fit', 'f.csv', '-k', '1', '--header', 'true'], /^--header must be auto, yes or no, got "true"$/],
    [['cca', 'f.csv', 'g.csv', '-k', '1', '--regularization', ''], /^--regularization must be a decimal number ≥ 0/],
    // Text values.
    [['fit', 'f.csv', '-k', '1', '--out', ''], /^--out needs a file name, got ""$/],
    [['fit', 'f.csv', '-k', '1', '--delimiter', ''], /^--delimiter must be one character/],
    [['fit', 'f.csv', '-k', '1', '--delimiter', ';;'], /^--delimiter must be one character other than a quote or a line end \(\\t or tab for a tab\), got ";;"$/],
    [['fit', 'f.csv', '-k', '1', '--delimiter', '"'], /^--delimiter must be one character/],
    [['fit', 'f.csv', '-k', '1', '--columns', 'a,,b'], /^--columns "a,,b" has an empty column name \(item 2\)/],
    [['fit', 'f.csv', '-k', '1', '--columns', ''], /^--columns "" has an empty column name/],
    [['lda', 'f.csv', '-k', '1', '--labels', 'label,a'], /^--labels takes one column \(the classes\), got 2: "label,a"; X is every other column$/],
    [['lda', 'f.csv', '-k', '1', '--labels', ''], /^--labels "" has an empty column name/],
    [['cca', 'f.csv', '-k', '1', '--x', 'a,', '--y', 'b'], /^--x "a," has an empty column name \(item 2\)/],
    // Missing values, values on switches, repeats.
    [['fit', 'f.csv', '-k'], /^-k needs a value: -k <k>$/],
    [['fit', 'f.csv', '-k', '--quiet'], /^-k needs a value: -k <k>$/],
    [['fit', 'f.csv', '-k', '1', '--out'], /^--out needs a value: --out <file>$/],
    [['fit', 'f.csv', '-k', '1', '--quiet=yes'], /^--quiet is a switch and takes no value, got "yes"$/],
    [['fit', 'f.csv', '-k', '1', '--no-center=false'], /^--no-center is a switch and takes no value, got "false"$/],
    [['fit', 'f.csv', '-k', '2', '-k', '3'], /^-k is given twice \(2 and 3\): give it once$/],
    [['fit', 'f.csv', '-k', '2', '--out', 'a.json', '--out=b.json'], /^--out is given twice \(a\.json and b\.json\): give it once$/],
    // Unknown options: one line naming the option (and the nearest one for a typo).
    [['fit', 'f.csv', '-k', '1', '--bogus'], /^fit has no option --bogus$/],
    [['fit', 'f.csv', '-k', '1', '--max-step', '3'], /^fit has no option --max-step \(did you mean --max-steps\?\)$/],
    [['fit', 'f.csv', '-k', '1', '-z'], /^fit has no option -z$/],
    [['fit', 'f.csv', '-k', '1', '--center'], /^fit has no option --center$/],
    // Options another command takes: refused, never ignored.
    [['lda', 'f.csv', '--labels', 'c', '-k', '1', '--no-center'], /^lda takes no --no-center: its scatter matrices are taken about the class means/],
    [['lda', 'f.csv', '--labels', 'c', '-k', '1', '--columns', 'a'], /^lda takes no --columns: X is every column but --labels$/],
    [['lda', 'f.csv', '--labels', 'c', '-k', '1', '--x', 'a'], /^lda takes no --x/],
    [['cca', 'f.csv', 'g.csv', '-k', '1', '--solver', 'data'], /^cca takes no --solver/],
    [['cca', 'f.csv', 'g.csv', '-k', '1', '--columns', 'a'], /^cca takes no --columns: name X's and Y's columns with --x and --y$/],
    [['pls', 'f.csv', 'g.csv', '-k', '1', '--regularization', '0.1'], /^pls takes no --regularization: its B is the identity$/],
    [['fit', 'f.csv', '-k', '1', '--labels', 'c'], /^fit takes no --labels: it is lda's$/],
    [['transform', 'm.json', 'f.csv', '--out', 's.npy', '-k', '2'], /^transform takes no -k: k is the model's$/],
    [['cca', 'f.csv', 'g.csv', '-k', '1', '--transpose'], /^cca takes no --transpose: it reads dense files \(.npy, CSV, Parquet\); fit, transform and info read sparse ones$/],
    [['cca', 'f.csv', 'g.csv', '-k', '1', '--stream'], /^cca takes no --stream: it reads dense files \(.npy, CSV, Parquet\), always streamed; --stream is fit's, for sparse files$/],
    [['pls', 'f.csv', 'g.csv', '-k', '1', '--stream'], /^pls takes no --stream: it reads dense files/],
    [['lda', 'f.csv', '--labels', 'c', '-k', '1', '--stream'], /^lda takes no --stream: it reads dense files/],
    [['transform', 'm.json', 'f.mtx', '--out', 's.npy', '--stream'], /^transform takes no --stream: fit streams a sparse file \(--stream\); transform and info read a sparse file whole$/],
    [['info', 'f.mtx', '--stream'], /^info takes no --stream: fit streams/],
    [['transform', 'm.json', 'f.csv', '--out', 's.npy', '--no-center'], /^transform has no option --no-center$/],
    [['info', 'f.csv', '--out', 'x.json'], /^info has no option --out$/],
    [['info', 'f.csv', '--seed', '1'], /^info has no option --seed$/],
    // Required options and files.
    [['fit', 'f.csv'], /^fit needs -k <k>, the number of components$/],
    [['lda', 'f.csv', '-k', '1'], /^lda needs --labels <column>/],
    [['transform', 'm.json', 'f.csv'], /^transform needs --out <file\.npy\|file\.csv>/],
    [['transform', 'm.json', 'f.csv', '--out', 's.txt'], /^--out must end in \.npy, \.csv or \.tsv, got "s\.txt"$/],
    [['fit', '-k', '1'], /^fit takes one file, got 0: eigengame fit <file> -k <k> \[options\]$/],
    [['fit', 'a.csv', 'b.csv', '-k', '1'], /^fit takes one file, got 2 \(a\.csv b\.csv\)/],
    [['info'], /^info takes one file, got 0: eigengame info <file> \[options\]$/],
    [['cca', 'a', 'b', 'c', '-k', '1'], /^cca takes one file \(with --x and --y\) or two, got 3/],
    [['cca', 'a.csv', '-k', '1'], /^with one file, cca needs --x <columns> and --y <columns>$/],
    [['pls', 'a.csv', 'b.csv', '-k', '1', '--y', '1'], /^--x and --y name the columns of one file; with two files, X is the first and Y the second$/],
    [['fit', '', '-k', '1'], /^fit: a file name is empty$/],
    [[], /^a command is needed: fit, transform, info, cca, pls or lda$/],
    [['fitt', 'f.csv'], /^unknown command "fitt": the commands are fit, transform, info, cca, pls or lda$/],
    [['--bogus'], /^a command is needed/],
  ])('refuses %j: %s', (argv, message) => {
    expect(refusal(argv)).toMatch(message);
  });

  it('every refusal is one line', () => {
    for (const argv of [['fit', 'f.csv', '-k', ''], ['lda', 'f.csv', '--labels', 'a,b', '-k', '1'], ['cca', 'a', 'b', 'c']]) expect(refusal(argv)).not.toMatch(/\n/);
  });

  it('--help wins over everything else, and asks for the command\'s own help', () => {
    expect(parseCommandLine(['fit', '--help', '-k', 'x', '--bogus'])).toEqual({ kind: 'help', command: 'fit' });
    expect(parseCommandLine(['-h'])).toEqual({ kind: 'help', command: null });
    expect(parseCommandLine(['lda', '-h'])).toEqual({ kind: 'help', command: 'lda' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
    expect(refusal(['fitt', '--help'])).toMatch(/^unknown command "fitt"/);
  });

  it('each command\'s help lists exactly the options it takes: each accepted, every other one refused', () => {
    const everyOption = new Set<string>();
    const helps = Object.fromEntries(COMMANDS.map((command) => [command, commandHelp(command)]));
    for (const help of Object.values(helps)) for (const [flag] of help.matchAll(/--[a-z-]+/g)) everyOption.add(flag);
    expect([...everyOption].sort()).toEqual([
      '--batch', '--columns', '--delimiter', '--devices', '--format', '--header', '--help', '--json', '--k', '--labels', '--max-steps',
      '--no-center', '--out', '--quiet', '--regularization', '--seed', '--solver', '--stream', '--tol', '--transpose', '--x', '--y',
    ]);
    const sample: Record<string, string | null> = {
      '--batch': '8', '--columns': 'a', '--delimiter': ',', '--devices': '1', '--format': 'csv', '--header': 'yes', '--json': null, '--k': '1',
      '--labels': 'c', '--max-steps': '5', '--no-center': null, '--out': 'o.csv', '--quiet': null, '--regularization': '0.1', '--seed': '3',
      '--solver': 'data', '--stream': null, '--tol': '0.1', '--transpose': null, '--x': 'a', '--y': 'b',
    };
    const base: Record<string, string[]> = {
      fit: ['fit', 'f.csv', '--k', '1'], transform: ['transform', 'm.json', 'f.csv', '--out', 's.csv'], info: ['info', 'f.csv'],
      cca: ['cca', 'f.csv', '--x', 'a', '--y', 'b', '--k', '1'], pls: ['pls', 'f.csv', '--x', 'a', '--y', 'b', '--k', '1'], lda: ['lda', 'f.csv', '--labels', 'c', '--k', '1'],
    };
    for (const command of COMMANDS) {
      const listed = new Set(helps[command].match(/--[a-z-]+/g));
      expect(helps[command]).toMatch(new RegExp(`^Usage: eigengame ${command} `));
      for (const flag of Object.keys(sample)) {
        if (base[command].includes(flag)) continue;
        const argv = [...base[command], ...(sample[flag] === null ? [flag] : [flag, sample[flag]!])];
        if (listed.has(flag)) expect(() => parseCommandLine(argv), `${command} ${flag}`).not.toThrow();
        else expect(refusal(argv), `${command} ${flag}`).toMatch(new RegExp(`^${command} (has no option|takes no) ${flag}`));
      }
    }
  });

  it('the overview names the commands and points to their help, without any command\'s options', () => {
    const help = overviewHelp();
    for (const command of COMMANDS) expect(help).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help).toMatch(/Run eigengame <command> --help for a command's options/);
    expect(help).toMatch(/Exit codes: 0 success; 1 failure .*; 2 usage/s);
    expect(help).not.toMatch(/--tol|--labels|--max-steps/);
    expect(commandHelp('fit').split('\n').length).toBeLessThan(overviewHelp().split('\n').length + 10);
    expect(commandHelp('info')).not.toMatch(/--tol|--out|-k/);
  });
});

describe('the command line against a file\'s columns', () => {
  const names = ['label', 'a', 'b', 'c'];
  it('resolves names and indices, and refuses a column the file lacks or one named twice', () => {
    expect(resolveColumns(['c', 1], '--columns', 'f.csv', 4, names)).toEqual([3, 1]);
    expect(() => resolveColumns(['nosuch'], '--labels', 'f.csv', 4, names)).toThrow(new ArgumentError('--labels: f.csv has no column named "nosuch"; it has "label", "a", "b", "c"'));
    expect(() => resolveColumns([4], '--x', 'f.csv', 4, names)).toThrow(new ArgumentError('--x: f.csv has no column 4; its 4 columns are 0 to 3'));
    expect(() => resolveColumns(['a'], '--x', 'f.npy', 4, null)).toThrow(/^--x: f\.npy has no header row, so column "a" cannot be found: name its columns by 0-based index$/);
    expect(() => resolveColumns(['a', 1], '--columns', 'f.csv', 4, names)).toThrow(/^--columns names f\.csv's column 1 \("a"\) twice \(as "a" and 1\)$/);
  });

  it('refuses X and Y that share a column (they would correlate perfectly)', () => {
    const args = { noCenter: false, transpose: false, stream: false, quiet: false, json: false };
    expect(resolveViews({ ...args, x: ['a', 'b'], y: ['c'] }, 'f.csv', 4, names)).toEqual({ x: [1, 2], y: [3] });
    expect(() => resolveViews({ ...args, x: ['a'], y: ['a'] }, 'f.csv', 4, names)).toThrow(/^--x and --y both hold f\.csv's column 1 \("a"\): a column belongs to one view only$/);
    expect(() => resolveViews({ ...args, x: ['a', 'b'], y: [2] }, 'f.csv', 4, names)).toThrow(/^--x and --y both hold f\.csv's column 2 \("b"\)/);
  });
});
