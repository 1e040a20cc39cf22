import { SealpostError, isBucketName, parseS3Location, type S3Location } from '@sealpost/envelope';

/**
 * The pointer class of the SQS Extended Client libraries (Java `payloadoffloading`, Python
 * `sqs-extended-client`): a message body `["<class>", {"s3BucketName": ..., "s3Key": ...}]`.
 */
export const POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';

/** The Extended Client's message attribute carrying the offloaded object's size in bytes. */
export const SIZE_ATTRIBUTE = 'ExtendedPayloadSize';

/** Sealpost's attribute beside it: the SHA-256 (hex) of the offloaded envelope. */
export const SHA256_ATTRIBUTE = 'sealpost-envelope-sha256';

/** The longest body or job data a pointer takes: anything longer is not one. */
const MAX_POINTER_TEXT = 4096;

/**
 * Where an offloaded envelope is, and what the receiver checks before and while fetching it.
 * Arriving on a queue, every field is untrusted until {@link checkPointer} has passed.
 */
export interface OffloadPointer {
  /** The S3 bucket. */
  readonly bucket: string;
  /** The object key. */
  readonly key: string;
  /** The envelope's exact size in bytes. */
  readonly size: number;
  /** The envelope's SHA-256, lower-case hex. */
  readonly sha256: string;
}

const invalid = (reason: string) => new SealpostError('POINTER_INVALID', `offload pointer: ${reason}`, { transient: false });

/**
 * Checks every field of a pointer and returns it with only those fields: a bucket name S3
 * accepts, a key of 1 to 1024 UTF-8 bytes without control characters, a size from 1 to 2^53-1,
 * a SHA-256 as 64 lower-case hex digits. Anything else is POINTER_INVALID (permanent).
 */
export function checkPointer(value: { bucket?: unknown; key?: unknown; size?: unknown; sha256?: unknown }): OffloadPointer {
  const { bucket, key, size, sha256 } = value;
  if (typeof bucket !== 'string' || !isBucketName(bucket)) throw invalid(`the bucket ${JSON.stringify(bucket)} is not an S3 bucket name`);
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 1024) throw invalid('the key must be 1 to 1024 bytes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw invalid('the key holds control characters');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) throw invalid(`the declared size ${JSON.stringify(size)} is not a positive integer`);
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw invalid('the envelope digest is not 64 lower-case hex digits');
  return { bucket, key, size, sha256 };
}

/** The Extended Client body for a pointer. */
export function pointerBody(pointer: OffloadPointer): string {
  return JSON.stringify([POINTER_CLASS, { s3BucketName: pointer.bucket, s3Key: pointer.key }]);
}

/**
 * Whether a message body is meant as a pointer: a JSON array. A base64 envelope never starts
 * with `[`, so this tells the two apart without parsing either.
 */
export function looksLikePointer(body: unknown): body is string {
  return typeof body === 'string' && body.trimStart().startsWith('[');
}

/**
 * Reads a pointer from an Extended Client body and the two attributes beside it (size, digest).
 * Every problem, from bad JSON to a missing attribute, is POINTER_INVALID.
 */
export function parsePointer(body: string, size: string | undefined, sha256: string | undefined): OffloadPointer {
  if (body.length > MAX_POINTER_TEXT) throw invalid(`the body is ${body.length} characters long, more than a pointer takes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid('the body is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] !== POINTER_CLASS || typeof parsed[1] !== 'object' || parsed[1] === null) {
    throw invalid(`the body is not ["${POINTER_CLASS}", {"s3BucketName": ..., "s3Key": ...}]`);
  }
  const fields = parsed[1] as Record<string, unknown>;
  if (size === undefined || !/^\d{1,16}$/.test(size)) throw invalid(`the ${SIZE_ATTRIBUTE} attribute is missing or not a number`);
  if (sha256 === undefined) throw invalid(`the ${SHA256_ATTRIBUTE} attribute is missing`);
  return checkPointer({ bucket: fields.s3BucketName, key: fields.s3Key, size: Number(size), sha256 });
}

/** The job data a BullMQ pointer travels as: the Extended Client body and the two attributes. */
export interface PointerJobData {
  readonly pointer: string;
  readonly [SIZE_ATTRIBUTE]: number;
  readonly [SHA256_ATTRIBUTE]: string;
}

/** BullMQ job data for a pointer. */
export function pointerJobData(pointer: OffloadPointer): PointerJobData {
  return { pointer: pointerBody(pointer), [SIZE_ATTRIBUTE]: pointer.size, [SHA256_ATTRIBUTE]: pointer.sha256 };
}

/** Whether BullMQ job data is meant as a pointer (it has a `pointer` field). */
export function isPointerJobData(data: unknown): data is Partial<Record<keyof PointerJobData, unknown>> {
  return typeof data === 'object' && data !== null && 'pointer' in data;
}

/** Reads a pointer from BullMQ job data; POINTER_INVALID unless every field checks. */
export function parsePointerJobData(data: Partial<Record<keyof PointerJobData, unknown>>): OffloadPointer {
  if (typeof data.pointer !== 'string') throw invalid('the job data pointer is not a string');
  const size = data[SIZE_ATTRIBUTE];
  const sha256 = data[SHA256_ATTRIBUTE];
  return parsePointer(data.pointer, typeof size === 'number' ? String(size) : undefined, typeof sha256 === 'string' ? sha256 : undefined);
}

/** An `s3://bucket[/prefix]` location, as `sealpost send --offload` takes it. */
export type OffloadLocation = S3Location;

/** Parses `s3://BUCKET[/PREFIX]`; anything else is CONFIG_INVALID. */
export const parseOffloadLocation = (url: string): OffloadLocation => parseS3Location(url, 'offload location');

/** `s3://BUCKET/KEY` of a pointer body, when it parses that far; for listings of dead letters. */
export function pointerLocation(body: unknown): string | undefined {
  if (!looksLikePointer(body) || body.length > MAX_POINTER_TEXT) return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    const fields = Array.isArray(parsed) ? (parsed[1] as { s3BucketName?: unknown; s3Key?: unknown } | undefined) : undefined;
    return typeof fields?.s3BucketName === 'string' && typeof fields.s3Key === 'string' ? `s3://${fields.s3BucketName}/${fields.s3Key}` : undefined;
  } catch {
    return undefined;
  }
}
