import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SealpostError } from '@sealpost/envelope';
import { removeOnExit } from './cleanup.ts';

/**
 * Refuses to overwrite an existing file unless `force` is set; `remedy` says what to do instead
 * (for commands without --force).
 */
export async function assertWritable(path: string, force: boolean, remedy = 'pass --force to overwrite it'): Promise<void> {
  if (force || path === '-') return;
  const exists = await access(path).then(() => true, () => false);
  if (exists) throw new SealpostError('CONFIG_INVALID', `${path} exists; ${remedy}`);
}

/** Refuses two outputs of one command that name the same file (one would silently replace the other). */
export function assertDistinct(outputs: readonly (readonly [flag: string, path: string | undefined])[]): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (path === undefined || path === '-') continue;
    const other = seen.get(resolve(path));
    if (other) throw new SealpostError('CONFIG_INVALID', `${other} and ${flag} both name ${path}; give them different files`);
    seen.set(resolve(path), flag);
  }
}

/**
 * Runs `work` with a private temporary directory that is removed afterwards, on every exit path:
 * errors, and signals too (see removeTemporariesOnExit).
 */
export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-'));
  const unregister = removeOnExit(dir);
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    unregister();
  }
}

/** Copies standard input to a new file (mode 0600). */
export async function spoolStdin(path: string): Promise<void> {
  await pipeline(process.stdin, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
}

/** Copies a file to standard output. */
export async function catToStdout(path: string): Promise<void> {
  await pipeline(createReadStream(path), process.stdout, { end: false });
}
