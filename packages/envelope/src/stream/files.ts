import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReadStream } from 'node:fs';
import { SealpostError } from '../errors.ts';

const BATCH_BYTES = 256 * 1024;
const WRITES_IN_FLIGHT = 4;
const READ_BYTES = 64 * 1024;

// Temporary files created and not yet committed or discarded, for removal on a signal.
const pending = new Set<string>();

/**
 * Removes, synchronously, every temporary file of an {@link AtomicFile} not yet committed or
 * discarded: for a process about to exit on a signal, so that no partial or unverified bytes
 * stay on disk. Later commits of those files fail.
 */
export function discardPendingFilesSync(): void {
  for (const path of pending) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
  pending.clear();
}

/**
 * A file written under a temporary name beside its destination and moved into place only by
 * {@link AtomicFile.commit}, after an fsync; {@link AtomicFile.discard} removes it. Readers of
 * the destination never see a partial or unverified file.
 */
export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly #handle: FileHandle;
  #open = true;
  // Writes are gathered (writev) into batches of at least 256 KiB: a system call per small piece costs more than the
  // AES-GCM of the frame.
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  // Batches go to their own offsets, a few at once, on the thread pool: the kernel's copy into
  // the page cache runs beside the crypto of the next frames instead of after it.
  #inFlight: Promise<void>[] = [];
  #position = 0;

  private constructor(path: string, tempPath: string, handle: FileHandle) {
    this.path = path;
    this.tempPath = tempPath;
    this.#handle = handle;
  }

  /** Creates the temporary file (mode 0600 until committed: it may hold unverified bytes). */
  static async create(path: string): Promise<AtomicFile> {
    const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    pending.add(tempPath);
    try {
      return new AtomicFile(path, tempPath, await open(tempPath, 'wx', 0o600));
    } catch (cause) {
      pending.delete(tempPath);
      throw ioError(`cannot create ${tempPath}`, cause);
    }
  }

  /** Appends bytes (buffered; `bytes` must not be modified afterwards). */
  async write(bytes: Uint8Array): Promise<void> {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= BATCH_BYTES) {
      if (this.#inFlight.length >= WRITES_IN_FLIGHT) await this.#inFlight.shift();
      const flushing = this.#flush();
      // Marked handled here; the rejection still surfaces at the next write, commit or discard.
      flushing.catch(() => undefined);
      this.#inFlight.push(flushing);
    }
  }

  async #settle(): Promise<void> {
    const all = this.#inFlight;
    this.#inFlight = [];
    await Promise.all(all);
  }

  async #flush(): Promise<void> {
    let batch = this.#pending;
    let position = this.#position;
    this.#position += this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      // writev gathers without copying; a short write leaves the rest to write again.
      while (batch.length > 0) {
        const { bytesWritten } = await this.#handle.writev(batch, position);
        position += bytesWritten;
        let skip = bytesWritten;
        while (batch.length > 0 && skip >= batch[0]!.length) skip -= batch.shift()!.length;
        if (skip > 0) batch = [batch[0]!.subarray(skip), ...batch.slice(1)];
      }
    } catch (cause) {
      throw ioError(`cannot write ${this.tempPath}`, cause);
    }
  }

  /** Flushes to disk, sets `mode` and renames onto the destination. */
  async commit(mode = 0o644): Promise<void> {
    try {
      await this.#settle();
      await this.#flush();
      await this.#handle.chmod(mode);
      await this.#handle.sync();
      await this.#handle.close();
      this.#open = false;
      await rename(this.tempPath, this.path);
      pending.delete(this.tempPath);
    } catch (cause) {
      await this.discard();
      throw ioError(`cannot move ${this.tempPath} to ${this.path}`, cause);
    }
  }

  /** Closes and removes the temporary file; safe to call more than once. */
  async discard(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#settle().catch(() => undefined);
    if (this.#open) {
      this.#open = false;
      await this.#handle.close().catch(() => undefined);
    }
    await unlink(this.tempPath).catch(() => undefined);
    pending.delete(this.tempPath);
  }
}

/** A file opened for reading, with its size at the time it was opened. */
export interface InputFile {
  stream: ReadStream;
  size: number;
}

/**
 * Opens `path` for reading before handing out a stream, so a missing or unreadable file is a
 * typed IO_ERROR here rather than an `error` event that fires before anyone listens.
 */
export async function openInputFile(path: string): Promise<InputFile> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    // Opening a directory succeeds on Linux; reading it fails later, far from the path.
    if (info.isDirectory()) throw Object.assign(new Error('EISDIR: it is a directory'), { code: 'EISDIR' });
    const { size } = info;
    return { stream: handle.createReadStream({ highWaterMark: READ_BYTES }), size };
  } catch (cause) {
    await handle?.close();
    throw ioError(`cannot read ${path}`, cause);
  }
}

/** An IO_ERROR that is permanent when retrying cannot help (missing file, no permission). */
export function ioError(message: string, cause: unknown): SealpostError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const permanent = code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST';
  return new SealpostError('IO_ERROR', `${message}: ${(cause as Error)?.message ?? String(cause)}`, { cause, transient: !permanent });
}
