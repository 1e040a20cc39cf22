import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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
  const make = () => createSqsTransport({ ...urls, client, ...fast, maxEnvelopeBytes: 4096 });
  const { sender, consumer } = make();
  const sendRaw = (body: string) => client.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: body }));
  return {
    sender,
    consumer,
    reopen: () => make().consumer,
    async injectMalformed() {
      const bodies = ['not base64!', '{"envelope":"QUJD"}', 'QUJD RA==', 'QUJDRA'];
      for (const body of bodies) await sendRaw(body);
      return bodies.length;
    },
    async injectOversized() {
      await sendRaw(Buffer.alloc(4097).toString('base64'));
    },
    async pending() {
      const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: urls.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
      return Object.values(Attributes).reduce((sum, n) => sum + Number(n), 0);
    },
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

  it('without a dead-letter queue, a malformed message is reported once and parked, not retried every few seconds', async () => {
    const { queueUrl } = await queuePair();
    const errors: unknown[] = [];
    const { consumer } = createSqsTransport({ queueUrl, client, ...fast, events: { onError: (e) => errors.push(e) } });
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not base64!' }));
    let calls = 0;
    await consumer.start(async () => {
      calls++;
    });
    try {
      for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      // Several visibility timeouts of this test's queue (2 s) pass without a second receive.
      await new Promise((r) => setTimeout(r, 5000));
      expect(calls).toBe(0);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'FORMAT_INVALID', transient: false });
      expect(String((errors[0] as Error).message)).toMatch(/no dead-letter queue is configured/);
      const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
      expect(Attributes.ApproximateNumberOfMessagesNotVisible).toBe('1');
    } finally {
      await consumer.stop(1000);
    }
  });

  it('openTransport reads sqs: URLs with a dead-letter queue', async () => {
    const urls = await queuePair();
    expect(openTransport(`sqs:${urls.queueUrl}?deadLetter=${encodeURIComponent(urls.deadLetterQueueUrl)}`)).toBeDefined();
    expect(() => openTransport('sqs:not-a-url')).toThrow();
  });
});
