import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { SealpostError } from '@sealpost/envelope';
import { BLOB_NAME, type BlobStore } from './blob-store.ts';

/** Options for {@link createS3BlobStore}. */
export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Key prefix, e.g. `sealpost/payloads/`. @defaultValue '' */
  readonly prefix?: string;
  /**
   * A client to use; by default one from the standard AWS configuration, with path-style
   * addressing when a custom endpoint (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`) is set, as
   * S3-compatible servers need.
   */
  readonly client?: S3Client;
  /** Multipart part size in bytes (at least 5 MiB). Memory per upload is about `partSize * queueSize`. @defaultValue 8 MiB */
  readonly partSize?: number;
  /** Parts uploaded at once. @defaultValue 4 */
  readonly queueSize?: number;
}

/** Errors that are about the request, not the service's state: an operator must act (bucket, access). */
const PERMANENT = new Set(['NoSuchBucket', 'AccessDenied', 'InvalidBucketName', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);

function s3Failure(what: string, error: unknown): SealpostError {
  if (error instanceof SealpostError) return error;
  const name = (error as Error)?.name ?? 'Error';
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  // Even "permanent" S3 errors are left to the worker's retries: a bucket policy gets fixed, and
  // the message must not be dead-lettered for a deployment mistake.
  return new SealpostError('STORE_UNAVAILABLE', `S3 ${what}: ${name}: ${(error as Error)?.message ?? String(error)}${status ? ` (HTTP ${status})` : ''}`, { cause: error, transient: true });
}

/** The S3 client the standard AWS configuration gives, path-style when an endpoint is set. */
export function defaultS3Client(): S3Client {
  return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) });
}

/**
 * Blobs as S3 objects `s3://BUCKET/PREFIX` + `ID.SHA256`, streamed in with a multipart upload
 * (`@aws-sdk/lib-storage`), so memory stays at a few parts whatever the size. An upload whose
 * source fails is aborted and leaves no object. References are the full `s3://BUCKET/KEY`.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket } = options;
  const prefix = options.prefix ?? '';
  const client = options.client ?? defaultS3Client();
  const partSize = options.partSize ?? 8 * 1024 * 1024;
  if (!Number.isInteger(partSize) || partSize < 5 * 1024 * 1024) throw new SealpostError('CONFIG_INVALID', `partSize must be an integer of at least 5 MiB, got ${String(partSize)}`);
  const base = `s3://${bucket}/`;
  const keyOf = (ref: string): string => {
    const key = ref.slice(base.length);
    if (!ref.startsWith(base) || !key.startsWith(prefix) || !BLOB_NAME.test(key.slice(key.lastIndexOf('/') + 1))) throw new SealpostError('STORE_CORRUPT', `${JSON.stringify(ref)} is not a blob reference of s3://${bucket}/${prefix}`);
    return key;
  };
  let closed = false;
  return {
    location: `s3://${bucket}/${prefix}`,
    async init() {
      // Fail fast at start-up on a missing bucket or missing rights; creates nothing.
      await client.send(new HeadBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
        const name = (error as Error).name;
        throw new SealpostError(name === 'NotFound' || PERMANENT.has(name) ? 'STORE_NOT_FOUND' : 'STORE_UNAVAILABLE', `S3 bucket ${bucket} for payload blobs: ${name}: ${(error as Error).message}`, { cause: error });
      });
    },
    // Only references under this prefix: others (written before the prefix changed) are read by a reader of their own.
    owns: (ref) => ref.startsWith(base + prefix),
    async write(name, source) {
      if (!BLOB_NAME.test(name)) throw new SealpostError('INTERNAL_ERROR', `invalid blob name ${JSON.stringify(name)}`);
      const key = `${prefix}${name}`;
      const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: source, ContentType: 'application/octet-stream' }, partSize, queueSize: options.queueSize ?? 4, leavePartsOnError: false });
      let sourceError: unknown;
      source.once('error', (error) => (sourceError = error));
      try {
        await upload.done();
      } catch (error) {
        throw sourceError instanceof SealpostError ? sourceError : s3Failure(`upload of ${key}`, sourceError ?? error);
      }
      return `${base}${key}`;
    },
    async read(ref) {
      const key = keyOf(ref);
      try {
        const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Body as Readable;
      } catch (error) {
        if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') throw new SealpostError('STORE_CORRUPT', `the payload blob ${ref} is missing`, { cause: error });
        throw s3Failure(`read of ${key}`, error);
      }
    },
    async remove(ref) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(ref) })).catch((error: unknown) => {
        throw s3Failure(`delete of ${ref}`, error);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!options.client) client.destroy();
    },
  };
}
