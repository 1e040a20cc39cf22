/**
 * Send over BullMQ on a local Redis and receive into PostgreSQL.
 *   node examples/bullmq.ts [redis://127.0.0.1:6379] [postgres://postgres@127.0.0.1:5432/test]
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createPostgresStore } from '@sealpost/store';
import { createBullmqTransport } from '@sealpost/transport';

const redisUrl = process.argv[2] ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomUUID().slice(0, 8);
const senderKey = await generateLocalKeyPair('ec-p256');
const receiverKey = await generateLocalKeyPair('rsa-2048');
const queue = { redisUrl, queue: `example-${run}`, prefix: `sealpost-example-${run}` };

const store = createPostgresStore({ connectionString: postgresUrl, schema: `example_${run}` });
const worker = await startReceiver({
  opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(senderKey.publicKeyPem)]) }),
  store,
  consumer: createBullmqTransport(queue).consumer,
  metrics: createReceiverMetrics(),
  logger: pino({ level: 'silent' }),
});
const sender = createSender({ signer: createLocalSigner(senderKey.privateKeyPem), recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport: createBullmqTransport(queue).sender });
const ids = await Promise.all(['a', 'b', 'c'].map((x) => sender.send(Buffer.from(x), { name: `${x}.txt`, contentType: 'text/plain' })));
console.log(`sent ${ids.length} messages on BullMQ queue ${queue.queue}`);
while ((await store.list()).length < ids.length) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`stored ${(await store.list()).length} messages in PostgreSQL schema example_${run}`);
await sender.close();
await worker.stop();
