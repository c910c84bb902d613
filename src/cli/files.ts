// The files the `eigengame` command reads and writes, checked before any work so that minutes of fitting are not
// lost to a bad --out: every input is a file, every output can be written and is none of the inputs (nor another
// output). An output is written to a temporary file beside it and renamed into place only once complete, so a
// failed or interrupted command leaves the old file as it was and no partial file behind.

import { randomBytes } from 'node:crypto';
import { constants, rmSync, type BigIntStats } from 'node:fs';
import { access, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}

/** A file the command reads. */
export interface Input {
  /** As given on the command line (messages use it). */
  readonly path: string;
  /** What it is to the command: 'the input file', 'the model file'. */
  readonly role: string;
  readonly identity: FileIdentity;
}

/** A file the command writes. */
export interface Output {
  /** The option that named it, and the path as given there (messages use them). */
  readonly option: string;
  readonly path: string;
  /** Where the bytes go: the path with every symbolic link resolved (a link to a file keeps being that link). */
  readonly target: string;
  /** The file it replaces (null if there is none): sameness with the inputs, and its permission bits to keep. */
  readonly existing: FileIdentity | null;
  /** A device, FIFO or socket (/dev/stdout): written directly, since there is nothing to replace. */
  readonly direct: boolean;
}

/** An existing file: its real path and its status (device, inode, permission bits). */
interface FileIdentity {
  readonly real: string;
  readonly stats: BigIntStats;
}

/** The same real path, or the same device and inode (hard links, case-insensitive file systems). */
function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.real === b.real || (a.stats.ino !== 0n && a.stats.dev === b.stats.dev && a.stats.ino === b.stats.ino);
}

async function statIfAny(path: string): Promise<BigIntStats | null> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** An input that exists and is not a directory (a missing or unreadable one fails like a failed read: exit 1). */
export async function checkInput(path: string, role: string): Promise<Input> {
  let stats: BigIntStats;
  try {
    stats = await stat(path, { bigint: true });
  } catch (error) {
    throw new Error(`${path}: could not open it: ${(error as Error).message}`);
  }
  if (stats.isDirectory()) throw new UsageError(`${path} is a directory, not a file`);
  return { path, role, identity: await identify(path, stats) };
}

/** A device or FIFO may have no real path (/dev/stdin → pipe:[…]): its identity is its inode. */
async function identify(path: string, stats: BigIntStats): Promise<FileIdentity> {
  return { real: stats.isFile() ? await realpath(path) : resolve(path), stats };
}

/** Checks that each output can be written and is no input and no other output; throws a UsageError otherwise. */
export async function checkOutputs(outputs: { option: string; path: string }[], inputs: Input[]): Promise<Output[]> {
  const checked: Output[] = [];
  for (const { option, path } of outputs) {
    const output = await checkOutput(option, path);
    const named = `${option} ${path}`;
    if (output.existing) {
      const input = inputs.find((candidate) => sameFile(candidate.identity, output.existing!));
      if (input) throw new UsageError(`${named} is ${input.role} ${input.path}: eigengame never writes over its input`);
    }
    const twin = checked.find((other) => other.target === output.target
      || (other.existing !== null && output.existing !== null && sameFile(other.existing, output.existing)));
    if (twin) throw new UsageError(`${named} and ${twin.option} ${twin.path} are the same file: each output needs its own`);
    checked.push(output);
  }
  return checked;
}

async function checkOutput(option: string, path: string): Promise<Output> {
  const stats = await statIfAny(path);
  if (stats?.isDirectory()) throw new UsageError(`${option} ${path} is a directory: give a file name`);
  if (/[\\/]$/.test(path)) throw new UsageError(`${option} ${path} ends in a slash: give a file name`);
  return stats ? existingOutput(option, path, stats) : newOutput(option, path);
}

async function existingOutput(option: string, path: string, stats: BigIntStats): Promise<Output> {
  const named = `${option} ${path}`;
  const existing = await identify(path, stats);
  if (!stats.isFile()) {
    await writable(named, path, 'cannot write it');
    return { option, path, target: path, existing, direct: true };
  }
  await writable(named, dirname(existing.real), `cannot write in its directory ${dirname(existing.real)}`);
  await writable(named, existing.real, 'the file is read-only');
  return { option, path, target: existing.real, existing, direct: false };
}

async function newOutput(option: string, path: string): Promise<Output> {
  const named = `${option} ${path}`;
  const folder = dirname(path);
  const stats = await statIfAny(folder);
  if (!stats) throw new UsageError(`${named}: the directory ${folder} does not exist`);
  if (!stats.isDirectory()) throw new UsageError(`${named}: ${folder} is not a directory`);
  await writable(named, folder, `cannot write in the directory ${folder}`);
  return { option, path, target: join(await realpath(folder), basename(path)), existing: null, direct: false };
}

async function writable(named: string, path: string, problem: string): Promise<void> {
  try {
    await access(path, constants.W_OK);
  } catch (error) {
    throw new UsageError(`${named}: ${problem} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** Temporary files being written: removed at once if the process has to exit before their writers finish. */
const temporaries = new Set<string>();

/**
 * Writes an output through `write`: into a temporary file beside it (same directory, so the rename is atomic),
 * renamed over the output only when `write` succeeded and `signal` was not aborted; on any failure the temporary
 * file is removed and the old output stays as it was.
 */
export async function writeOutput(output: Output, signal: AbortSignal, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  if (output.direct) {
    await withHandle(output.target, 'w', write);
    return;
  }
  // The output's name is cut so that the temporary name fits in 255 bytes (48 characters take at most 192 in UTF-8).
  const temporary = join(dirname(output.target), `.${basename(output.target).slice(0, 48)}.eigengame-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  temporaries.add(temporary);
  try {
    await withHandle(temporary, 'wx', async (handle) => {
      if (output.existing) await handle.chmod(Number(output.existing.stats.mode & 0o7777n));
      await write(handle);
      await handle.datasync(); // the bytes reach the disk before the rename makes them the output
    });
    signal.throwIfAborted();
    await rename(temporary, output.target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    temporaries.delete(temporary);
  }
}

async function withHandle(path: string, flags: string, use: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await open(path, flags);
  try {
    await use(handle);
  } finally {
    await handle.close();
  }
}

/** For an exit that cannot wait for the writers (a second Ctrl-C): removes their temporary files now. */
export function removeTemporaryFiles(): void {
  for (const temporary of temporaries) rmSync(temporary, { force: true });
}
