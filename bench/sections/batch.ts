import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createPublicKey, randomUUID, sign, verify } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateKeyCommand, GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { Queue } from 'bullmq';
import pg from 'pg';
import pino from 'pino';
import { createKmsClient, createKmsSigner, createKmsTrustedSender } from '@sealpost/aws-kms';
import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
  generateLocalKeyPair,
  type LocalKeyPair,
  type LocalKeyType,
  type Signer,
} from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createPostgresStore } from '@sealpost/store';
import { createBullmqTransport, type TransportSender } from '@sealpost/transport';
import { interleaved, samples, type Measurement, type Operation, type Plan } from '../lib/measure.ts';
import { batchBreakdown, type BatchBreakdown } from './batch-breakdown.ts';
import { BULLMQ_CONCURRENCY, PG_URL, REDIS } from './queue.ts';
import type { Row } from '../lib/report.ts';

/** AWS's default request-rate quota for ECC keys (Sign, Verify, GetPublicKey per account and region). */
const ECC_QUOTA = 300;
const BATCH = { maxMessages: 256, maxDelayMs: 10 } as const;
const PER_MESSAGE_CONCURRENCY = 64;
const OPEN_CONCURRENCY = 32;

/** Results the targets need. */
export interface BatchResults {
  /** The KMS emulator's ECC request-rate quota: the most per-message signing could ever send per second. */
  readonly quota: number;
  readonly sendPerMessage: number;
  readonly sendBatch: number;
  /** The sender process's CPU time per message sent with batch signing, in µs. */
  readonly sendBatchCpuUs: number;
  readonly batchCallsPerMessage: number;
  readonly breakdown: BatchBreakdown;
  readonly openBatch: { readonly p256: Measurement; readonly p521: Measurement };
  readonly rawVerify: { readonly p256: Measurement; readonly p521: Measurement };
  readonly e2e: { readonly perMessage: number; readonly batch: number };
}

