import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { generateLocalKeyPair } from '@sealpost/envelope';
import { openStore } from '@sealpost/store';
import { startSqsEmulator } from '../../../test/support/sqs-emulator.ts';

const CLI = resolve(import.meta.dirname, '../src/main.ts');
const STORE_SEALED_FILE = resolve(import.meta.dirname, 'support/store-sealed-file.ts');
const MEASURE_MEMORY = ['--expose-gc', '--import', pathToFileURL(resolve(import.meta.dirname, 'support/measure-memory.ts')).href];
const MiB = 1024 * 1024;
let dir: string;

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function node(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: dir, env, encoding: 'buffer', maxBuffer: 256 * MiB }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

const sealpost = (args: string[], env?: NodeJS.ProcessEnv) => node([CLI, ...args], env);

/** Runs the CLI and returns its peak resident set in bytes beside the run. */
async function sealpostMeasured(args: string[]): Promise<Run & { maxRss: number }> {
  return measured(await node([...MEASURE_MEMORY, CLI, ...args]));
}

function measured<T extends Run>(run: T): T & { maxRss: number } {
  const line = run.stderr.split('\n').find((l) => l.startsWith('max-rss '));
  expect(line, run.stderr).toBeDefined();
  return { ...run, maxRss: Number(line!.slice('max-rss '.length)) };
}

/** Seals, stream-opens and stores `payloadPath` with putFile in a child process; its id and peak RSS. */
async function storeSealedFile(store: string, payloadPath: string, env?: NodeJS.ProcessEnv): Promise<{ id: string; result: string; maxRss: number }> {
  const run = measured(await node([...MEASURE_MEMORY, STORE_SEALED_FILE, store, 'sender.pem', 'receiver.pub.pem', 'receiver.pem', 'sender.pub.pem', payloadPath], env));
  expect(run.code, run.stderr).toBe(0);
  return { ...(JSON.parse(run.stdout.toString()) as { id: string; result: string }), maxRss: run.maxRss };
}

async function writeRandomFile(path: string, bytes: number): Promise<Buffer> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= MiB) {
    const chunk = randomBytes(Math.min(MiB, left));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((error?: Error | null) => (error ? j(error) : r())));
  return hash.digest();
}

