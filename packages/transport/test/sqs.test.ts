import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { startSqsEmulator, type SqsEmulator } from '../../../test/support/sqs-emulator.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsTransport, openTransport } from '../src/index.ts';
import { describeTransportConformance } from './conformance.ts';

let server: SqsEmulator;
let client: SQSClient;

beforeAll(async () => {
  server = await startSqsEmulator();
  client = new SQSClient({ endpoint: server.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

async function queuePair(fifo = false) {
  const name = `q-${randomUUID()}`;
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes = fifo ? { FifoQueue: 'true' } : {};
  const dead = await client.send(new CreateQueueCommand({ QueueName: `${name}-dead${suffix}`, Attributes: fifoAttributes }));
  const deadArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await client.send(new CreateQueueCommand({ QueueName: `${name}${suffix}`, Attributes: { ...fifoAttributes, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: '50' }) } }));
  return { queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dead.QueueUrl! };
}

const fast = { visibilityTimeoutSeconds: 2, retryDelaySeconds: 1, waitTimeSeconds: 1 };

describeTransportConformance('SQS (fauxqs)', async () => {
  const urls = await queuePair();
  const make = () => createSqsTransport({ ...urls, client, ...fast });
  const { sender, consumer } = make();
  return {
    sender,
    consumer,
    reopen: () => make().consumer,
    async deadLetters() {
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: urls.deadLetterQueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
      return Messages.map((m) => ({ envelope: Buffer.from(m.Body!, 'base64'), code: m.MessageAttributes!['sealpost-error-code']!.StringValue! }));
    },
    cleanup: async () => undefined,
  };
});

describe('SQS specifics', () => {
  it('refuses an envelope larger than the queue message size, at send', async () => {
    const { queueUrl } = await queuePair();
    const { sender } = createSqsTransport({ queueUrl, client });
    await expect(sender.send(Buffer.alloc(200_000))).rejects.toThrow(/exceeds what fits in an SQS message of 262144 bytes/);
    await expect(sender.send(Buffer.alloc(190_000))).resolves.toBeUndefined();
  });

  it('FIFO: the message id deduplicates a resend', async () => {
    const urls = await queuePair(true);
    const { sender, consumer } = createSqsTransport({ ...urls, client, ...fast });
    await sender.send(Buffer.from('once'), { messageId: 'id-1' });
    await sender.send(Buffer.from('once'), { messageId: 'id-1' });
    await sender.send(Buffer.from('twice'), { messageId: 'id-2' });
    const seen: string[] = [];
    await consumer.start(async (d) => {
      seen.push(Buffer.from(d.envelope).toString());
    });
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    await consumer.stop(1000);
    expect(seen).toEqual(['once', 'twice']);
  });

  it('openTransport reads sqs: URLs with a dead-letter queue', async () => {
    const urls = await queuePair();
    expect(openTransport(`sqs:${urls.queueUrl}?deadLetter=${encodeURIComponent(urls.deadLetterQueueUrl)}`)).toBeDefined();
    expect(() => openTransport('sqs:not-a-url')).toThrow();
  });
});