/** The KMS emulator in its own process (as Redis and PostgreSQL are), with the ECC quota. */
async function startKmsProcess(): Promise<{ url: string; child: ChildProcess; client: KMSClient; calls: () => Promise<Record<string, number>>; resetCalls: () => Promise<void> }> {
  const script = resolve(import.meta.dirname, '../../packages/kms-emulator/src/cli.ts');
  const child = spawn(process.execPath, [script, '--port', '0', '--quota', `ecc=${ECC_QUOTA}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const url = /listening on (\S+)/.exec(line)![1]!;
  const client = createKmsClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  return {
    url,
    child,
    client,
    calls: async () => (await (await fetch(`${url}/__emulator/calls`)).json()) as Record<string, number>,
    resetCalls: async () => void (await fetch(`${url}/__emulator/reset-calls`, { method: 'POST' })),
  };
}

async function kmsKey(client: KMSClient, spec: 'ECC_NIST_P256' | 'ECC_NIST_P521') {
  const keyId = (await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
  await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return { keyId, signer: await createKmsSigner({ client, keyId }), trusted: await createKmsTrustedSender({ client, keyId }) };
}

/** A transport that accepts every envelope at once: the send rows measure sealing and signing. */
function nullTransport(): TransportSender {
  return { batchSize: 10, maxEnvelopeBytes: 1 << 24, send: () => Promise.resolve(), sendBatch: () => Promise.resolve(), close: () => Promise.resolve() };
}

/** Messages per second sent (sealed, signed, accepted by the transport) and failures, for `count` 1 KiB messages. */
async function sendRun(signer: Signer, recipient: LocalKeyPair, count: number, batching: boolean): Promise<{ rate: number; failed: number; cpuUsPerMessage: number }> {
  const payload = Buffer.alloc(1024, 0x61);
  const sender = createSender({
    signer,
    recipients: [createLocalKeyWrapper(recipient.publicKeyPem)],
    transport: nullTransport(),
    ...(batching ? { batchSigning: BATCH } : { concurrency: PER_MESSAGE_CONCURRENCY }),
  });
  const messages = Array.from({ length: count }, (_, i) => ({ payload, name: `m${i}.json`, contentType: 'application/json' }));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const results = await sender.sendMany(messages);
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const failed = results.filter((r) => 'error' in r).length;
  await sender.close();
  return { rate: (count - failed) / seconds, failed, cpuUsPerMessage: (user + system) / count };
}

/**
 * Sealed 1 KiB envelopes from a `type` sender in the batch form (data-key reuse on the sender, as
 * createSender does), and an open that reads them in order, as a queue delivers them, with an
 * opener whose data-key and statement caches start empty at every pass over them: each data key
 * is unwrapped and each batch statement verified once per pass, as a receiver meeting these
 * messages for the first time does.
 */
async function batchSigned(sender: LocalKeyPair, hash: 'sha256' | 'sha512', recipient: LocalKeyPair, count: number) {
  const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(recipient.publicKeyPem)], dataKeyReuse: true, batchSigning: BATCH });
  const payload = Buffer.alloc(1024, 0x61);
  const envelopes = (await Promise.all(Array.from({ length: count }, (_, i) => sealer.seal(payload, { name: `m${i}.json`, contentType: 'application/json' })))).map((s) => s.envelope);
  const unwrapper = createLocalKeyUnwrapper(recipient.privateKeyPem);
  const trust = createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]);
  let opener = createOpener({ keys: unwrapper, trust });
  for (const e of envelopes) await opener.open(e);
  let next = 0;
  const key = createPublicKey(sender.publicKeyPem);
  const data = Buffer.alloc(400, 1);
  const signature = sign(hash, data, sender.privateKeyPem);
  return {
    open: () => {
      if (next % envelopes.length === 0) opener = createOpener({ keys: unwrapper, trust });
      return opener.open(envelopes[next++ % envelopes.length]!);
    },
    verifyRaw: () => verify(hash, data, key, signature),
  };
}

/** BullMQ -> receiver worker -> PostgreSQL with a KMS sender key: messages per second from first send to last row stored. */
async function e2eRun(key: Awaited<ReturnType<typeof kmsKey>>, recipient: LocalKeyPair, count: number, batching: boolean): Promise<number> {
  const schema = `bench_${randomUUID().replace(/-/g, '')}`;
  const queue = `sealpost-batch-${randomUUID()}`;
  const prefix = `sealpost-bench-${randomUUID()}`;
  const transport = createBullmqTransport({ redisUrl: 'redis://127.0.0.1:6379', queue, prefix, concurrency: BULLMQ_CONCURRENCY });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const worker = await startReceiver({
    opener: createOpener({ keys: createLocalKeyUnwrapper(recipient.privateKeyPem), trust: createTrustStore([key.trusted]) }),
    store: createPostgresStore({ connectionString: PG_URL, schema }),
    consumer: transport.consumer,
    metrics: createReceiverMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const sender = createSender({ signer: key.signer, recipients: [createLocalKeyWrapper(recipient.publicKeyPem)], transport: transport.sender, ...(batching ? { batchSigning: BATCH } : { concurrency: PER_MESSAGE_CONCURRENCY }) });
  const payload = Buffer.alloc(1024, 0x61);
  const started = performance.now();
  const results = await sender.sendMany(Array.from({ length: count }, (_, i) => ({ payload, name: `m${i}.json`, contentType: 'application/json' })));
  const sent = results.filter((r) => !('error' in r)).length;
  const stored = async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".messages`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]!.n);
  while ((await stored()) < sent) await new Promise((r) => setTimeout(r, 20));
  const rate = sent / ((performance.now() - started) / 1000);
  await Promise.all([sender.close(), worker.stop()]);
  const cleanup = new Queue(queue, { connection: REDIS, prefix });
  await cleanup.obliterate({ force: true }).catch(() => undefined);
  await cleanup.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  return rate;
}

const one = (v: number): Measurement => ({ median: v, min: v, max: v, reps: 1 });

/**
 * Section 6: batch signing (FORMAT.md section 15). (a) Sending 1 KiB messages with the sender
 * key in the KMS emulator under AWS's default ECC quota, per-message vs batch signing, and the
 * KMS calls each costs; (b) opening batch-signed messages with the statement cache, in turns
 * with a raw verification on P-256 and P-521; (c) end to end through BullMQ into PostgreSQL
 * with a KMS P-521 sender key, per-message vs batch, runs alternated.
 */
