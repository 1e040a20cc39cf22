/**
 * Send over Amazon SQS and receive with a dead-letter queue; against the fauxqs emulator unless
 * SEALPOST_EXAMPLE_QUEUE_URL and SEALPOST_EXAMPLE_DLQ_URL name real queues.
 *   node examples/sqs.ts
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from 'fauxqs';
import pino from 'pino';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createSqliteStore } from '@sealpost/store';
import { createSqsTransport } from '@sealpost/transport';

// The emulator listens on the loopback address only (fauxqs's startFauxqs would take every interface).
const emulator = process.env.SEALPOST_EXAMPLE_QUEUE_URL ? undefined : buildApp({ logger: false });
const endpoint = emulator ? await emulator.listen({ port: 0, host: '127.0.0.1' }) : undefined;
const client = endpoint ? new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }) : new SQSClient({});
const queueUrl = process.env.SEALPOST_EXAMPLE_QUEUE_URL ?? (await client.send(new CreateQueueCommand({ QueueName: 'sealpost-example' }))).QueueUrl!;
const deadLetterQueueUrl = process.env.SEALPOST_EXAMPLE_DLQ_URL ?? (await client.send(new CreateQueueCommand({ QueueName: 'sealpost-example-dead' }))).QueueUrl!;

const senderKey = await generateLocalKeyPair('ec-p256');
const receiverKey = await generateLocalKeyPair('rsa-2048');
const store = createSqliteStore(join(await mkdtemp(join(tmpdir(), 'sealpost-sqs-example-')), 'messages.db'));
const worker = await startReceiver({
  opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(senderKey.publicKeyPem)]) }),
  store,
  consumer: createSqsTransport({ queueUrl, deadLetterQueueUrl, client, waitTimeSeconds: 1 }).consumer,
  metrics: createReceiverMetrics(),
  logger: pino({ level: 'silent' }),
});
const sender = createSender({ signer: createLocalSigner(senderKey.privateKeyPem), recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport: createSqsTransport({ queueUrl, client }).sender });
const results = await sender.sendMany([1, 2, 3, 4].map((i) => ({ payload: Buffer.from(`{"n":${i}}`), name: `n${i}.json`, contentType: 'application/json' })));
console.log(`sent ${results.length} messages to ${queueUrl} in one SendMessageBatch`);
while ((await store.list()).length < results.length) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`stored ${(await store.list()).length} messages`);
await worker.stop();
client.destroy();
await emulator?.close();
