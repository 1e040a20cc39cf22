import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsEmulator, s3Requests, type AwsEmulator } from '../../../test/support/aws-emulator.ts';
import { REDIS_URL } from '../../../test/support/servers.ts';
import { createBullmqTransport, createS3Offload, createSqsDeadLetters, createS3OffloadReader, createSqsTransport, parseOffloadLocation, parsePointer, pointerBody, POINTER_CLASS, type Delivery, type OffloadPointer } from '../src/index.ts';

let aws: AwsEmulator;
let sqs: SQSClient;
let s3: S3Client;
const bucket = `offload-${randomUUID().slice(0, 8)}`;
const elsewhere = `elsewhere-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  aws = await startAwsEmulator();
  const config = { endpoint: aws.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  sqs = new SQSClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  await aws.createBucket(bucket);
  await aws.createBucket(elsewhere);
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

const codeOf = (work: Promise<unknown> | (() => unknown)) =>
  (typeof work === 'function' ? Promise.resolve().then(work) : work).then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? String(e),
  );

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function* chunks(bytes: Buffer, size = 1 << 20): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('offload pointers', () => {
  const pointer: OffloadPointer = { bucket: 'my-bucket', key: 'sealpost/0190-abc', size: 123, sha256: 'a'.repeat(64) };

  it('travel in the SQS Extended Client form and read back', () => {
    const body = pointerBody(pointer);
    expect(JSON.parse(body)).toEqual([POINTER_CLASS, { s3BucketName: 'my-bucket', s3Key: 'sealpost/0190-abc' }]);
    expect(parsePointer(body, '123', 'a'.repeat(64))).toEqual(pointer);
  });

  it('refuse anything malformed with POINTER_INVALID', async () => {
    const body = pointerBody(pointer);
    const cases: [string, string | undefined, string | undefined][] = [
      ['[not json', '123', 'a'.repeat(64)],
      ['["com.example.Other",{"s3BucketName":"my-bucket","s3Key":"k"}]', '123', 'a'.repeat(64)],
      [JSON.stringify([POINTER_CLASS, { s3BucketName: 'Bad_Bucket', s3Key: 'k' }]), '123', 'a'.repeat(64)],
      [JSON.stringify([POINTER_CLASS, { s3BucketName: 'my-bucket', s3Key: '' }]), '123', 'a'.repeat(64)],
      [JSON.stringify([POINTER_CLASS, { s3BucketName: 'my-bucket', s3Key: 'a\nb' }]), '123', 'a'.repeat(64)],
      [body, undefined, 'a'.repeat(64)],
      [body, '-1', 'a'.repeat(64)],
      [body, '0', 'a'.repeat(64)],
      [body, '123', undefined],
      [body, '123', 'A'.repeat(64)],
      [`[${' '.repeat(5000)}]`, '123', 'a'.repeat(64)],
    ];
    for (const [b, size, digest] of cases) expect(await codeOf(() => parsePointer(b, size, digest)), b.slice(0, 60)).toBe('POINTER_INVALID');
  });

  it('offload locations are s3://BUCKET[/PREFIX]', async () => {
    expect(parseOffloadLocation('s3://b-1')).toEqual({ bucket: 'b-1', prefix: '' });
    expect(parseOffloadLocation('s3://b-1/in/box')).toEqual({ bucket: 'b-1', prefix: 'in/box/' });
    for (const bad of ['s3://', 'https://b-1/x', 's3://B/x', 'b-1']) expect(await codeOf(() => parseOffloadLocation(bad))).toBe('CONFIG_INVALID');
  });
});

describe('S3 offload (fauxqs)', () => {
  const offload = () => createS3Offload({ location: { bucket, prefix: 'test/' }, client: s3, partSize: 5 * 1024 * 1024 });
  const reader = (maxBytes = 64 * 1024 * 1024) => createS3OffloadReader({ allowedBuckets: [bucket], maxBytes, client: s3 });

  it('streams an envelope up in parts and back, with its size and digest in the pointer', async () => {
    const bytes = randomBytes(12 * 1024 * 1024 + 5);
    const pointer = await offload().upload(`up-${randomUUID()}`, chunks(bytes));
    expect(pointer).toMatchObject({ bucket, size: bytes.length, sha256: sha(bytes) });
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pointer.key }))).ContentLength).toBe(bytes.length);
    expect((await readAll(await reader().fetch(pointer))).equals(bytes)).toBe(true);
    await reader().remove(pointer);
    expect(await codeOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pointer.key })))).not.toBe('resolved');
  });

  it('passes a failure of the source through and leaves no object', async () => {
    const key = `fail-${randomUUID()}`;
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(6 * 1024 * 1024);
      throw Object.assign(new Error('seal failed'), { code: 'SIGNATURE_INVALID' });
    }
    expect(await codeOf(offload().upload(key, failing()))).toBe('SIGNATURE_INVALID');
    expect(await codeOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `test/${key}` })))).not.toBe('resolved');
  });

  it('refuses a bucket outside the allow-list and an oversized declaration before any request', async () => {
    const key = `bait-${randomUUID()}`;
    const bait = randomBytes(100);
    await s3.send(new PutObjectCommand({ Bucket: elsewhere, Key: key, Body: bait }));
    expect(await codeOf(reader().fetch({ bucket: elsewhere, key, size: 100, sha256: sha(bait) }))).toBe('POINTER_BUCKET_NOT_ALLOWED');
    expect(await codeOf(reader(1000).fetch({ bucket, key, size: 1001, sha256: sha(bait) }))).toBe('OFFLOAD_TOO_LARGE');
    expect(s3Requests(aws, elsewhere, 'GET')).toEqual([]);
  });

  it('tells a missing object, a larger or smaller object and a different object apart', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const pointer = await offload().upload(`sizes-${randomUUID()}`, bytes);
    expect(await codeOf(reader().fetch({ ...pointer, key: `missing-${randomUUID()}` }))).toBe('OFFLOAD_OBJECT_MISSING');
    expect(await codeOf(reader().fetch({ ...pointer, size: pointer.size - 1 }).then(readAll))).toBe('OFFLOAD_SIZE_MISMATCH');
    expect(await codeOf(reader().fetch({ ...pointer, size: pointer.size + 1 }).then(readAll))).toBe('OFFLOAD_SIZE_MISMATCH');
    expect(await codeOf(reader().fetch({ ...pointer, sha256: sha(Buffer.from('other')) }).then(readAll))).toBe('OFFLOAD_DIGEST_MISMATCH');
  });
});

describe('pointers through the transports', () => {
  const pointer: OffloadPointer = { bucket, key: 'sealpost/one', size: 4096, sha256: 'b'.repeat(64) };

  async function firstDelivery(consumer: { start(h: (d: Delivery) => Promise<void>): Promise<void>; stop(ms?: number): Promise<void> }): Promise<Delivery> {
    let resolve!: (d: Delivery) => void;
    const got = new Promise<Delivery>((r) => (resolve = r));
    await consumer.start(async (delivery) => resolve(delivery));
    const delivery = await got;
    await consumer.stop(5000);
    return delivery;
  }

  it('SQS carries a pointer in the Extended Client form and hands it over as delivery.pointer', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `p-${randomUUID()}` }));
    const { sender, consumer } = createSqsTransport({ queueUrl: QueueUrl!, client: sqs, waitTimeSeconds: 1 });
    await sender.sendPointer!(pointer, { messageId: 'id-1' });
    const peek = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
    const message = peek.Messages![0]!;
    expect(JSON.parse(message.Body!)).toEqual([POINTER_CLASS, { s3BucketName: bucket, s3Key: 'sealpost/one' }]);
    expect(message.MessageAttributes!.ExtendedPayloadSize).toMatchObject({ DataType: 'Number', StringValue: '4096' });
    const delivery = await firstDelivery(consumer);
    expect(delivery.pointer).toEqual(pointer);
    expect(delivery.envelope.length).toBe(0);
  });

  it('SQS dead-letters a malformed pointer as POINTER_INVALID, keeping its attributes', async () => {
    const name = `p-${randomUUID()}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const dead = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dead` }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify([POINTER_CLASS, { s3BucketName: 'NOT A BUCKET', s3Key: 'k' }]), MessageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '10' } } }));
    const { consumer } = createSqsTransport({ queueUrl: QueueUrl!, deadLetterQueueUrl: dead.QueueUrl!, client: sqs, waitTimeSeconds: 1 });
    let handled = 0;
    await consumer.start(async () => void handled++);
    let letters: import('@aws-sdk/client-sqs').Message[] = [];
    for (let i = 0; i < 200 && letters.length === 0; i++) {
      letters = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dead.QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1, VisibilityTimeout: 0 }))).Messages ?? [];
    }
    await consumer.stop(5000);
    expect(handled).toBe(0);
    expect(letters[0]!.MessageAttributes!['sealpost-error-code']!.StringValue).toBe('POINTER_INVALID');
    expect(letters[0]!.MessageAttributes!.ExtendedPayloadSize!.StringValue).toBe('10');
    // `sealpost dead list` names where the pointer points and the size it declares.
    const box = createSqsDeadLetters({ queueUrl: QueueUrl!, deadLetterQueueUrl: dead.QueueUrl!, client: sqs });
    expect(await box.list()).toMatchObject([{ code: 'POINTER_INVALID', size: 10, offloaded: 's3://NOT A BUCKET/k' }]);
    await box.close();
  });

  it('BullMQ carries a pointer as job data and hands it over as delivery.pointer', async () => {
    const queue = `p-${randomUUID()}`;
    const { sender, consumer } = createBullmqTransport({ redisUrl: REDIS_URL, queue, prefix: `test-${randomUUID()}` });
    await sender.sendPointer!(pointer, { messageId: randomUUID() });
    const delivery = await firstDelivery(consumer);
    await sender.close();
    expect(delivery.pointer).toEqual(pointer);
  });
});
