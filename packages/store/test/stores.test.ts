import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isSealpostError } from '@sealpost/envelope';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createDirectoryBlobStore, createDynamoDbStore, createPostgresStore, createRedisStore, createS3BlobStore, createSqliteStore, openStore, type BlobStore } from '../src/index.ts';
import { describeMessageStoreConformance, directoryProbe, sampleMessage, type BlobProbe } from './conformance.ts';
import { startSqsEmulator, type SqsEmulator } from '../../../test/support/sqs-emulator.ts';

const PG_URL = process.env.SEALPOST_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

let dynamo: ReturnType<typeof dynalite>;
let dynamoClient: DynamoDBClient;
let s3: SqsEmulator;
let s3Client: S3Client;
const bucket = `blobs-${randomUUID()}`;
beforeAll(async () => {
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  const { port } = dynamo.address() as AddressInfo;
  dynamoClient = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  s3 = await startSqsEmulator();
  s3Client = new S3Client({ endpoint: s3.address, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  dynamoClient?.destroy();
  s3Client?.destroy();
  await s3?.stop();
  await new Promise((resolve) => dynamo?.close(resolve));
});

/** A blob location for one suite's store, with a probe into it and its cleanup. */
interface Location {
  readonly blobs?: BlobStore;
  readonly probe?: BlobProbe;
  readonly cleanup: () => Promise<void>;
}

async function directoryLocation(): Promise<Location> {
  const root = await mkdtemp(join(tmpdir(), 'sealpost-blobs-'));
  return { blobs: createDirectoryBlobStore(root), probe: directoryProbe(root), cleanup: () => rm(root, { recursive: true, force: true }) };
}

function s3Location(): Location {
  const prefix = `t-${randomUUID()}/`;
  const probe: BlobProbe = {
    async files() {
      const { Contents } = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (Contents ?? []).map((o) => o.Key!).sort();
    },
    async tamper(ref, bytes) {
      const key = ref.slice(`s3://${bucket}/`.length);
      if (bytes) await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      else await s3Client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
  return { blobs: createS3BlobStore({ bucket, prefix, client: s3Client }), probe, cleanup: async () => {
    for (const key of await probe.files()) await s3Client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } };
}

const LOCATIONS: readonly [string, () => Promise<Location>][] = [
  ['no blob location', async () => ({ cleanup: async () => undefined })],
  ['blobs in a directory', directoryLocation],
  ['blobs in S3 (fauxqs)', async () => s3Location()],
];

// The embedded default: blobs in the directory `blobs` beside the database file.
describeMessageStoreConformance('SQLite (default: blobs beside the file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-sqlite-'));
  return { store: createSqliteStore(join(dir, 'messages.db')), blobs: directoryProbe(join(dir, 'blobs')), cleanup: () => rm(dir, { recursive: true, force: true }) };
}, { blobs: true });

describeMessageStoreConformance('SQLite, every payload in its row', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-sqlite-'));
  return { store: createSqliteStore(join(dir, 'messages.db'), { blobs: null }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeMessageStoreConformance('SQLite, blobs in S3 (fauxqs)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-sqlite-'));
  const location = s3Location();
  return { store: createSqliteStore(join(dir, 'messages.db'), { blobs: location.blobs! }), blobs: location.probe!, cleanup: async () => {
    await location.cleanup();
    await rm(dir, { recursive: true, force: true });
  } };
}, { blobs: true });

for (const [where, locate] of LOCATIONS) {
  const blobs = where !== 'no blob location';
  describeMessageStoreConformance(`PostgreSQL, ${where}`, async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const location = await locate();
    return {
      store: createPostgresStore({ connectionString: PG_URL, schema, ...(location.blobs ? { blobs: location.blobs } : {}) }),
      ...(location.probe ? { blobs: location.probe } : {}),
      cleanup: async () => {
        await location.cleanup();
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    };
  }, { blobs });

  describeMessageStoreConformance(`Redis, ${where}`, async () => {
    const prefix = `sealpost-test-${randomUUID()}:`;
    const location = await locate();
    return {
      store: createRedisStore({ prefix, ...(location.blobs ? { blobs: location.blobs } : {}) }),
      ...(location.probe ? { blobs: location.probe } : {}),
      cleanup: async () => {
        await location.cleanup();
        const redis = new Redis();
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      },
    };
  }, { blobs });

  describeMessageStoreConformance(`DynamoDB (dynalite), ${where}`, async () => {
    const location = await locate();
    return {
      store: createDynamoDbStore({ table: `messages-${randomUUID()}`, client: dynamoClient, ...(location.blobs ? { blobs: location.blobs } : {}) }),
      ...(location.probe ? { blobs: location.probe } : {}),
      cleanup: location.cleanup,
    };
  }, blobs ? { blobs } : { maxPayloadBytes: 300 * 1024 });
}

describe('store specifics', () => {
  it('DynamoDB: a payload over the item limit is rejected permanently', async () => {
    const store = createDynamoDbStore({ table: `messages-${randomUUID()}`, client: dynamoClient });
    await store.init();
    try {
      await store.put(sampleMessage({ payload: Buffer.alloc(500 * 1024) }));
      expect.unreachable('must be rejected');
    } catch (error) {
      expect(isSealpostError(error, 'LIMIT_EXCEEDED')).toBe(true);
      expect((error as { transient: boolean }).transient).toBe(false);
    }
  });

  it('PostgreSQL: a row the database refuses for good is STORE_REJECTED (permanent) and fails alone, not the batch it was written with', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const store = createPostgresStore({ connectionString: PG_URL, schema, maxConnections: 2 });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await store.init();
      // A constraint an operator added stands in for any refusal of the input itself (SQLSTATE 23514).
      await admin.query(`ALTER TABLE "${schema}".messages ADD CONSTRAINT no_refused CHECK (payload_name <> 'refused.json')`);
      const bad = sampleMessage({ payloadName: 'refused.json' });
      const good = Array.from({ length: 20 }, () => sampleMessage({ metadata: { note: 'nul \u0000 here' } }));
      const results = await Promise.allSettled([...good.slice(0, 10).map((m) => store.put(m)), store.put(bad), ...good.slice(10).map((m) => store.put(m))]);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_REJECTED', transient: false });
      expect(results.filter((r) => r.status === 'fulfilled' && r.value === 'stored')).toHaveLength(20);
      expect(await store.get(bad.id)).toBeUndefined();
      expect((await store.list({ limit: 100 })).map((m) => m.id).sort()).toEqual(good.map((m) => m.id).sort());
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('PostgreSQL: workers starting together on a schema that does not exist yet all initialise it (one migrator at a time)', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const stores = Array.from({ length: 6 }, () => createPostgresStore({ connectionString: PG_URL, schema, maxConnections: 1 }));
    try {
      const outcomes = await Promise.allSettled(stores.map((store) => store.init()));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(await stores[0]!.put(sampleMessage())).toBe('stored');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('PostgreSQL: a table from the first schema version (jsonb metadata, text[] recipients) is migrated and keeps its rows', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const store = createPostgresStore({ connectionString: PG_URL, schema });
    try {
      await admin.query(`CREATE SCHEMA "${schema}"`);
      await admin.query(`CREATE TABLE "${schema}".sealpost_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      await admin.query(`CREATE TABLE "${schema}".messages (id uuid PRIMARY KEY, sender_key_id text NOT NULL, sender_algorithm text NOT NULL, recipients text[] NOT NULL,
        created_at timestamptz NOT NULL, received_at timestamptz NOT NULL, payload_name text NOT NULL, content_type text NOT NULL, size bigint NOT NULL,
        payload bytea NOT NULL, payload_sha256 bytea NOT NULL, metadata jsonb NOT NULL, manifest bytea NOT NULL, signature bytea NOT NULL)`);
      await admin.query(`INSERT INTO "${schema}".sealpost_migrations (version) VALUES (1)`);
      const old = sampleMessage();
      await admin.query(`INSERT INTO "${schema}".messages VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, [
        old.id, old.senderKeyId, old.senderAlgorithm, old.recipients, old.createdAt, old.receivedAt, old.payloadName, old.contentType, old.payload.length,
        old.payload, old.payloadSha256, JSON.stringify(old.metadata), old.manifest, old.signature,
      ]);
      await store.init();
      expect(await store.get(old.id)).toMatchObject({ recipients: old.recipients, metadata: old.metadata });
      expect(await store.put(sampleMessage({ metadata: { note: '\u0000' } }))).toBe('stored');
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('SQLite: a row the database refuses for good is STORE_REJECTED (permanent)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-sqlite-'));
    const store = createSqliteStore(join(dir, 'messages.db'));
    try {
      await store.init();
      const db = new DatabaseSync(join(dir, 'messages.db'));
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.payload_name = 'refused.json' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      db.close();
      await expect(store.put(sampleMessage({ payloadName: 'refused.json' }))).rejects.toMatchObject({ code: 'STORE_REJECTED', transient: false });
      expect(await store.put(sampleMessage())).toBe('stored');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: a dropped connection is STORE_UNAVAILABLE (transient) and the pool recovers', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const applicationName = `sealpost-test-${randomUUID()}`;
    const store = createPostgresStore({ connectionString: PG_URL, schema, maxConnections: 1, applicationName });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await store.init();
      expect(await store.put(sampleMessage())).toBe('stored');
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, [applicationName]);
      let recovered = false;
      for (let attempt = 0; attempt < 5 && !recovered; attempt++) {
        try {
          expect(await store.put(sampleMessage())).toBe('stored');
          recovered = true;
        } catch (error) {
          expect(isSealpostError(error, 'STORE_UNAVAILABLE')).toBe(true);
          expect((error as { transient: boolean }).transient).toBe(true);
        }
      }
      expect(recovered).toBe(true);
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  for (const [name, open] of [
    ['Redis', () => createRedisStore({ url: 'redis://127.0.0.1:9' })],
    ['PostgreSQL', () => createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:9/test' })],
  ] as const) {
    it(`${name}: an unreachable server is STORE_UNAVAILABLE and transient, at once`, async () => {
      const store = open();
      try {
        await store.init();
        expect.unreachable('init must fail');
      } catch (error) {
        expect(isSealpostError(error, 'STORE_UNAVAILABLE')).toBe(true);
        expect((error as { transient: boolean }).transient).toBe(true);
      } finally {
        await store.close();
      }
    });
  }

  it('openStore picks the backend from the URL and names bad ones', () => {
    expect(openStore('sqlite:/tmp/x.db')).toBeDefined();
    expect(openStore('postgres://postgres@127.0.0.1/test?schema=abc')).toBeDefined();
    expect(() => openStore('mysql://x')).toThrow(/unsupported store/);
    expect(() => openStore('sqlite:')).toThrow(/names no file/);
  });
});
