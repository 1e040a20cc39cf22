import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { AtomicFile, SealpostError, isProcessAlive, makeDirectory, syncDirectory } from '@sealpost/envelope';
import { BLOB_NAME, type BlobStore } from './blob-store.ts';

const READ_BYTES = 256 * 1024;
const HASH_BYTES = 1024 * 1024;
/** Files in `tmp/` older than this are removed at `init` whoever wrote them (a writer on another host that died). */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** This host, as it appears in staged names (which are split at dots). */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_') || 'host';
/** The writer of a staged file: `HOST.PID.` at the start of its name (AtomicFile's temporary name adds a dot before). */
const WRITER = /^\.?([A-Za-z0-9_-]+)\.(\d+)\./;
/** When this process started, to tell its own files from those of an earlier process with the same pid (pid 1 in a container). */
const STARTED_MS = Date.now() - process.uptime() * 1000;

/**
 * True when a file in `tmp/` can no longer be completed: its writer on this host is gone (or is
 * an earlier process with our pid), or it is an hour old. A file of a live writer is kept.
 */
function abandoned(file: string, mtimeMs: number, now: number): boolean {
  if (now - mtimeMs > STALE_TEMP_MS) return true;
  const writer = WRITER.exec(file);
  if (!writer || writer[1] !== HOST) return false;
  const pid = Number(writer[2]);
  return pid === process.pid ? mtimeMs < STARTED_MS : !isProcessAlive(pid);
}
/** Blobs are written in this subdirectory and renamed into place, so `init` finds leftovers without listing every blob. */
const STAGING = 'tmp';

function ioFailure(message: string, cause: unknown): SealpostError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // A full disk or a transient fault may pass; a permission problem is for an operator, who may fix it: retry either way.
  return new SealpostError('STORE_UNAVAILABLE', `${message}: ${(cause as Error)?.message ?? String(cause)}`, { cause, transient: code !== 'EROFS' });
}

/**
 * Blobs as files under `root`, in subdirectories named by the first two hex digits of the
 * digest: `ROOT/ab/ID.SHA256`. Each is written in `ROOT/tmp/` under a name of its own (mode
 * 0600), fsynced, renamed into place and its directory fsynced; a failed write removes its file,
 * and `init` removes the ones a killed process left in `tmp/`: at once when it ran on this host
 * (the staged name carries host and pid), else once they are an hour old. `tmp/` is mode 0700.
 * References are `dir:ab/ID.SHA256`, relative to `root`, so the data directory can move.
 */
export function createDirectoryBlobStore(root: string): BlobStore {
  const pathOf = (ref: string): string => {
    const name = ref.slice('dir:'.length);
    const [fan, file] = name.split('/');
    if (!ref.startsWith('dir:') || !file || !BLOB_NAME.test(file) || fan !== file.slice(37, 39)) throw new SealpostError('STORE_CORRUPT', `${JSON.stringify(ref)} is not a blob reference of ${root}`);
    return join(root, fan, file);
  };
  const prepare = async (name: string) => {
    if (!BLOB_NAME.test(name)) throw new SealpostError('INTERNAL_ERROR', `invalid blob name ${JSON.stringify(name)}`);
    const fan = name.slice(37, 39);
    const dir = join(root, fan);
    const staging = join(root, STAGING);
    try {
      await makeDirectory(dir);
      await makeDirectory(staging);
      // Only the owner may look into tmp/: a payload is there before its mode is 0600.
      await chmod(staging, 0o700);
    } catch (error) {
      throw ioFailure(`cannot create the blob directory ${dir}`, error);
    }
    // A name of its own in tmp/: writers of the same blob at once never move each other's file.
    return { dir, fan, staging, staged: join(staging, `${HOST}.${process.pid}.${name}.${randomBytes(6).toString('hex')}`) };
  };
  // The staged file is fsynced; the rename into place replaces a copy another writer of the same
  // message put there (same bytes); the directory fsync makes the rename itself durable.
  const place = async (staged: string, dir: string, name: string) => {
    try {
      await rename(staged, join(dir, name));
      await syncDirectory(dir);
    } catch (error) {
      await unlink(staged).catch(() => undefined);
      throw ioFailure(`cannot write the blob ${join(dir, name)}`, error);
    }
  };
  return {
    location: `dir:${root}`,
    async init(create) {
      if (!create) return;
      const staging = join(root, STAGING);
      const now = Date.now();
      for (const file of await readdir(staging).catch(() => [] as string[])) {
        const path = join(staging, file);
        const info = await stat(path).catch(() => undefined);
        if (info?.isFile() && abandoned(file, info.mtimeMs, now)) await unlink(path).catch(() => undefined);
      }
    },
    owns: (ref) => ref.startsWith('dir:'),
    async write(name, source) {
      const { dir, fan, staging, staged } = await prepare(name);
      const file = await AtomicFile.create(staged).catch((error: unknown) => {
        throw ioFailure(`cannot write a blob in ${staging}`, error);
      });
      try {
        for await (const chunk of source) await file.write(chunk as Uint8Array);
      } catch (error) {
        await file.discard();
        throw error instanceof SealpostError ? error : ioFailure(`cannot write a blob in ${staging}`, error);
      }
      try {
        await file.commit(0o600);
      } catch (error) {
        throw ioFailure(`cannot write a blob in ${staging}`, error);
      }
      await place(staged, dir, name);
      return `dir:${fan}/${name}`;
    },
    async writeFile(name, path, sha256) {
      const { dir, fan, staging, staged } = await prepare(name);
      let size: number;
      try {
        // A kernel copy (copy_file_range, or a reflink where the file system has them): the bytes
        // never pass through JavaScript, so a large payload leaves no garbage for the collector.
        await copyFile(path, staged, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
        const handle = await open(staged, 'r+');
        try {
          await handle.chmod(0o600);
          // The copy is what is kept, so the copy is what is checked, through one reused buffer.
          const hash = createHash('sha256');
          const chunk = Buffer.allocUnsafe(HASH_BYTES);
          size = 0;
          for (let n; (n = (await handle.read(chunk, 0, HASH_BYTES, size)).bytesRead) > 0; size += n) hash.update(chunk.subarray(0, n));
          const digest = hash.digest();
          if (digest.length !== sha256.length || !timingSafeEqual(digest, sha256)) throw new SealpostError('PAYLOAD_MISMATCH', `the payload file ${path} does not match its SHA-256 digest`);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        await unlink(staged).catch(() => undefined);
        if (error instanceof SealpostError) throw error;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await stat(path).catch(() => undefined))) throw new SealpostError('IO_ERROR', `cannot read ${path}: ${(error as Error).message}`, { cause: error, transient: false });
        throw ioFailure(`cannot write a blob in ${staging}`, error);
      }
      await place(staged, dir, name);
      return { ref: `dir:${fan}/${name}`, size };
    },
    async read(ref) {
      const path = pathOf(ref);
      try {
        const handle = await open(path, 'r');
        return handle.createReadStream({ highWaterMark: READ_BYTES }) as Readable;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SealpostError('STORE_CORRUPT', `the payload blob ${resolve(path)} is missing`, { cause: error });
        throw ioFailure(`cannot read the payload blob ${path}`, error);
      }
    },
    async remove(ref) {
      await unlink(pathOf(ref)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw ioFailure(`cannot remove the payload blob ${ref}`, error);
      });
    },
    async close() {},
  };
}
