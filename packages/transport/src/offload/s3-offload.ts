import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SealpostError, createScavenger, isSealpostError } from '@sealpost/envelope';
import { checkPointer, type OffloadLocation, type OffloadPointer } from './pointer.ts';
import { s3ClientFromEnvironment } from './s3-client.ts';

/** Options for {@link createS3Offload}. */
export interface S3OffloadOptions {
  /** The bucket and key prefix envelopes are written under. */
  readonly location: OffloadLocation;
  /** A client to use. @defaultValue one from the standard AWS configuration ({@link s3ClientFromEnvironment}) */
  readonly client?: S3Client;
  /** Bytes per multipart part (S3: at least 5 MiB). @defaultValue 5 MiB */
  readonly partSize?: number;
  /** Parts uploaded at once; memory is about partSize x (queueSize + 1). @defaultValue 2 */
  readonly queueSize?: number;
}

/** The sending half of S3 offload: writes envelopes to a bucket. */
export interface S3Offload {
  readonly location: OffloadLocation;
  /**
   * Streams an envelope to `prefix + name` as a multipart upload (one PutObject when it is
   * smaller than a part), hashing it on the way, and resolves to its pointer once S3 holds the
   * whole object. A failed upload is aborted (no parts left behind); an error of the source (the
   * seal) is rethrown as it is, an S3 failure is OFFLOAD_UNAVAILABLE (transient).
   */
  upload(name: string, source: AsyncIterable<Uint8Array> | Uint8Array): Promise<OffloadPointer>;
  close(): void;
}

/** S3's error names for a missing object or bucket. */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

