/**
 * Message stores for verified Sealpost messages, idempotent by message id. Payloads over a
 * threshold are kept in a blob location beside the store (a directory or S3).
 *
 * @example
 * ```ts
 * import { openStore, toStoredMessage } from '@sealpost/store'
 * const store = openStore('sqlite:.sealpost/messages.db')
 * await store.init()
 * await store.put(toStoredMessage(opened, new Date()))
 * ```
 */
export type * from './types.ts';
export { toStoredMessage, toStoredFields } from './stored-message.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { createPostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { createRedisStore, type RedisStoreOptions } from './redis.ts';
export { createDynamoDbStore, type DynamoDbStoreOptions } from './dynamodb.ts';
export { openStore, type OpenStoreOptions } from './open-store.ts';
export { DEFAULT_INLINE_PAYLOAD_MAX, type BlobOptions } from './with-blobs.ts';
export type { BlobStore } from './blobs/blob-store.ts';
export { createDirectoryBlobStore } from './blobs/directory.ts';
export { createS3BlobStore, type S3BlobStoreOptions } from './blobs/s3.ts';
export { openBlobStore } from './blobs/open-blob-store.ts';
