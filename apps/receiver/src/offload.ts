import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SealpostError, isProcessAlive, scavengeWhile, type Opener, type VerifiedMessage } from '@sealpost/envelope';
import { createS3OffloadReader, type OffloadPointer, type S3OffloadReader } from '@sealpost/transport';
import type { ReceiverConfig } from './config.ts';

/** How a receiver follows offload pointers. */
export interface OffloadHandling {
  /** Checks pointers, streams their objects, deletes them. */
  readonly reader: S3OffloadReader;
  /** This process's own directory for payloads being verified; emptied at start. */
  readonly workDir: string;
  /** Keep objects of stored messages instead of deleting them. */
  readonly keep: boolean;
}

/** A private work directory's name: the owning process id, so a restart can tell whose it is. */
const OWNED = /^pid-(\d+)$/;

/**
 * Creates this process's work directory under `base` and removes what crashed receivers left
 * there: the directories of processes that no longer run (and one under our own pid, left by a
 * previous process that had it, as a restarted container's receiver does). Payload files of a
 * receiver killed mid-download (SIGKILL runs no cleanup) thus go at the next start.
 */
export async function prepareWorkDir(base: string): Promise<string> {
  await mkdir(base, { recursive: true, mode: 0o700 });
  for (const name of await readdir(base)) {
    const owner = OWNED.exec(name);
    if (owner && (Number(owner[1]) === process.pid || !isProcessAlive(Number(owner[1])))) await rm(join(base, name), { recursive: true, force: true });
  }
  const own = join(base, `pid-${process.pid}`);
  await mkdir(own, { mode: 0o700 });
  return own;
}

/** The offload handling a configuration asks for; undefined when no bucket is allowed. */
export async function createOffloadFromConfig(config: ReceiverConfig): Promise<OffloadHandling | undefined> {
  if (config.offloadBuckets.length === 0) return undefined;
  return {
    reader: createS3OffloadReader({ allowedBuckets: config.offloadBuckets, maxBytes: config.offloadMaxBytes }),
    workDir: await prepareWorkDir(config.offloadTempDir),
    keep: config.offloadKeep,
  };
}

/**
 * Opens an offloaded envelope: checks the pointer (allowed bucket, declared size) before any
 * request, streams the object through the streaming open (size and digest enforced as it is
 * read; nothing released before every check) into a payload file in the work directory, and
 * hands the verified message and that file to `use`. The file is removed however this ends.
 */
export async function withOffloaded<T>(
  offload: OffloadHandling | undefined,
  opener: Opener,
  pointer: OffloadPointer,
  use: (verified: VerifiedMessage, payloadPath: string) => Promise<T>,
): Promise<T> {
  if (!offload) {
    throw new SealpostError('POINTER_BUCKET_NOT_ALLOWED', `the pointer names bucket ${JSON.stringify(pointer.bucket)}, and no offload bucket is allowed (SEALPOST_OFFLOAD_BUCKETS)`, { transient: false });
  }
  offload.reader.check(pointer);
  const payloadPath = join(offload.workDir, randomUUID());
  try {
    const source = await offload.reader.fetch(pointer);
    let verified: VerifiedMessage;
    try {
      verified = await opener.openStream(source, { payloadPath });
    } finally {
      // An open that failed early leaves the download unread: end it (closes the connection).
      await source.return(undefined).catch(() => undefined);
    }
    // The store reads the payload file once more (into its blob location): keep that flat too.
    return await scavengeWhile(() => use(verified, payloadPath));
  } finally {
    await rm(payloadPath, { force: true });
  }
}
