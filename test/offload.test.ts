import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalKeyWrapper, createLocalSigner, createSealer } from '@sealpost/envelope';
import { createSqliteStore, type MessageStore } from '@sealpost/store';
import { POINTER_CLASS, SHA256_ATTRIBUTE, SIZE_ATTRIBUTE } from '@sealpost/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsEmulator, s3Requests, type AwsEmulator } from './support/aws-emulator.ts';
import { AWS_ENV, CLI, RECEIVER, spawnReceiver, until } from './support/receiver.ts';
import { removeBullmqKeys } from './support/messages.ts';

const run = promisify(execFile);
const MIB = 1024 * 1024;
let dir: string;
let aws: AwsEmulator;
let sqs: SQSClient;
let s3: S3Client;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-offload-'));
  aws = await startAwsEmulator();
  env = { ...AWS_ENV, AWS_ENDPOINT_URL_SQS: aws.address, AWS_ENDPOINT_URL_S3: aws.address };
  const config = { endpoint: aws.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  sqs = new SQSClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  for (const [name, type] of [['sender', 'ec-p256'], ['receiver', 'rsa-2048']]) {
    await run(process.execPath, [CLI, 'keygen', '--type', type!, '--out', join(dir, 'keys', name!)]);
  }
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh queue pair, allowed bucket and bait bucket, store and work directory. */
async function setup() {
  const id = randomUUID().slice(0, 8);
  const dead = await sqs.send(new CreateQueueCommand({ QueueName: `d-${id}` }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `q-${id}` }));
  const bucket = `inbox-${id}`;
  const other = `other-${id}`;
  await aws.createBucket(bucket);
  await aws.createBucket(other);
  const database = join(dir, `messages-${id}.db`);
  const workDir = join(dir, `work-${id}`);
  const store = createSqliteStore(database);
  await store.init();
  return {
    queueUrl: queue.QueueUrl!,
    deadUrl: dead.QueueUrl!,
    transport: `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}&visibilityTimeoutSeconds=4`,
    bucket,
    other,
    database,
    workDir,
    store,
    receiverEnv: { ...env, SEALPOST_OFFLOAD_BUCKETS: bucket, SEALPOST_OFFLOAD_TEMP_DIR: workDir, SEALPOST_MAX_PAYLOAD_BYTES: String(256 * 1024) },
  };
}

const send = (transport: string, extra: string[], files: string[]) =>
  run(process.execPath, [CLI, 'send', '--transport', transport, '--sign-key', join(dir, 'keys', 'sender.pem'), '--to', join(dir, 'keys', 'receiver.pub.pem'), '--json', ...extra, ...files], { env: { ...process.env, ...env }, maxBuffer: 16 * MIB });

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function fileSha(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function objects(bucket: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return Contents.map((c: { Key?: string }) => c.Key!);
}

async function deadLetters(queueUrl: string): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 30, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) break;
    for (const m of Messages) seen.set(m.MessageId!, m);
  }
  return [...seen.values()];
}

const attribute = (m: Message, name: string) => m.MessageAttributes?.[name]?.StringValue;

async function stop(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  worker.kill('SIGTERM');
  await once(worker, 'exit');
}

