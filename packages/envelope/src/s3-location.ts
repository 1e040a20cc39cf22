import { SealpostError } from './errors.ts';

/** S3's bucket naming rules (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Whether `name` is a valid S3 bucket name (no `..`, not an IP address). */
export function isBucketName(name: string): boolean {
  return BUCKET.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** An `s3://bucket[/prefix]` location: where offloaded envelopes or payload blobs are written. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix, '' or ending with '/'. */
  readonly prefix: string;
}

/** Parses `s3://BUCKET[/PREFIX]`; anything else is CONFIG_INVALID naming `what`. */
export function parseS3Location(url: string, what = 'S3 location'): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match || !isBucketName(match[1]!)) throw new SealpostError('CONFIG_INVALID', `the ${what} ${JSON.stringify(url)} must be s3://BUCKET[/PREFIX] with a valid S3 bucket name`);
  const rest = match[2] ?? '';
  return { bucket: match[1]!, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}
