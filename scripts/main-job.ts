/**
 * The main job on embedded defaults: the whole product, for real, with no AWS account and no
 * Redis. Under a data directory (default ./.sealpost/demo; `--data-dir DIR` or SEALPOST_DATA_DIR)
 * it creates keys once, starts the receiver worker on the spool transport with the SQLite store,
 * sends sample messages (JSON, text, a binary file of a few MiB, one for two recipients), a forged
 * one and a tampered one, waits until every one is handled, and prints what was stored and what
 * was rejected, with the reason. Running it again reuses the keys and shows the earlier messages.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createLocalKeyWrapper, createLocalSigner, createSealer, generateLocalKeyPair, type LocalKeyType } from '@sealpost/envelope';
import { loadReceiverConfig, startReceiverFromConfig } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createSqliteStore } from '@sealpost/store';
import { openTransport } from '@sealpost/transport';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } } });
const dataDir = resolve(values['data-dir'] ?? process.env.SEALPOST_DATA_DIR ?? '.sealpost/demo');
const keysDir = join(dataDir, 'keys');
const spoolDir = join(dataDir, 'spool');
const database = join(dataDir, 'messages.db');

async function key(name: string, type: LocalKeyType): Promise<{ privatePem: string; publicPem: string }> {
  const privatePath = join(keysDir, `${name}.pem`);
  const publicPath = join(keysDir, `${name}.pub.pem`);
  if (!existsSync(privatePath)) {
    const pair = await generateLocalKeyPair(type);
    await writeFile(privatePath, pair.privateKeyPem, { mode: 0o600 });
    await writeFile(publicPath, pair.publicKeyPem);
    console.log(`  created ${type} key keys/${name}.pem (key id ${pair.keyId})`);
  } else {
    console.log(`  keys/${name}.pem exists: reusing it`);
  }
  return { privatePem: await readFile(privatePath, 'utf8'), publicPem: await readFile(publicPath, 'utf8') };
}

console.log(`Sealpost main job in ${dataDir}\n\n1. Keys`);
await mkdir(keysDir, { recursive: true });
const sender = await key('sender', 'ec-p521');
const receiver = await key('receiver', 'rsa-4096');
const archive = await key('archive', 'rsa-2048');
const mallory = await key('mallory', 'ec-p256');

const store = createSqliteStore(database);
await store.init();
const earlier = await store.list({ limit: 10_000 });
console.log(`\n2. Receiver worker: spool:${spoolDir} -> sqlite:${database} (${earlier.length} message(s) stored by earlier runs)`);
const config = await loadReceiverConfig({
  env: {
    SEALPOST_TRANSPORT: `spool:${spoolDir}`,
    SEALPOST_STORE: `sqlite:${database}`,
    SEALPOST_KEYS: join(keysDir, 'receiver.pem'),
    SEALPOST_TRUST: join(keysDir, 'sender.pub.pem'),
    SEALPOST_METRICS_PORT: 'off',
  },
});
const worker = await startReceiverFromConfig(config, pino({ level: 'silent' }));

console.log('\n3. Sending');
const { sender: transport } = openTransport(`spool:${spoolDir}`);
const signer = createLocalSigner(sender.privatePem);
const toReceiver = createLocalKeyWrapper(receiver.publicPem);
const outbox = createSender({ signer, recipients: [toReceiver], transport });
const twoRecipients = createSender({ signer, recipients: [toReceiver, createLocalKeyWrapper(archive.publicPem)], transport });
const expected = new Map<string, string>();
const send = async (label: string, id: Promise<string>) => {
  const messageId = await id;
  expected.set(messageId, label);
  console.log(`  sent ${label} as ${messageId}`);
};
await send('order.json', outbox.send(Buffer.from(JSON.stringify({ order: 4711, amount: '99.95', currency: 'EUR', at: new Date().toISOString() })), { name: 'order.json', contentType: 'application/json', metadata: { tenant: 'acme' } }));
await send('note.txt', outbox.send(Buffer.from('Shipment leaves Gothenburg on Monday.\n'), { name: 'note.txt', contentType: 'text/plain' }));
await send('scan.bin (3 MiB)', outbox.send(randomBytes(3 * 1024 * 1024), { name: 'scan.bin', contentType: 'application/octet-stream' }));
await send('invoice.json (receiver + archive)', twoRecipients.send(Buffer.from('{"invoice":"2026-118"}'), { name: 'invoice.json', contentType: 'application/json' }));
const forged = await createSealer({ signer: createLocalSigner(mallory.privatePem), recipients: [toReceiver] }).seal(Buffer.from('{"order":1,"amount":"1000000"}'), { name: 'order.json' });
await transport.send(forged.envelope, { messageId: forged.id });
expected.set(forged.id, 'forged order.json (signed by an untrusted key)');
console.log(`  sent a forged message as ${forged.id}`);
const genuine = await createSealer({ signer, recipients: [toReceiver] }).seal(Buffer.from('{"order":4712}'), { name: 'order.json' });
const tampered = Buffer.from(genuine.envelope);
tampered[tampered.length - 100]! ^= 0x01;
await transport.send(tampered, { messageId: genuine.id });
expected.set(genuine.id, 'tampered order.json (one bit flipped in transit)');
console.log(`  sent a tampered message as ${genuine.id}`);

console.log('\n4. Waiting for the worker');
const deadDir = join(spoolDir, 'dead');
const rejected = new Map<string, { code: string; reason: string }>();
const deadline = Date.now() + 60_000;
for (;;) {
  const stored = new Set((await store.list({ limit: 10_000 })).map((m) => m.id));
  for (const name of await readdir(deadDir).catch(() => [] as string[])) {
    const id = [...expected.keys()].find((k) => name.includes(k));
    if (id && name.endsWith('.reason.json')) rejected.set(id, JSON.parse(await readFile(join(deadDir, name), 'utf8')) as { code: string; reason: string });
  }
  if ([...expected.keys()].every((id) => stored.has(id) || rejected.has(id))) break;
  if (Date.now() > deadline) throw new Error('the worker did not handle every message within 60 s');
  await new Promise((r) => setTimeout(r, 50));
}
await worker.stop();
await outbox.close();

const all = await store.list({ limit: 10_000 });
console.log('\n5. Stored (verified, then persisted; nothing is stored before every check passed)');
for (const m of all) {
  const mark = expected.has(m.id) ? 'new    ' : 'earlier';
  console.log(`  ${mark} ${m.id}  ${m.payloadName.padEnd(13)} ${m.contentType.padEnd(24)} ${String(m.size).padStart(8)} bytes  recipients: ${m.recipients.length}`);
}
console.log('\n6. Rejected (moved to the dead-letter directory after one attempt)');
for (const [id, reason] of rejected) console.log(`  ${expected.get(id)}: ${reason.code} (${reason.reason})`);
const storedNow = all.filter((m) => expected.has(m.id)).length;
await store.close();
console.log(`\nDone: ${storedNow} message(s) stored this run, ${rejected.size} rejected, ${all.length} stored in total.`);
if (storedNow !== 4 || rejected.size !== 2) process.exitCode = 1;