/** The SHA-256 of a stored message's payload, streamed from the store (row or blob). */
async function storedSha(store: MessageStore, id: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await store.openPayload(id))!) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('large envelopes offloaded to S3 (SQS + S3 on fauxqs)', () => {
  it('mixed traffic: small messages inline, large ones offloaded, on one queue; all stored once, the objects gone afterwards', async () => {
    const t = await setup();
    const outbox = join(dir, `outbox-${randomUUID()}`);
    await mkdir(outbox);
    // f-edge.bin fits under the threshold, its envelope does not: read, sealed in memory, then offloaded.
    const sizes = { 'a-small.json': 1000, 'b-large.bin': 32 * MIB + 7, 'c-small.json': 5000, 'd-large.bin': 40 * MIB, 'e-small.json': 120_000, 'f-edge.bin': 196_000 };
    for (const [name, size] of Object.entries(sizes)) await writeFile(join(outbox, name), randomBytes(size));
    const { stdout } = await send(t.transport, ['--offload', `s3://${t.bucket}/sealpost`], [outbox]);
    const sent = stdout.trim().split('\n').map((line) => JSON.parse(line) as { file?: string; id?: string; sent?: number }).filter((r) => r.id);
    expect(sent).toHaveLength(6);
    // The three .bin ones travelled offloaded, under their message ids; the small ones inline.
    const large = sent.filter((r) => r.file!.endsWith('.bin')).map((r) => `sealpost/${r.id}`);
    expect((await objects(t.bucket)).sort()).toEqual(large.sort());

    const worker = spawnReceiver(join(dir, 'keys'), t.transport, `sqlite:${t.database}`, t.receiverEnv);
    try {
      await until(async () => (await t.store.list({ limit: 100 })).length === 6 && (await objects(t.bucket)).length === 0);
    } finally {
      await stop(worker);
    }
    const stored = await t.store.list({ limit: 100 });
    expect(stored.map((m) => m.id).sort()).toEqual(sent.map((s) => s.id).sort());
    // The payloads over the store's inline limit went on into its blob location, never whole into a row.
    expect(stored.filter((m) => m.payloadRef !== undefined).map((m) => m.size).sort((a, b) => a - b)).toEqual([32 * MIB + 7, 40 * MIB]);
    for (const record of sent) {
      expect(await storedSha(t.store, record.id!), record.file).toBe(await fileSha(record.file!));
    }
    expect(await deadLetters(t.deadUrl)).toEqual([]);
    expect(await readdir(t.workDir)).toEqual([]);
    await t.store.close();
  }, 600_000);

  it('mixed traffic over BullMQ: the large message offloaded, the small ones inline, all stored once, the object gone', async () => {
    const t = await setup();
    const prefix = `sealpost-test-${randomUUID()}`;
    const transport = `bullmq://127.0.0.1:6379/q-${randomUUID()}?prefix=${prefix}`;
    const outbox = join(dir, `outbox-${randomUUID()}`);
    await mkdir(outbox);
    for (const [name, size] of Object.entries({ 'a-small.json': 2000, 'b-large.bin': 33 * MIB })) await writeFile(join(outbox, name), randomBytes(size));
    const { stdout } = await send(transport, ['--offload', `s3://${t.bucket}/`], [outbox]);
    const sent = stdout.trim().split('\n').map((line) => JSON.parse(line) as { file?: string; id?: string }).filter((r) => r.id);
    expect(await objects(t.bucket)).toEqual([sent.find((r) => r.file!.endsWith('.bin'))!.id]);
    const worker = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${t.database}`, t.receiverEnv);
    try {
      await until(async () => (await t.store.list()).length === 2 && (await objects(t.bucket)).length === 0);
    } finally {
      await stop(worker);
      await removeBullmqKeys(prefix);
    }
    for (const record of sent) expect(await storedSha(t.store, record.id!), record.file).toBe(await fileSha(record.file!));
    await t.store.close();
  }, 600_000);

  it('sealpost-receiver --check reaches every allowed bucket and names one that does not answer; send --offload refuses the spool transport', async () => {
    const t = await setup();
    const check = (buckets: string) =>
      run(process.execPath, [RECEIVER, '--check'], {
        env: { ...process.env, ...t.receiverEnv, SEALPOST_OFFLOAD_BUCKETS: buckets, SEALPOST_TRANSPORT: t.transport, SEALPOST_STORE: `sqlite:${t.database}`, SEALPOST_KEYS: join(dir, 'keys', 'receiver.pem'), SEALPOST_TRUST: join(dir, 'keys', 'sender.pub.pem') },
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const good = await check(t.bucket);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`^ok +offload buckets \\(SEALPOST_OFFLOAD_BUCKETS\\) ${t.bucket}`, 'm'));
    const missing = await check(`${t.bucket},absent-${randomUUID().slice(0, 8)}`);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/^FAIL offload buckets .*OFFLOAD_UNAVAILABLE: S3 bucket absent-/m);
    const refused = await send(`spool:${join(dir, `spool-${randomUUID()}`)}`, ['--offload', `s3://${t.bucket}`], [join(dir, 'keys', 'sender.pub.pem')]).then(
      () => 'sent',
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    expect(refused).toMatch(/CONFIG_INVALID.*cannot carry offload pointers/);
    await t.store.close();
  }, 600_000);

  it('hostile pointers: each dead-lettered with its code after one attempt, nothing fetched outside the allow-list', async () => {
    const t = await setup();
    const pem = (name: string) => readFile(join(dir, 'keys', name), 'utf8');
    const sealer = createSealer({ signer: createLocalSigner(await pem('sender.pem')), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))] });
    const envelope = (await sealer.seal(randomBytes(300_000))).envelope;
    const put = (bucket: string, key: string, body: Uint8Array) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const pointer = (bucket: string, key: string, size: number, digest: string, name: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: t.queueUrl,
          MessageBody: JSON.stringify([POINTER_CLASS, { s3BucketName: bucket, s3Key: key }]),
          MessageAttributes: {
            [SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(size) },
            [SHA256_ATTRIBUTE]: { DataType: 'String', StringValue: digest },
            'sealpost-message-id': { DataType: 'String', StringValue: name },
          },
        }),
      );
    // A valid envelope for us, but in a bucket we do not allow: must stay unread and undeleted.
    await put(t.other, 'bait', envelope);
    await pointer(t.other, 'bait', envelope.length, sha(envelope), 'other-bucket');
    await pointer(t.bucket, 'missing', envelope.length, sha(envelope), 'missing-object');
    // The object is larger than the pointer declares.
    await put(t.bucket, 'larger', envelope);
    await pointer(t.bucket, 'larger', envelope.length - 100, sha(envelope.subarray(0, envelope.length - 100)), 'larger-than-declared');
    // Declared size and digest match, but the bytes are no envelope.
    const junk = randomBytes(200_000);
    await put(t.bucket, 'junk', junk);
    await pointer(t.bucket, 'junk', junk.length, sha(junk), 'not-an-envelope');
    // Declares more than this receiver fetches.
    await pointer(t.bucket, 'huge', 2 ** 40, sha(junk), 'too-large');
    await sqs.send(new SendMessageCommand({ QueueUrl: t.queueUrl, MessageBody: `["${POINTER_CLASS}", {"s3BucketName": "${t.bucket}"}]`, MessageAttributes: { 'sealpost-message-id': { DataType: 'String', StringValue: 'malformed' } } }));

    // A real offloaded message, stored, then its pointer sent again.
    const large = join(dir, `replayed-${randomUUID()}.bin`);
    await writeFile(large, randomBytes(3 * MIB));
    const { stdout } = await send(t.transport, ['--offload', `s3://${t.bucket}/sealpost/`, '--offload-threshold', 'always'], [large]);
    const replayedKey = `sealpost/${(JSON.parse(stdout.split('\n')[0]!) as { id: string }).id}`;
    const replayedObject = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: replayedKey }))).Body!.transformToByteArray());

    const worker = spawnReceiver(join(dir, 'keys'), t.transport, `sqlite:${t.database}`, { ...t.receiverEnv, SEALPOST_OFFLOAD_MAX_BYTES: String(64 * MIB) });
    let letters: Message[] = [];
    try {
      await until(async () => (await t.store.list()).length === 1);
      await pointer(t.bucket, replayedKey, replayedObject.length, sha(replayedObject), 'replayed');
      const collected = new Map<string, Message>();
      await until(async () => {
        for (const m of await deadLetters(t.deadUrl)) collected.set(m.MessageId!, m);
        return collected.size >= 7;
      });
      letters = [...collected.values()];
    } finally {
      await stop(worker);
    }
    const codes = Object.fromEntries(letters.map((m) => [attribute(m, 'sealpost-message-id'), attribute(m, 'sealpost-error-code')]));
    expect(codes).toEqual({
      'other-bucket': 'POINTER_BUCKET_NOT_ALLOWED',
      'missing-object': 'OFFLOAD_OBJECT_MISSING',
      'larger-than-declared': 'OFFLOAD_SIZE_MISMATCH',
      'not-an-envelope': 'FORMAT_MAGIC',
      'too-large': 'OFFLOAD_TOO_LARGE',
      malformed: 'POINTER_INVALID',
      replayed: 'OFFLOAD_OBJECT_MISSING',
    });
    for (const letter of letters) expect(attribute(letter, 'sealpost-attempts'), attribute(letter, 'sealpost-message-id')).toBe('1');
    // Nothing was read from, or deleted in, the bucket outside the allow-list.
    expect(s3Requests(aws, t.other, 'GET')).toEqual([]);
    expect(s3Requests(aws, t.other, 'DELETE')).toEqual([]);
    expect(s3Requests(aws, t.other, 'HEAD')).toEqual([]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: t.other, Key: 'bait' }))).ContentLength).toBe(envelope.length);
    // Dead-lettered pointers keep their objects.
    expect((await objects(t.bucket)).sort()).toEqual(['junk', 'larger']);
    // Each dead-lettered pointer still carries what makes it one.
    const larger = letters.find((m) => attribute(m, 'sealpost-message-id') === 'larger-than-declared')!;
    expect(attribute(larger, SIZE_ATTRIBUTE)).toBe(String(envelope.length - 100));
    expect((await t.store.list()).length).toBe(1);
    await t.store.close();
  }, 600_000);

  it('SEALPOST_OFFLOAD_KEEP=true: the object stays as evidence, and its pointer sent again is acknowledged as a duplicate', async () => {
    const t = await setup();
    const file = join(dir, `kept-${randomUUID()}.bin`);
    await writeFile(file, randomBytes(2 * MIB));
    const { stdout } = await send(t.transport, ['--offload', `s3://${t.bucket}`, '--offload-threshold', '1MiB'], [file]);
    const { id } = JSON.parse(stdout.split('\n')[0]!) as { id: string };
    const object = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: id }))).Body!.transformToByteArray());
    const worker = spawnReceiver(join(dir, 'keys'), t.transport, `sqlite:${t.database}`, { ...t.receiverEnv, SEALPOST_OFFLOAD_KEEP: 'true' });
    try {
      await until(async () => (await t.store.list()).length === 1);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: t.queueUrl,
          MessageBody: JSON.stringify([POINTER_CLASS, { s3BucketName: t.bucket, s3Key: id }]),
          MessageAttributes: { [SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(object.length) }, [SHA256_ATTRIBUTE]: { DataType: 'String', StringValue: sha(object) } },
        }),
      );
      // Both deliveries acknowledged: nothing left on the queue.
      await until(async () => {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: t.queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
        return Messages.length === 0 && aws.requests.filter((r) => r === `GET /${t.bucket}/${id}`).length >= 3;
      });
    } finally {
      await stop(worker);
    }
    expect((await t.store.list()).map((m) => m.id)).toEqual([id]);
    expect(await objects(t.bucket)).toEqual([id]);
    expect(await deadLetters(t.deadUrl)).toEqual([]);
    await t.store.close();
  }, 600_000);

  it('SIGKILL during a large download: delivered again, stored once, no temporary file survives the restart', async () => {
    const t = await setup();
    const large = join(dir, `killed-${randomUUID()}.bin`);
    await writeFile(large, randomBytes(64 * MIB));
    const { stdout } = await send(t.transport, ['--offload', `s3://${t.bucket}`], [large]);
    const { id } = JSON.parse(stdout.trim().split('\n')[0]!) as { id: string };
    const first = spawnReceiver(join(dir, 'keys'), t.transport, `sqlite:${t.database}`, t.receiverEnv);
    const ownDir = join(t.workDir, `pid-${first.pid}`);
    // Killed once part of the payload is on disk: the download is under way.
    let partial: string[] = [];
    await until(async () => {
      partial = await readdir(ownDir).catch(() => []);
      for (const name of partial) if ((await stat(join(ownDir, name)).catch(() => undefined))?.size) return true;
      return first.exitCode !== null;
    });
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(partial.length).toBeGreaterThan(0);
    expect(await t.store.list()).toEqual([]);
    expect((await readdir(ownDir)).length).toBeGreaterThan(0);

    const second = spawnReceiver(join(dir, 'keys'), t.transport, `sqlite:${t.database}`, t.receiverEnv);
    try {
      // The crashed receiver's directory goes at start, before any delivery.
      await until(async () => !(await readdir(t.workDir)).includes(`pid-${first.pid}`));
      await until(async () => (await t.store.list()).length === 1 && (await objects(t.bucket)).length === 0);
    } finally {
      await stop(second);
    }
    expect((await t.store.list()).map((m) => m.id)).toEqual([id]);
    expect(await storedSha(t.store, id)).toBe(await fileSha(large));
    expect(await readdir(t.workDir)).toEqual([]);
    expect(await deadLetters(t.deadUrl)).toEqual([]);
    await t.store.close();
  }, 600_000);
});
