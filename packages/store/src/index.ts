/**
 * Message stores for verified Sealpost messages, idempotent by message id.
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
export { toStoredMessage } from './stored-message.ts';
export { createSqliteStore } from './sqlite.ts';
export { createPostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { createRedisStore, type RedisStoreOptions } from './redis.ts';
export { createDynamoDbStore, type DynamoDbStoreOptions } from './dynamodb.ts';
export { openStore } from './open-store.ts';