const s3Failure = (what: string, pointer: { bucket: string; key: string }) => (cause: unknown): never => {
  if (isSealpostError(cause)) throw cause;
  const name = (cause as Error | undefined)?.name ?? '';
  if (MISSING.has(name)) throw new SealpostError('OFFLOAD_OBJECT_MISSING', `s3://${pointer.bucket}/${pointer.key} does not exist`, { cause, transient: false });
  throw new SealpostError('OFFLOAD_UNAVAILABLE', `S3 ${what} s3://${pointer.bucket}/${pointer.key}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
};

/**
 * Offload for senders: envelopes streamed into S3 with `@aws-sdk/lib-storage`'s Upload, memory
 * bounded by the part size and queue, whatever the envelope's size.
 *
 * @example
 * ```ts
 * const offload = createS3Offload({ location: parseOffloadLocation('s3://my-bucket/sealpost/') })
 * const { id, stream } = sealer.sealStream(file, size)
 * const pointer = await offload.upload(id, stream)
 * await transport.sendPointer(pointer, { messageId: id })
 * ```
 */
export function createS3Offload(options: S3OffloadOptions): S3Offload {
  const client = options.client ?? s3ClientFromEnvironment();
  const partSize = options.partSize ?? 5 * 1024 * 1024;
  const queueSize = options.queueSize ?? 2;
  if (!Number.isInteger(partSize) || partSize < 5 * 1024 * 1024) throw new SealpostError('CONFIG_INVALID', 'partSize must be at least 5 MiB (S3 multipart minimum)');
  if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 64) throw new SealpostError('CONFIG_INVALID', 'queueSize must be between 1 and 64');
  const { bucket, prefix } = options.location;
  return {
    location: options.location,
    async upload(name, source) {
      const key = `${prefix}${name}`;
      const hash = createHash('sha256');
      let size = 0;
      let sourceError: unknown;
      // An envelope already in memory is one chunk: nothing dies on the way to collect early.
      const scavenge = source instanceof Uint8Array ? () => undefined : createScavenger();
      async function* counted(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of source instanceof Uint8Array ? [source] : source) {
            hash.update(chunk);
            size += chunk.length;
            scavenge(chunk.length);
            yield chunk;
          }
        } catch (error) {
          sourceError = error;
          throw error;
        }
      }
      const body = Readable.from(counted(), { objectMode: false });
      // A failed upload destroys the body; its error is upload.done()'s (or the source's) to report.
      body.on('error', () => undefined);
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/vnd.sealpost.envelope' },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        if (sourceError !== undefined) throw sourceError;
        s3Failure('upload', { bucket, key })(error);
      }
      if (size === 0) throw new SealpostError('INTERNAL_ERROR', 'an empty envelope cannot be offloaded');
      return checkPointer({ bucket, key, size, sha256: hash.digest('hex') });
    },
    close() {
      if (!options.client) client.destroy();
    },
  };
}

/** Options for {@link createS3OffloadReader}. */
export interface S3OffloadReaderOptions {
  /** Buckets pointers may name; a pointer to any other is refused before any request. */
  readonly allowedBuckets: readonly string[];
  /** Largest envelope fetched, in bytes; a pointer declaring more is refused before any request. */
  readonly maxBytes: number;
  /** A client to use. @defaultValue one from the standard AWS configuration */
  readonly client?: S3Client;
}

/** The receiving half of S3 offload: checks pointers, streams their objects, deletes them. */
export interface S3OffloadReader {
  /**
   * Checks a pointer without any request: POINTER_BUCKET_NOT_ALLOWED for a bucket outside the
   * allow-list, OFFLOAD_TOO_LARGE for a declared size above `maxBytes`. Both permanent.
   */
  check(pointer: OffloadPointer): void;
  /**
   * Checks the pointer, then streams its object. The stream fails, before it releases the bytes
   * that prove it, with OFFLOAD_SIZE_MISMATCH as soon as more bytes arrive than the pointer
   * declares (or when S3 announces another length, or it ends short), and with
   * OFFLOAD_DIGEST_MISMATCH at its end when the SHA-256 differs. A missing object is
   * OFFLOAD_OBJECT_MISSING (permanent); S3 failing is OFFLOAD_UNAVAILABLE (transient).
   */
  fetch(pointer: OffloadPointer, signal?: AbortSignal): Promise<AsyncGenerator<Uint8Array>>;
  /** Deletes the pointer's object (a missing one is no error). */
  remove(pointer: OffloadPointer): Promise<void>;
  /** Checks that every allowed bucket answers (HeadBucket), reading no object: for a pre-flight. */
  probe(): Promise<void>;
  close(): void;
}

/** Creates an {@link S3OffloadReader}. */
export function createS3OffloadReader(options: S3OffloadReaderOptions): S3OffloadReader {
  if (options.allowedBuckets.length === 0) throw new SealpostError('CONFIG_INVALID', 'at least one offload bucket must be allowed');
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) throw new SealpostError('CONFIG_INVALID', 'maxBytes must be a positive integer');
  const allowed = new Set(options.allowedBuckets);
  const client = options.client ?? s3ClientFromEnvironment();
  const check = (pointer: OffloadPointer) => {
    if (!allowed.has(pointer.bucket)) {
      throw new SealpostError('POINTER_BUCKET_NOT_ALLOWED', `the pointer names bucket ${JSON.stringify(pointer.bucket)}, which is not among the allowed offload buckets`, { transient: false });
    }
    if (pointer.size > options.maxBytes) {
      throw new SealpostError('OFFLOAD_TOO_LARGE', `the pointer declares ${pointer.size} bytes, more than the ${options.maxBytes} this receiver fetches`, { transient: false });
    }
  };
  return {
    check,
    async fetch(pointer, signal) {
      check(pointer);
      const where = `s3://${pointer.bucket}/${pointer.key}`;
      const response = await client.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), signal ? { abortSignal: signal } : {}).catch(s3Failure('GetObject', pointer));
      const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
      const mismatch = (what: string) => new SealpostError('OFFLOAD_SIZE_MISMATCH', `${where}: ${what}, the pointer declares ${pointer.size} bytes`, { transient: false });
      if (!body) throw new SealpostError('OFFLOAD_UNAVAILABLE', `${where}: S3 returned no body`);
      if (response.ContentLength !== undefined && response.ContentLength !== pointer.size) {
        body.destroy?.();
        throw mismatch(`S3 holds ${response.ContentLength} bytes`);
      }
      const scavenge = createScavenger();
      async function* verified(): AsyncGenerator<Uint8Array> {
        const hash = createHash('sha256');
        let seen = 0;
        try {
          for await (const chunk of body!) {
            seen += chunk.length;
            scavenge(chunk.length);
            // Refused at once: an object larger than declared is never read past its declared size.
            if (seen > pointer.size) throw mismatch('the object is larger');
            hash.update(chunk);
            yield chunk;
          }
        } catch (error) {
          if (isSealpostError(error)) throw error;
          throw new SealpostError('OFFLOAD_UNAVAILABLE', `${where}: reading failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        } finally {
          body!.destroy?.();
        }
        if (seen !== pointer.size) throw mismatch(`the object ended after ${seen} bytes`);
        if (hash.digest('hex') !== pointer.sha256) throw new SealpostError('OFFLOAD_DIGEST_MISMATCH', `${where}: the object's SHA-256 is not the one the pointer names`, { transient: false });
      }
      return verified();
    },
    async remove(pointer) {
      await client.send(new DeleteObjectCommand({ Bucket: pointer.bucket, Key: pointer.key })).catch((cause: unknown) => {
        if (!MISSING.has((cause as Error | undefined)?.name ?? '')) s3Failure('DeleteObject', pointer)(cause);
      });
    },
    async probe() {
      for (const bucket of allowed) {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(30_000) }).catch((cause: unknown) => {
          throw new SealpostError('OFFLOAD_UNAVAILABLE', `S3 bucket ${bucket}: ${(cause as Error)?.name === 'NotFound' ? 'does not exist or is not ours' : ((cause as Error)?.message ?? String(cause))}`, { cause });
        });
      }
    },
    close() {
      if (!options.client) client.destroy();
    },
  };
}
