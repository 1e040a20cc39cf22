import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbStore, createPostgresStore, createSqliteStore } from '../src/index.ts';
import { sampleMessage } from './conformance.ts';

const PG_URL = process.env.SEALPOST_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
let dir: string;
let dynamo: ReturnType<typeof dynalite>;
let dynamoClient: DynamoDBClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-read-only-'));
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  const { port } = dynamo.address() as AddressInfo;
  dynamoClient = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
});

afterAll(async () => {
  dynamoClient?.destroy();
  await new Promise((resolve) => dynamo?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('a read-only open (init with create: false) creates nothing and refuses a missing store with STORE_NOT_FOUND', () => {
  it('SQLite: a missing directory or file is refused and not created; a file that is not a store is refused', async () => {
    const missing = createSqliteStore(join(dir, 'typo', 'none.db'));
    await expect(missing.init({ create: false })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', transient: false });
    await writeFile(join(dir, 'other.db'), '');
    const other = createSqliteStore(join(dir, 'other.db'));
    await expect(other.init({ create: false })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', transient: false });
    expect(await readdir(dir)).toEqual(['other.db']);
  });

  it('SQLite: an existing store opens and reads what was stored', async () => {
    const path = join(dir, 'real.db');
    const writer = createSqliteStore(path);
    await writer.init();
    const message = sampleMessage();
    await writer.put(message);
    await writer.close();
    const reader = createSqliteStore(path);
    await reader.init({ create: false });
    expect((await reader.list()).map((m) => m.id)).toEqual([message.id]);
    await reader.close();
  });

  it('PostgreSQL: a missing schema is refused and not created; an existing store opens', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const missing = createPostgresStore({ connectionString: PG_URL, schema });
    await expect(missing.init({ create: false })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', transient: false });
    await missing.close();
    expect(await schemaExists(schema)).toBe(false);
    const writer = createPostgresStore({ connectionString: PG_URL, schema });
    try {
      await writer.init();
      const reader = createPostgresStore({ connectionString: PG_URL, schema });
      await reader.init({ create: false });
      expect(await reader.list()).toEqual([]);
      await reader.close();
    } finally {
      await writer.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('DynamoDB: a missing table is refused and not created', async () => {
    const table = `messages-${randomUUID()}`;
    const store = createDynamoDbStore({ table, client: dynamoClient });
    await expect(store.init({ create: false })).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', transient: false });
    expect((await dynamoClient.send(new ListTablesCommand({}))).TableNames ?? []).not.toContain(table);
  });
});