const STORE = 'sqlite:data/messages.db';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-cli-blobs-'));
  const [sender, receiver] = await Promise.all([generateLocalKeyPair('ec-p256'), generateLocalKeyPair('rsa-2048')]);
  await writeFile(join(dir, 'sender.pem'), sender.privateKeyPem);
  await writeFile(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
  await writeFile(join(dir, 'receiver.pem'), receiver.privateKeyPem);
  await writeFile(join(dir, 'receiver.pub.pem'), receiver.publicKeyPem);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sealpost messages with payloads kept in blobs', () => {
  it('show, show --payload, verify and export stream a blob-held payload; a changed blob fails them with STORE_CORRUPT and export leaves no file', async () => {
    const payload = randomBytes(MiB + 3);
    await writeFile(join(dir, 'one.bin'), payload);
    const { id, result } = await storeSealedFile(STORE, 'one.bin');
    expect(result).toBe('stored');

    const shown = await sealpost(['messages', 'show', id, '--store', STORE, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const summary = JSON.parse(shown.stdout.toString());
    expect(summary).toMatchObject({ id, size: payload.length, sha256: createHash('sha256').update(payload).digest('hex'), payloadRef: expect.stringMatching(/^dir:[0-9a-f]{2}\//) });
    const blobPath = join(dir, 'data/blobs', summary.payloadRef.slice('dir:'.length));
    expect((await readFile(blobPath)).equals(payload)).toBe(true);

    const raw = await sealpost(['messages', 'show', id, '--store', STORE, '--payload']);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout.equals(payload)).toBe(true);

    const verified = await sealpost(['messages', 'verify', id, '--store', STORE, '--trust', 'sender.pub.pem', '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout.toString())).toMatchObject({ id, verified: true });

    const exported = await sealpost(['messages', 'export', id, '--store', STORE, '--out', 'out.bin', '--evidence', 'ev']);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readFile(join(dir, 'out.bin'))).equals(payload)).toBe(true);
    expect((await readFile(join(dir, 'ev.manifest.sig'))).length).toBeGreaterThan(0);

    // One flipped bit in the blob: every reader refuses it.
    const changed = Buffer.from(payload);
    changed[payload.length >> 1]! ^= 1;
    await writeFile(blobPath, changed);
    const before = (await readdir(dir)).sort();
    const corruptVerify = await sealpost(['messages', 'verify', id, '--store', STORE, '--trust', 'sender.pub.pem', '--json']);
    expect(corruptVerify.code).toBe(1);
    expect(corruptVerify.stderr).toContain('STORE_CORRUPT');
    const corruptExport = await sealpost(['messages', 'export', id, '--store', STORE, '--out', 'corrupt.bin']);
    expect(corruptExport.code).toBe(1);
    expect(corruptExport.stderr).toContain('STORE_CORRUPT');
    const corruptShow = await sealpost(['messages', 'show', id, '--store', STORE, '--payload']);
    expect(corruptShow.code).toBe(1);
    expect(corruptShow.stderr).toContain('STORE_CORRUPT');
    expect((await readdir(dir)).sort()).toEqual(before);
    await writeFile(blobPath, payload);

    // The blob location moved: found with --blobs (or SEALPOST_BLOB_STORE), missing without.
    await rename(join(dir, 'data/blobs'), join(dir, 'moved-blobs'));
    const missing = await sealpost(['messages', 'export', id, '--store', STORE, '--out', 'missing.bin']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('STORE_CORRUPT');
    const moved = await sealpost(['messages', 'export', id, '--store', STORE, '--blobs', 'dir:moved-blobs', '--out', 'moved.bin']);
    expect(moved.code, moved.stderr).toBe(0);
    expect((await readFile(join(dir, 'moved.bin'))).equals(payload)).toBe(true);
    await rename(join(dir, 'moved-blobs'), join(dir, 'data/blobs'));
  }, 240_000);

  it('a payload kept in S3 is read back by the CLI from the reference in the row, with the standard AWS configuration', async () => {
    const emulator = await startSqsEmulator();
    const bucket = `blobs-${randomUUID()}`;
    const env = { ...process.env, AWS_ENDPOINT_URL_S3: emulator.address, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 't', AWS_SECRET_ACCESS_KEY: 't' };
    const s3 = new S3Client({ endpoint: emulator.address, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const payload = randomBytes(2 * MiB + 5);
      await writeFile(join(dir, 's3.bin'), payload);
      const store = 'sqlite:s3data/messages.db';
      const { id } = await storeSealedFile(store, 's3.bin', { ...env, SEALPOST_BLOB_STORE: `s3://${bucket}/in/` });
      const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(Contents?.map((o) => o.Size)).toEqual([payload.length]);
      const shown = await sealpost(['messages', 'show', id, '--store', store, '--json'], env);
      expect(JSON.parse(shown.stdout.toString())).toMatchObject({ payloadRef: `s3://${bucket}/${Contents![0]!.Key}` });
      const exported = await sealpost(['messages', 'export', id, '--store', store, '--out', 's3.out'], env);
      expect(exported.code, exported.stderr).toBe(0);
      expect((await readFile(join(dir, 's3.out'))).equals(payload)).toBe(true);
      const verified = await sealpost(['messages', 'verify', id, '--store', store, '--trust', 'sender.pub.pem', '--json'], env);
      expect(verified.code, verified.stderr).toBe(0);
    } finally {
      s3.destroy();
      await emulator.stop();
    }
  }, 240_000);

  it('a 64 MiB payload is stored with putFile and exported and verified by the CLI in bounded memory', async () => {
    // The same commands with a 1 MiB payload (kept in a blob too) give the baseline; the growth
    // from 1 to 64 MiB is bounded, generously: holding the payload whole would add at least 63 MiB.
    const smallDigest = await writeRandomFile(join(dir, 'small.bin'), MiB);
    const largeDigest = await writeRandomFile(join(dir, 'large.bin'), 64 * MiB);
    const small = await storeSealedFile(STORE, 'small.bin');
    const large = await storeSealedFile(STORE, 'large.bin');
    const head = await (async () => {
      const store = openStore(`sqlite:${join(dir, 'data/messages.db')}`);
      await store.init({ create: false });
      try {
        return await store.head(large.id);
      } finally {
        await store.close();
      }
    })();
    expect(head).toMatchObject({ size: 64 * MiB, payloadRef: expect.stringMatching(/^dir:/) });

    const exportSmall = await sealpostMeasured(['messages', 'export', small.id, '--store', STORE, '--out', 'small.out']);
    const exportLarge = await sealpostMeasured(['messages', 'export', large.id, '--store', STORE, '--out', 'large.out']);
    expect(exportLarge.code, exportLarge.stderr).toBe(0);
    expect(createHash('sha256').update(await readFile(join(dir, 'large.out'))).digest().equals(largeDigest)).toBe(true);
    expect(createHash('sha256').update(await readFile(join(dir, 'small.out'))).digest().equals(smallDigest)).toBe(true);
    const verifySmall = await sealpostMeasured(['messages', 'verify', small.id, '--store', STORE, '--trust', 'sender.pub.pem', '--json']);
    const verifyLarge = await sealpostMeasured(['messages', 'verify', large.id, '--store', STORE, '--trust', 'sender.pub.pem', '--json']);
    expect(verifyLarge.code, verifyLarge.stderr).toBe(0);

    const mib = (bytes: number) => (bytes / MiB).toFixed(1);
    process.stderr.write(`peak RSS in MiB, 1 MiB -> 64 MiB payload: seal+open+putFile ${mib(small.maxRss)} -> ${mib(large.maxRss)}, export ${mib(exportSmall.maxRss)} -> ${mib(exportLarge.maxRss)}, verify ${mib(verifySmall.maxRss)} -> ${mib(verifyLarge.maxRss)}\n`);
    expect(large.maxRss - small.maxRss).toBeLessThan(32 * MiB);
    expect(exportLarge.maxRss - exportSmall.maxRss).toBeLessThan(32 * MiB);
    expect(verifyLarge.maxRss - verifySmall.maxRss).toBeLessThan(32 * MiB);
  }, 600_000);
});
