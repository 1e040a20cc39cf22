import { resolve } from 'node:path';
import { SealpostError } from '@sealpost/envelope';
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
    const rest = location.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    let prefix = slash === -1 ? '' : rest.slice(slash + 1);
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new SealpostError('CONFIG_INVALID', `the blob location ${JSON.stringify(location)} must name an S3 bucket: s3://BUCKET[/PREFIX]`);
    return createS3BlobStore({ bucket, prefix });
  }
  throw new SealpostError('CONFIG_INVALID', `unsupported blob location ${JSON.stringify(location)}: use dir:PATH, s3://BUCKET[/PREFIX] or none`);
}
