/**
 * A sender and a receiver worker on the local spool transport with the SQLite store: the
 * embedded defaults, in one process.
 *   node examples/send-and-receive.ts [DIR]
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createSqliteStore } from '@sealpost/store';
import { openTransport } from '@sealpost/transport';

const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'sealpost-example-')));
const senderKey = await generateLocalKeyPair('ec-p384');
const receiverKey = await generateLocalKeyPair('rsa-3072');

// The receiver: open, verify, store, then acknowledge.
const store = createSqliteStore(join(dir, 'messages.db'));
const worker = await startReceiver({
  opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(senderKey.publicKeyPem)]) }),
  store,
  consumer: openTransport(`spool:${join(dir, 'spool')}`).consumer,
  metrics: createReceiverMetrics(),
  logger: pino({ level: 'silent' }),
});

// The sender: seal and post.
const sender = createSender({
  signer: createLocalSigner(senderKey.privateKeyPem),
  recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)],
  transport: openTransport(`spool:${join(dir, 'spool')}`).sender,
});
const results = await sender.sendMany(Array.from({ length: 5 }, (_, i) => ({ payload: Buffer.from(JSON.stringify({ i })), name: `m${i}.json`, contentType: 'application/json' })));
console.log(`sent ${results.filter((r) => 'id' in r).length} messages`);

const reader = createSqliteStore(join(dir, 'messages.db'));
await reader.init();
while ((await reader.list()).length < 5) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`stored ${(await reader.list()).length} messages in ${join(dir, 'messages.db')}`);
await reader.close();
await sender.close();
await worker.stop();
