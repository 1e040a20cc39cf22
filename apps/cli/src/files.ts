import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SealpostError } from '@sealpost/envelope';

/** Refuses to overwrite an existing file unless `force` is set. */
export async function assertWritable(path: string, force: boolean): Promise<void> {
  if (force || path === '-') return;
  const exists = await access(path).then(() => true, () => false);
  if (exists) throw new SealpostError('CONFIG_INVALID', `${path} exists; pass --force to overwrite it`);
}

/** Runs `work` with a private temporary directory that is removed afterwards. */
export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
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
