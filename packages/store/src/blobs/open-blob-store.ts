import { resolve } from 'node:path';
import { SealpostError, parseS3Location } from '@sealpost/envelope';
import type { BlobStore } from './blob-store.ts';
import { createDirectoryBlobStore } from './directory.ts';
import { createS3BlobStore } from './s3.ts';

/**
 * A blob location from its setting (`SEALPOST_BLOB_STORE`):
 * - `dir:PATH`: files under PATH (created when first needed);
 * - `s3://BUCKET[/PREFIX]`: S3 objects, with the standard AWS configuration;
 * - `none`: no blob location; every payload is kept in its row.
 */
export function openBlobStore(location: string): BlobStore | undefined {
  if (location === 'none') return undefined;
  if (location.startsWith('dir:')) {
    const path = location.slice('dir:'.length);
    if (!path) throw new SealpostError('CONFIG_INVALID', 'the blob location dir: names no directory');
    return createDirectoryBlobStore(resolve(path));
  }
  if (location.startsWith('s3://')) {
    return createS3BlobStore(parseS3Location(location, 'blob location'));
  }
  throw new SealpostError('CONFIG_INVALID', `unsupported blob location ${JSON.stringify(location)}: use dir:PATH, s3://BUCKET[/PREFIX] or none`);
}
