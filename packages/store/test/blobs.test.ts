import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@sealpost/envelope';
import { createDirectoryBlobStore, createS3BlobStore, createSqliteStore, openBlobStore, openStore } from '../src/index.ts';
import { directoryProbe, sampleMessage } from './conformance.ts';
import { startSqsEmulator, type SqsEmulator } from '../../../test/support/sqs-emulator.ts';

const HANGING_WRITER = join(import.meta.dirname, 'support/hanging-blob-writer.ts');
let dir: string;
let emulator: SqsEmulator;
let s3: S3Client;
const bucket = `blobs-${randomUUID()}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-blobs-'));
  emulator = await startSqsEmulator();
  s3 = new S3Client({ endpoint: emulator.address, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

const fieldsOf = ({ payload: _payload, ...fields }: ReturnType<typeof sampleMessage>) => fields;

describe('blob locations', () => {
  it('a row refused after its blob was written leaves at most that blob; the redelivery stores the message with the same one blob', async () => {
    const path = join(dir, `${randomUUID()}`, 'messages.db');
    const store = createSqliteStore(path);
    await store.init();
    const db = new DatabaseSync(path);
    try {
      // A row refused after the blob is durable stands in for a crash between the two.
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      const m = sampleMessage({ payload: randomBytes(512 * 1024) });
      await expect(store.put(m)).rejects.toMatchObject({ code: 'STORE_REJECTED' });
      const probe = directoryProbe(join(path, '..', 'blobs'));
      const orphan = await probe.files();
      expect(orphan).toHaveLength(1);
      expect(await store.head(m.id)).toBeUndefined();
      db.exec('DROP TRIGGER refuse');
      expect(await store.put(m)).toBe('stored');
      expect(await probe.files()).toEqual(orphan);
      expect(Buffer.from((await store.get(m.id))!.payload).equals(m.payload)).toBe(true);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('a writer SIGKILLed mid-blob leaves its file in tmp/, and the next init on this host removes it', async () => {
    const root = join(dir, randomUUID());
    const name = `${uuidv7()}.${'cd'.repeat(32)}`;
    const child = spawn(process.execPath, [HANGING_WRITER, root, name], { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = once(child, 'exit');
    try {
      let staged: string[] = [];
      for (let i = 0; i < 1200 && staged.length === 0; i++) {
        staged = await readdir(join(root, 'tmp')).catch(() => []);
        if (staged.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(staged).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(await readdir(join(root, 'tmp'))).toHaveLength(1);
    await createDirectoryBlobStore(root).init(true);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'cd'))).toEqual([]);
  });

  it('init removes files in tmp/ an hour old whoever wrote them, and keeps younger ones of writers it cannot check', async () => {
    const root = join(dir, randomUUID());
    const fan = join(root, 'tmp');
    await mkdir(fan, { recursive: true });
    const stale = join(fan, `.other-host.4242.${uuidv7()}.${'ab'.repeat(32)}.0123456789ab.0123456789ab.tmp`);
    const fresh = join(fan, `other-host.4242.${uuidv7()}.${'ab'.repeat(32)}.ba9876543210`);
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    const blobs = createDirectoryBlobStore(root);
    await blobs.init(false);
    expect((await readdir(fan)).length).toBe(2);
    await blobs.init(true);
    expect(await readdir(fan)).toEqual([fresh.slice(fan.length + 1)]);
  });

  it('S3: a multipart upload whose bytes do not match the digest is aborted and leaves no object and no pending upload', async () => {
    const prefix = `t-${randomUUID()}/`;
    const store = createSqliteStore(join(dir, randomUUID(), 'messages.db'), { blobs: createS3BlobStore({ bucket, prefix, client: s3, partSize: 5 * 1024 * 1024 }) });
    await store.init();
    try {
      const payload = randomBytes(12 * 1024 * 1024);
      const m = sampleMessage({ payload });
      const file = join(dir, `${randomUUID()}.bin`);
      const other = Buffer.from(payload);
      other[other.length - 1]! ^= 1;
      await writeFile(file, other);
      await expect(store.putFile(fieldsOf(m), file)).rejects.toMatchObject({ code: 'PAYLOAD_MISMATCH', transient: false });
      expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).toEqual([]);
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? []).toEqual([]);
      await writeFile(file, payload);
      expect(await store.putFile(fieldsOf(m), file)).toBe('stored');
      const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      expect(Contents?.map((o) => [o.Key, o.Size])).toEqual([[`${prefix}${m.id}.${createHash('sha256').update(payload).digest('hex')}`, payload.length]]);
      expect((await store.head(m.id))!.payloadRef).toBe(`s3://${bucket}/${Contents![0]!.Key}`);
    } finally {
      await store.close();
    }
  });

  it('S3: after the prefix setting changes, payloads written under the old prefix are still read and verified', async () => {
    const database = join(dir, randomUUID(), 'messages.db');
    const m = sampleMessage({ payload: randomBytes(300 * 1024) });
    const before = createSqliteStore(database, { blobs: createS3BlobStore({ bucket, prefix: `old-${randomUUID()}/`, client: s3 }) });
    await before.init();
    expect(await before.put(m)).toBe('stored');
    await before.close();
    // A reference outside the configured prefix is read through the standard AWS configuration.
    const saved = { endpoint: process.env.AWS_ENDPOINT_URL_S3, region: process.env.AWS_REGION, id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: emulator.address, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 't', AWS_SECRET_ACCESS_KEY: 't' });
    const after = createSqliteStore(database, { blobs: createS3BlobStore({ bucket, prefix: `new-${randomUUID()}/`, client: s3 }) });
    try {
      await after.init();
      const stream = (await after.openPayload(m.id))!;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(Buffer.from(m.payload))).toBe(true);
    } finally {
      await after.close();
      for (const [name, value] of [['AWS_ENDPOINT_URL_S3', saved.endpoint], ['AWS_REGION', saved.region], ['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('S3: a missing bucket fails init with STORE_NOT_FOUND, naming it', async () => {
    const blobs = createS3BlobStore({ bucket: `missing-${randomUUID()}`, client: s3 });
    await expect(blobs.init(true)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', message: expect.stringContaining('missing-') });
  });

  it('blob locations and store options are checked when opened', () => {
    expect(openBlobStore('none')).toBeUndefined();
    expect(openBlobStore('dir:/tmp/x')!.location).toBe('dir:/tmp/x');
    expect(openBlobStore('s3://my-bucket/a/b')!.location).toBe('s3://my-bucket/a/b/');
    for (const bad of ['dir:', 's3://', 's3://B_AD/x', 'file:/tmp', '/tmp/x']) expect(() => openBlobStore(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => openStore('sqlite:/tmp/x.db', { inlinePayloadMax: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => openStore('sqlite:/tmp/x.db', { blobs: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('inlinePayloadMax 0 sends every non-empty payload to the blob location; none keeps every payload in its row', async () => {
    const base = join(dir, randomUUID());
    const always = openStore(`sqlite:${join(base, 'a.db')}`, { inlinePayloadMax: 0 });
    const never = openStore(`sqlite:${join(base, 'n.db')}`, { blobs: 'none' });
    await always.init();
    await never.init();
    try {
      const tiny = sampleMessage({ payload: Buffer.from('x') });
      const big = sampleMessage({ payload: randomBytes(1024 * 1024) });
      expect(await always.put(tiny)).toBe('stored');
      expect((await always.head(tiny.id))!.payloadRef).toMatch(/^dir:/);
      expect(await never.put(big)).toBe('stored');
      expect((await never.head(big.id))!.payloadRef).toBeUndefined();
      expect(await directoryProbe(join(base, 'blobs')).files()).toHaveLength(1);
    } finally {
      await always.close();
      await never.close();
    }
  });
});
