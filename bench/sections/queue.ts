import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import pino from 'pino';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createPostgresStore } from '@sealpost/store';
import { createBullmqTransport } from '@sealpost/transport';
import type { Row } from '../lib/report.ts';

const REDIS = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const PG_URL = process.env.SEALPOST_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Results the targets need. */
export interface QueueResults {
  readonly bareRate: number;
  readonly sealpostRate: number;
  readonly eventLoopP99Ms: number;
}

/**
 * Section 4: through BullMQ on the local Redis, the same 1 KiB payloads and concurrency: a bare
 * BullMQ producer and no-op worker, next to the Sealpost sender -> BullMQ -> receiver worker ->
 * PostgreSQL store (open, verify, store, then acknowledge). Both run in this process.
 */
export async function queueSection(quick: boolean): Promise<{ rows: Row[]; results: QueueResults }> {
  const section = `4. Through the queue (BullMQ on local Redis, 1 KiB, concurrency ${CONCURRENCY}, one process)`;
  const count = quick ? 50 : 5000;
  const prefix = `sealpost-bench-${randomUUID()}`;
  const payload = Buffer.alloc(1024, 0x61);
  const one = (v: number) => ({ median: v, min: v, max: v, reps: 1 });

  // Bare BullMQ: enqueue everything, a no-op worker drains it.
  const bareQueue = new Queue('bare', { connection: REDIS, prefix });
  const latencies: number[] = [];
  let done = 0;
  let finish!: () => void;
  const drained = new Promise<void>((resolve) => (finish = resolve));
  const bareWorker = new Worker('bare', async (job) => {
    latencies.push(Date.now() - job.timestamp);
    if (++done === count) finish();
  }, { connection: REDIS, prefix, concurrency: CONCURRENCY });
  let started = performance.now();
  for (let i = 0; i < count; i += 500) {
    await bareQueue.addBulk(Array.from({ length: Math.min(500, count - i) }, () => ({ name: 'm', data: { payload: payload.toString('base64') }, opts: { removeOnComplete: true } })));
  }
  await drained;
  const bareRate = count / ((performance.now() - started) / 1000);
  await bareWorker.close();
  await bareQueue.close();
  latencies.sort((a, b) => a - b);

  // Sealpost: sender -> BullMQ -> receiver worker -> PostgreSQL.
  const senderKey = await generateLocalKeyPair('ec-p256');
  const receiverKey = await generateLocalKeyPair('rsa-4096');
  const schema = `bench_${randomUUID().replace(/-/g, '')}`;
  const store = createPostgresStore({ connectionString: PG_URL, schema });
  const transport = { redisUrl: 'redis://127.0.0.1:6379', queue: 'sealpost', prefix, concurrency: CONCURRENCY };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const worker = await startReceiver({
    opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(senderKey.publicKeyPem)]) }),
    store,
    consumer: createBullmqTransport(transport).consumer,
    metrics: createReceiverMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const sender = createSender({ signer: createLocalSigner(senderKey.privateKeyPem), recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)], transport: createBullmqTransport(transport).sender });
  delay.enable();
  started = performance.now();
  await sender.sendMany(Array.from({ length: count }, (_, i) => ({ payload, name: `m${i}.json`, contentType: 'application/json' })));
  // Counting rows, not listing them: the poll must cost the database next to nothing.
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const storedCount = async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".messages`)).rows[0]!.n);
  while ((await storedCount()) < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const sealpostRate = count / ((performance.now() - started) / 1000);
  delay.disable();
  const reader = createPostgresStore({ connectionString: PG_URL, schema });
  const stored = await reader.list({ limit: count });
  const sealpostLatencies = stored.map((m) => m.receivedAt.getTime() - m.createdAt.getTime()).sort((a, b) => a - b);
  await sender.close();
  await worker.stop();
  await reader.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  const cleanup = new Queue('sealpost', { connection: REDIS, prefix });
  await cleanup.obliterate({ force: true }).catch(() => undefined);
  await cleanup.close();
  const eventLoopP99Ms = delay.percentile(99) / 1e6;

  const rows: Row[] = [
    { section, name: 'bare BullMQ, no-op worker: throughput', value: one(bareRate), unit: 'msg/s', note: `${count} messages` },
    { section, name: 'bare BullMQ: enqueue to processed, p50 / p99', value: one(percentile(latencies, 50)), unit: 'ms', note: `p99 ${percentile(latencies, 99)} ms` },
    { section, name: 'Sealpost sender -> BullMQ -> worker -> PostgreSQL: throughput', value: one(sealpostRate), unit: 'msg/s', note: `${count} messages, P-256 signer, RSA-4096 recipient, data-key reuse` },
    { section, name: 'Sealpost: sealed to stored, p50 / p99', value: one(percentile(sealpostLatencies, 50)), unit: 'ms', note: `p99 ${percentile(sealpostLatencies, 99)} ms` },
    { section, name: 'Sealpost: event-loop delay p99 under load', value: one(eventLoopP99Ms), unit: 'ms', note: 'perf_hooks.monitorEventLoopDelay; BullMQ locks are renewed every 15 s' },
  ];
  return { rows, results: { bareRate, sealpostRate, eventLoopP99Ms } };
}
