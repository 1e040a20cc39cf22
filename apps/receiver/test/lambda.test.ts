import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { startSqsEmulator } from '../../../test/support/sqs-emulator.ts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createDynamoDbStore, createSqliteStore, type MessageStore } from '@sealpost/store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Offload, createS3OffloadReader, pointerBody, SHA256_ATTRIBUTE, SIZE_ATTRIBUTE, type OffloadPointer, type S3OffloadReader } from '@sealpost/transport';
import { startAwsEmulator } from '../../../test/support/aws-emulator.ts';
import { createSqsHandler, prepareWorkDir } from '../src/index.ts';

let dir: string;
let store: MessageStore;
let good: ReturnType<typeof createSealer>;
let forged: ReturnType<typeof createSealer>;
let opener: ReturnType<typeof createOpener>;

function record(body: string, queue = 'inbox'): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'x', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:111122223333:${queue}`,
    awsRegion: 'us-east-1',
  };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-lambda-'));
  store = createSqliteStore(join(dir, 'messages.db'));
  const sender = await generateLocalKeyPair('ec-p256');
  const stranger = await generateLocalKeyPair('ec-p256');
  const receiver = await generateLocalKeyPair('rsa-2048');
  good = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
  forged = createSealer({ signer: createLocalSigner(stranger.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
  opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) });
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the AWS Lambda SQS handler', () => {
  it('returns exactly the bad records as batchItemFailures and stores the good ones', async () => {
    const handler = createSqsHandler({ opener, store, logger: pino({ level: 'silent' }) });
    const goodRecords = await Promise.all([1, 2, 3].map(async (i) => record(b64((await good.seal(Buffer.from(`good ${i}`))).envelope))));
    const bad = [record(b64((await forged.seal(Buffer.from('forged'))).envelope)), record('not base64 at all!'), record(b64(Buffer.from('garbage bytes')))];
    const event: SQSEvent = { Records: [goodRecords[0]!, bad[0]!, goodRecords[1]!, bad[1]!, bad[2]!, goodRecords[2]!] };
    const response = await handler(event);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(bad.map((r) => r.messageId).sort());
    expect((await store.list({ limit: 100 })).length).toBe(3);
    // Redelivered by SQS: acknowledged as duplicates, still no failures for them.
    expect((await handler({ Records: goodRecords })).batchItemFailures).toEqual([]);
    expect((await store.list({ limit: 100 })).length).toBe(3);
  });

  it('with a dead-letter queue, permanent failures go there with their code and are not reported', async () => {
    const fauxqs = await startSqsEmulator();
    const client = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    try {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `dead-${randomUUID()}` }));
      const handler = createSqsHandler({ opener, store, logger: pino({ level: 'silent' }), deadLetter: { client, queueUrl: QueueUrl! } });
      const response = await handler({ Records: [record(b64((await forged.seal(Buffer.from('forged'))).envelope)), record(b64((await good.seal(Buffer.from('ok'))).envelope))] });
      expect(response.batchItemFailures).toEqual([]);
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MaxNumberOfMessages: 10 }));
      expect(Messages.map((m) => m.MessageAttributes!['sealpost-error-code']!.StringValue)).toEqual(['UNTRUSTED_SENDER']);
    } finally {
      client.destroy();
      await fauxqs.stop();
    }
  });

  it('on a FIFO queue, everything after the first failure is reported too, to keep the order', async () => {
    const handler = createSqsHandler({ opener, store, logger: pino({ level: 'silent' }) });
    const first = record(b64((await good.seal(Buffer.from('first'))).envelope), 'inbox.fifo');
    const broken = record('AAAA', 'inbox.fifo');
    const after = record(b64((await good.seal(Buffer.from('after'))).envelope), 'inbox.fifo');
    const response = await handler({ Records: [first, broken, after] });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([broken.messageId, after.messageId]);
  });

  it('stores into DynamoDB (the SQS -> Lambda -> DynamoDB shape)', async () => {
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    try {
      const dynamo = createDynamoDbStore({ table: `messages-${randomUUID()}`, client });
      const handler = createSqsHandler({ opener, store: dynamo, logger: pino({ level: 'silent' }) });
      const good1 = record(b64((await good.seal(Buffer.from('one'))).envelope));
      const good2 = record(b64((await good.seal(Buffer.from('two'))).envelope));
      const bad = record(b64((await forged.seal(Buffer.from('forged'))).envelope));
      const response = await handler({ Records: [good1, bad, good2] });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
      const stored = await dynamo.list();
      expect(stored.map((m) => m.size).sort()).toEqual([3, 3]);
    } finally {
      client.destroy();
      await new Promise((done) => server.close(done));
    }
  });

  it('follows offload pointers within its limit, one at a time in its work directory, and refuses larger ones as OFFLOAD_TOO_LARGE', async () => {
    const aws = await startAwsEmulator();
    const s3 = new S3Client({ endpoint: aws.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true });
    try {
      const bucket = `lambda-${randomUUID().slice(0, 8)}`;
      await aws.createBucket(bucket);
      const offload = createS3Offload({ location: { bucket, prefix: '' }, client: s3 });
      const pointerRecord = (pointer: OffloadPointer) => ({
        ...record(pointerBody(pointer)),
        messageAttributes: {
          [SIZE_ATTRIBUTE]: { dataType: 'Number', stringValue: String(pointer.size), stringListValues: [], binaryListValues: [] },
          [SHA256_ATTRIBUTE]: { dataType: 'String', stringValue: pointer.sha256, stringListValues: [], binaryListValues: [] },
        },
      });
      const small = await good.seal(Buffer.alloc(300_000, 1));
      const other = await good.seal(Buffer.alloc(300_000, 3));
      const large = await good.seal(Buffer.alloc(2_000_000, 2));
      const smallPointer = await offload.upload(small.id, small.envelope);
      const otherPointer = await offload.upload(other.id, other.envelope);
      const largePointer = await offload.upload(large.id, large.envelope);
      const workDir = await prepareWorkDir(join(dir, 'lambda-tmp'));
      const s3Reader = createS3OffloadReader({ allowedBuckets: [bucket], maxBytes: 1_000_000, client: s3 });
      // Counts the downloads in progress: a download lasts until its stream is read to the end.
      let downloading = 0;
      let mostAtOnce = 0;
      const reader: S3OffloadReader = {
        ...s3Reader,
        async fetch(pointer, signal) {
          mostAtOnce = Math.max(mostAtOnce, ++downloading);
          const body = await s3Reader.fetch(pointer, signal);
          return (async function* () {
            try {
              yield* body;
            } finally {
              downloading -= 1;
            }
          })();
        },
      };
      const dead = await startSqsEmulator();
      const sqs = new SQSClient({ endpoint: dead.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      try {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `dead-${randomUUID()}` }));
        const handler = createSqsHandler({ opener, store, logger: pino({ level: 'silent' }), offload: { reader, workDir, keep: false }, deadLetter: { client: sqs, queueUrl: QueueUrl! } });
        const response = await handler({ Records: [pointerRecord(smallPointer), pointerRecord(otherPointer), pointerRecord(largePointer)] } as SQSEvent);
        expect(response.batchItemFailures).toEqual([]);
        expect(mostAtOnce).toBe(1);
        expect(await store.head(small.id)).toBeDefined();
        expect(await store.head(other.id)).toBeDefined();
        expect(await store.head(large.id)).toBeUndefined();
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MaxNumberOfMessages: 10 }));
        expect(Messages.map((m) => m.MessageAttributes!['sealpost-error-code']!.StringValue)).toEqual(['OFFLOAD_TOO_LARGE']);
        expect(Messages[0]!.MessageAttributes![SIZE_ATTRIBUTE]!.StringValue).toBe(String(largePointer.size));
        // The stored one's object is gone, the refused one's kept; nothing is left in the work directory.
        expect(aws.requests.filter((r) => r.startsWith('DELETE')).sort()).toEqual([`DELETE /${bucket}/${small.id}`, `DELETE /${bucket}/${other.id}`].sort());
        expect(aws.requests.some((r) => r.startsWith(`GET /${bucket}/${large.id}`))).toBe(false);
        const { readdir } = await import('node:fs/promises');
        expect(await readdir(workDir)).toEqual([]);
      } finally {
        sqs.destroy();
        await dead.stop();
      }
    } finally {
      s3.destroy();
      await aws.stop();
    }
  });
});
