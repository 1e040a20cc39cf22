import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { AtomicFile, SealpostError, makeDirectory } from '@sealpost/envelope';
import { BLOB_NAME, type BlobStore } from './blob-store.ts';

const READ_BYTES = 256 * 1024;
/** Temporary files of a writer that died (SIGKILL, power loss) older than this are removed at `init`. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** AtomicFile's temporary names: `.NAME.RANDOM.tmp`. */
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

function ioFailure(message: string, cause: unknown): SealpostError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // A full disk or a transient fault may pass; a permission problem is for an operator, who may fix it: retry either way.
  return new SealpostError('STORE_UNAVAILABLE', `${message}: ${(cause as Error)?.message ?? String(cause)}`, { cause, transient: code !== 'EROFS' });
}

/** Makes a rename in `dir` durable: on Linux a new directory entry survives a crash only once the directory is fsynced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files under `root`, in subdirectories named by the first two hex digits of the
 * digest: `ROOT/ab/ID.SHA256`. Each is written under a temporary name (mode 0600), fsynced,
 * renamed into place and its directory fsynced; a failed or interrupted write removes its
 * temporary file (and `init` removes ones a killed process left, once they are an hour old).
 * References are `dir:ab/ID.SHA256`, relative to `root`, so the data directory can move.
 */
export function createDirectoryBlobStore(root: string): BlobStore {
  const pathOf = (ref: string): string => {
    const name = ref.slice('dir:'.length);
    const [fan, file] = name.split('/');
    if (!ref.startsWith('dir:') || !file || !BLOB_NAME.test(file) || fan !== file.slice(37, 39)) throw new SealpostError('STORE_CORRUPT', `${JSON.stringify(ref)} is not a blob reference of ${root}`);
    return join(root, fan, file);
  };
  return {
    location: `dir:${root}`,
    async init(create) {
      if (!create) return;
      // Temporary files of writers that were killed; younger ones may belong to a live writer.
      const now = Date.now();
      const fans = await readdir(root).catch(() => [] as string[]);
      for (const fan of fans.filter((f) => /^[0-9a-f]{2}$/.test(f))) {
        for (const file of (await readdir(join(root, fan)).catch(() => [] as string[])).filter((f) => TEMP_NAME.test(f))) {
          const path = join(root, fan, file);
          const info = await stat(path).catch(() => undefined);
          if (info && now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
        }
      }
    },
    owns: (ref) => ref.startsWith('dir:'),
    async write(name, source) {
      if (!BLOB_NAME.test(name)) throw new SealpostError('INTERNAL_ERROR', `invalid blob name ${JSON.stringify(name)}`);
      const fan = name.slice(37, 39);
      const dir = join(root, fan);
      try {
        await makeDirectory(dir);
      } catch (error) {
        throw ioFailure(`cannot create the blob directory ${dir}`, error);
      }
      const file = await AtomicFile.create(join(dir, name)).catch((error: unknown) => {
        throw ioFailure(`cannot write a blob in ${dir}`, error);
      });
      try {
        for await (const chunk of source) await file.write(chunk as Uint8Array);
      } catch (error) {
        await file.discard();
        throw error instanceof SealpostError ? error : ioFailure(`cannot write a blob in ${dir}`, error);
      }
      // commit fsyncs the file and renames it; the directory fsync makes the rename itself durable.
      await file.commit(0o600).catch((error: unknown) => {
        throw ioFailure(`cannot write a blob in ${dir}`, error);
      });
      await syncDirectory(dir).catch((error: unknown) => {
        throw ioFailure(`cannot sync the blob directory ${dir}`, error);
      });
      return `dir:${fan}/${name}`;
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
