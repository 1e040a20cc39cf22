import { SealpostError } from '@sealpost/envelope';
import { openBlobStore } from './blobs/open-blob-store.ts';
import { createDynamoDbStore } from './dynamodb.ts';
import { createPostgresStore } from './postgres.ts';
import { createRedisStore } from './redis.ts';
import { createSqliteStore } from './sqlite.ts';
import type { MessageStore } from './types.ts';

/** Options for {@link openStore}: where large payloads go. */
export interface OpenStoreOptions {
  /**
   * The blob location (`SEALPOST_BLOB_STORE`): `dir:PATH`, `s3://BUCKET[/PREFIX]` or `none`.
   * Default: for SQLite, the directory `blobs` beside the database file; for the others, none
   * (every payload in its row, and DynamoDB refuses payloads over its item limit).
   */
  readonly blobs?: string;
  /** Payloads of more bytes than this go to the blob location (`SEALPOST_INLINE_PAYLOAD_MAX`). @defaultValue 256 KiB */
  readonly inlinePayloadMax?: number;
}

/**
 * Opens a store from a URL:
 * - `sqlite:PATH` (or a plain path ending in .db): the embedded SQLite store;
 * - `postgres://...` or `postgresql://...`: PostgreSQL; `?schema=NAME` picks the schema;
 * - `redis://HOST:PORT/DB[?prefix=P]`: Redis;
 * - `dynamodb://TABLE`: DynamoDB, with the standard AWS configuration (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
 */
export function openStore(url: string, options: OpenStoreOptions = {}): MessageStore {
  const blobs = options.blobs === undefined ? undefined : (openBlobStore(options.blobs) ?? null);
  const blobOptions = { ...(blobs ? { blobs } : {}), ...(options.inlinePayloadMax !== undefined ? { inlinePayloadMax: options.inlinePayloadMax } : {}) };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return createPostgresStore({ connectionString: parsed.toString(), ...(schema ? { schema } : {}), ...blobOptions });
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const parsed = new URL(url);
    const prefix = parsed.searchParams.get('prefix') ?? undefined;
    parsed.searchParams.delete('prefix');
    return createRedisStore({ url: parsed.toString(), ...(prefix ? { prefix } : {}), ...blobOptions });
  }
  if (url.startsWith('dynamodb://')) {
    const table = decodeURIComponent(url.slice('dynamodb://'.length).split(/[/?]/)[0] ?? '');
    if (!/^[\w.-]{3,255}$/.test(table)) throw new SealpostError('CONFIG_INVALID', `the DynamoDB URL ${JSON.stringify(url)} must name a table: dynamodb://TABLE`);
    return createDynamoDbStore({ table, ...blobOptions });
  }
  let path: string | undefined;
  if (url.startsWith('sqlite:')) {
    path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new SealpostError('CONFIG_INVALID', 'sqlite: store URL names no file');
  } else if (url.endsWith('.db') && !url.includes('://')) path = url;
  if (path === undefined) throw new SealpostError('CONFIG_INVALID', `unsupported store ${JSON.stringify(url)}: use sqlite:FILE, postgres://..., redis://... or dynamodb://TABLE`);
  // SQLite: an unset location means the default directory beside the file; `none` (null) means none.
  return createSqliteStore(path, { ...(blobs !== undefined ? { blobs } : {}), ...(options.inlinePayloadMax !== undefined ? { inlinePayloadMax: options.inlinePayloadMax } : {}) });
}
