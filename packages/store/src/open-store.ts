import { SealpostError } from '@sealpost/envelope';
import { createDynamoDbStore } from './dynamodb.ts';
import { createPostgresStore } from './postgres.ts';
import { createRedisStore } from './redis.ts';
import { createSqliteStore } from './sqlite.ts';
import type { MessageStore } from './types.ts';

/**
 * Opens a store from a URL:
 * - `sqlite:PATH` (or a plain path ending in .db): the embedded SQLite store;
 * - `postgres://...` or `postgresql://...`: PostgreSQL; `?schema=NAME` picks the schema;
 * - `redis://HOST:PORT/DB[?prefix=P]`: Redis;
 * - `dynamodb://TABLE`: DynamoDB, with the standard AWS configuration (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
 */
export function openStore(url: string): MessageStore {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return createPostgresStore({ connectionString: parsed.toString(), ...(schema ? { schema } : {}) });
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const parsed = new URL(url);
    const prefix = parsed.searchParams.get('prefix') ?? undefined;
    parsed.searchParams.delete('prefix');
    return createRedisStore({ url: parsed.toString(), ...(prefix ? { prefix } : {}) });
  }
  if (url.startsWith('dynamodb://')) {
    const table = decodeURIComponent(url.slice('dynamodb://'.length).split(/[/?]/)[0] ?? '');
    if (!/^[\w.-]{3,255}$/.test(table)) throw new SealpostError('CONFIG_INVALID', `the DynamoDB URL ${JSON.stringify(url)} must name a table: dynamodb://TABLE`);
    return createDynamoDbStore({ table });
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new SealpostError('CONFIG_INVALID', 'sqlite: store URL names no file');
    return createSqliteStore(path);
  }
  if (url.endsWith('.db') && !url.includes('://')) return createSqliteStore(url);
  throw new SealpostError('CONFIG_INVALID', `unsupported store ${JSON.stringify(url)}: use sqlite:FILE, postgres://..., redis://... or dynamodb://TABLE`);
}
