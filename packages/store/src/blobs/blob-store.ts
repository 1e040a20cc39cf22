import type { Readable } from 'node:stream';
import type { PayloadRef } from '../types.ts';

/**
 * Where payloads too large for a row are kept: a directory ({@link createDirectoryBlobStore}) or
 * an S3 bucket ({@link createS3BlobStore}). Blobs are written once under a name derived from the
 * message id and the payload digest, so a redelivered message rewrites the same name with the
 * same bytes and never leaves a second copy.
 */
export interface BlobStore {
  /** The location as configured, for logs: `dir:PATH` or `s3://BUCKET/PREFIX`. */
  readonly location: string;
  /** Prepares the location; `create: false` creates nothing (read-only use). */
  init(create: boolean): Promise<void>;
  /** True when `ref` names a blob of this location. */
  owns(ref: PayloadRef): boolean;
  /**
   * Writes `source` durably under `name` and returns its reference. Resolves only once the blob
   * is durable (fsynced and renamed into place; uploaded). When `source` fails, nothing is left
   * under `name` that was not there before (partial bytes are discarded) and the failure rejects.
   */
  write(name: string, source: Readable): Promise<PayloadRef>;
  /**
   * Optional: copies the local file `path` in as the blob `name` without passing its bytes
   * through JavaScript, and checks the copy against `sha256` (`PAYLOAD_MISMATCH`, permanent,
   * nothing kept). Same durability as {@link BlobStore.write}. `putFile` prefers it.
   */
  writeFile?(name: string, path: string, sha256: Uint8Array): Promise<{ readonly ref: PayloadRef; readonly size: number }>;
  /** Opens a blob for reading; a missing blob rejects with `STORE_CORRUPT`. */
  read(ref: PayloadRef): Promise<Readable>;
  /** Removes a blob; a missing one is not an error. */
  remove(ref: PayloadRef): Promise<void>;
  /** Releases clients; idempotent. */
  close(): Promise<void>;
}

/** The blob name of a message's payload: its id and SHA-256 (hex). */
export function blobName(id: string, sha256: Uint8Array): string {
  return `${id}.${Buffer.from(sha256).toString('hex')}`;
}

/** What {@link blobName} produces: a UUID and a SHA-256 in hex; nothing else is read or written. */
export const BLOB_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[0-9a-f]{64}$/;