export async function batchSection(plan: Plan, quick: boolean): Promise<{ rows: Row[]; results: BatchResults }> {
  const section = `6. Batch signing (1 KiB; KMS emulator in its own process, ECC quota ${ECC_QUOTA} requests/s; batches of up to ${BATCH.maxMessages} or ${BATCH.maxDelayMs} ms)`;
  const recipient = await generateLocalKeyPair('rsa-2048');
  const kms = await startKmsProcess();
  const rows: Row[] = [];
  const clients: KMSClient[] = [];
  try {
    // (a) Sending against the quota.
    const p256 = await kmsKey(kms.client, 'ECC_NIST_P256');
    // Each mode signs through a KMS client of its own: the SDK's adaptive retry mode slows a
    // client's requests after throttling, and the per-message run's throttling must not carry over.
    const freshSigner = async () => {
      const client = createKmsClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      clients.push(client);
      return createKmsSigner({ client, keyId: p256.keyId });
    };
    const perMessageCount = quick ? 60 : 3000;
    const batchCount = quick ? 600 : 60_000;
    const sendBatchRuns = quick ? 1 : 3;
    await kms.resetCalls();
    const perMessage = await sendRun(await freshSigner(), recipient, perMessageCount, false);
    const perMessageCalls = await kms.calls();
    await kms.resetCalls();
    const batchSigner = await freshSigner();
    const batches: Awaited<ReturnType<typeof sendRun>>[] = [];
    for (let run = 0; run < sendBatchRuns; run++) batches.push(await sendRun(batchSigner, recipient, batchCount, true));
    const batchCalls = await kms.calls();
    const batchRates = samples(batches.map((b) => b.rate));
    const batchCpu = samples(batches.map((b) => b.cpuUsPerMessage));
    const batch = { rate: batchRates.median, cpuUsPerMessage: batchCpu.median, failed: batches.reduce((t, b) => t + b.failed, 0) };
    const perMessageCallsPerMessage = (perMessageCalls.Sign ?? 0) / (perMessageCount - perMessage.failed);
    const batchCallsPerMessage = (batchCalls.Sign ?? 0) / (sendBatchRuns * batchCount - batch.failed);
    const transportNote = 'sealed, signed and handed to a transport that accepts every envelope at once: the sender\'s own work and KMS';
    rows.push(
      { section, name: 'send, KMS P-256 key, one Sign per message: throughput', value: one(perMessage.rate), unit: 'msg/s', note: `${perMessageCount} messages, ${PER_MESSAGE_CONCURRENCY} in flight, ${perMessage.failed} failed; SDK adaptive retries; ${transportNote}` },
      { section, name: 'send, KMS P-256 key, one Sign per message: KMS Sign calls per message', value: one(perMessageCallsPerMessage), unit: 'calls/msg', note: `throttled attempts included: ${JSON.stringify(perMessageCalls)}` },
      { section, name: 'send, KMS P-256 key, batch signing: throughput', value: batchRates, unit: 'msg/s', note: `${batchCount} messages per run, ${sendBatchRuns} runs; groups of ${BATCH.maxMessages} (up to four in flight), ${batch.failed} failed; ${transportNote}` },
      { section, name: 'send, KMS P-256 key, batch signing: sender CPU time per message', value: batchCpu, unit: 'µs', note: 'every thread of the sending process over the run (sealing, signing share, SDK, GC); the KMS emulator runs in its own process' },
      { section, name: 'send, KMS P-256 key, batch signing: KMS Sign calls per message', value: one(batchCallsPerMessage), unit: 'calls/msg', note: `${batchCallsPerMessage.toFixed(4)} exactly: ${JSON.stringify(batchCalls)}` },
      { section, name: 'send: batch signing vs one Sign per message', value: one(batch.rate / perMessage.rate), unit: 'x', note: 'both rows do the same work (data-key reuse, same payloads and transport) but for the signing' },
    );

    // (b) Opening with the statement cache, in turns with the raw verify rate of the same curve.
    const count = quick ? 256 : 16 * BATCH.maxMessages;
    const [senderP256, senderP521] = [await generateLocalKeyPair('ec-p256'), await generateLocalKeyPair('ec-p521')];
    const [p256Open, p521Open] = [await batchSigned(senderP256, 'sha256', recipient, count), await batchSigned(senderP521, 'sha512', recipient, count)];
    const ops: Operation[] = [
      { name: 'raw256', sync: true, run: p256Open.verifyRaw },
      { name: 'open256', run: p256Open.open, concurrency: OPEN_CONCURRENCY },
      { name: 'raw521', sync: true, run: p521Open.verifyRaw },
      { name: 'open521', run: p521Open.open, concurrency: OPEN_CONCURRENCY },
    ];
    const measured = await interleaved(ops, plan);
    const m = (name: string) => measured.get(name)!;
    const cpuNote = (name: string) => `${Math.round(m(name).perCpuSecond ?? 0).toLocaleString('en-US')} per CPU-second of the process`;
    const openNote = `${OPEN_CONCURRENCY} in flight, in order over ${count} envelopes in batches of ${BATCH.maxMessages}; a fresh opener (empty data-key and statement caches) every pass; `;
    rows.push(
      { section, name: 'node:crypto ECDSA P-256 verify, one thread', value: m('raw256'), unit: 'ops/s', note: `the yardstick, measured in turns; ${cpuNote('raw256')}` },
      { section, name: 'open batch-signed, P-256 sender, statement cache', value: m('open256'), unit: 'msg/s', note: `${openNote}${cpuNote('open256')}` },
      { section, name: 'node:crypto ECDSA P-521 verify, one thread', value: m('raw521'), unit: 'ops/s', note: `the yardstick, measured in turns; ${cpuNote('raw521')}` },
      { section, name: 'open batch-signed, P-521 sender, statement cache', value: m('open521'), unit: 'msg/s', note: `${openNote}${cpuNote('open521')}` },
    );

    // (b2) Where the CPU time of one batch-signed message goes.
    const breakdown = await batchBreakdown(plan, recipient, senderP256, senderP521);
    const us = (name: string, value: number, note = ''): Row => ({ section, name, value: one(value), unit: 'µs (CPU)', note });
    const sealSum = breakdown.seal.reduce((t, [, v]) => t + v, 0);
    const openSum = breakdown.open.reduce((t, [, v]) => t + v, 0);
    rows.push(
      ...breakdown.seal.map(([name, value]) => us(name, value)),
      us('seal: all of the steps above', sealSum, `one P-256 signature: ${breakdown.signP256Us.toFixed(1)} µs; with batches of ${BATCH.maxMessages} a message carries 1/${BATCH.maxMessages} of one KMS Sign`),
      ...breakdown.open.map(([name, value]) => us(name, value)),
      us('open: all of the steps above', openSum, `one raw verify: P-256 ${breakdown.verifyUs.p256.toFixed(1)} µs, P-521 ${breakdown.verifyUs.p521.toFixed(1)} µs`),
      us('open: a whole open, one at a time (steps, trust lookup, remaining checks, promises)', breakdown.openWholeUs, `2x the raw P-256 verify rate needs at most ${(breakdown.verifyUs.p256 / 2).toFixed(1)} µs per open`),
    );

    // (c) End to end with a KMS P-521 key.
    const p521 = await kmsKey(kms.client, 'ECC_NIST_P521');
    const runs = quick ? 1 : 3;
    const e2ePerMessageCount = quick ? 40 : 1500;
    const e2eBatchCount = quick ? 200 : 10_000;
    const perMessageRuns: number[] = [];
    const batchRuns: number[] = [];
    for (let run = 0; run < runs; run++) {
      perMessageRuns.push(await e2eRun(p521, recipient, e2ePerMessageCount, false));
      batchRuns.push(await e2eRun(p521, recipient, e2eBatchCount, true));
    }
    const e2ePerMessage = samples(perMessageRuns);
    const e2eBatch = samples(batchRuns);
    rows.push(
      { section, name: 'BullMQ -> worker -> PostgreSQL, KMS P-521 key, one Sign per message: throughput', value: e2ePerMessage, unit: 'msg/s', note: `${e2ePerMessageCount} messages per run, ${runs} runs; worker concurrency ${BULLMQ_CONCURRENCY}, local verify with the cached public key` },
      { section, name: 'BullMQ -> worker -> PostgreSQL, KMS P-521 key, batch signing: throughput', value: e2eBatch, unit: 'msg/s', note: `${e2eBatchCount} messages per run, ${runs} runs, alternated with the row above` },
    );
    return {
      rows,
      results: {
        quota: ECC_QUOTA,
        sendPerMessage: perMessage.rate,
        sendBatch: batch.rate,
        sendBatchCpuUs: batch.cpuUsPerMessage,
        batchCallsPerMessage,
        breakdown,
        openBatch: { p256: m('open256'), p521: m('open521') },
        rawVerify: { p256: m('raw256'), p521: m('raw521') },
        e2e: { perMessage: e2ePerMessage.median, batch: e2eBatch.median },
      },
    };
  } finally {
    for (const client of clients) client.destroy();
    kms.client.destroy();
    kms.child.kill('SIGTERM');
  }
}
