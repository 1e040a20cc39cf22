import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import pino from 'pino';
import { Consumer } from 'sqs-consumer';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair, type LocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { createPostgresStore } from '@sealpost/store';
import { createBullmqTransport, createSqsTransport, type TransportConsumer, type TransportSender } from '@sealpost/transport';
import { samples, type Measurement } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';

export const REDIS = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
export const PG_URL = process.env.SEALPOST_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BULLMQ_CONCURRENCY = 8;
const SQS_CONCURRENCY = 10;
// The same batching on both sides: what Sealpost's sendMany does (transport batch size, two batches in the air).
const BATCHES_IN_FLIGHT = 2;

/** Results the targets need. */
export interface QueueResults {
  readonly bullmq: { readonly bareRate: number; readonly barePostgresRate: number; readonly sealpostRate: number };
  readonly sqs: { readonly bareRate: number; readonly sealpostRate: number };
  readonly eventLoopP99Ms: number;
}

/** One drain of `count` messages: throughput and per-message latency from send to handled. */
export interface Run {
  readonly rate: number;
  readonly latenciesMs: number[];
  /** Event-loop delay p99 of this process during the run (Sealpost runs only). */
  readonly eventLoopP99Ms?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function inBatches(count: number, size: number, send: (from: number, to: number) => Promise<unknown>): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += size) {
    const sent: Promise<unknown> = send(from, Math.min(count, from + size)).finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

function drainTracker(count: number) {
  const latenciesMs: number[] = [];
  let finish!: () => void;
  const drained = new Promise<void>((resolve) => (finish = resolve));
  return {
    drained,
    latenciesMs,
    handled(sentAtMs: number) {
      latenciesMs.push(Date.now() - sentAtMs);
      if (latenciesMs.length === count) finish();
    },
  };
}

/** A fresh PostgreSQL schema per run, dropped afterwards; `stored()` counts its rows. */
export async function pgSchema() {
  const schema = `bench_${randomUUID().replace(/-/g, '')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  return {
    schema,
    // Counting rows, not listing them: the poll must cost the database next to nothing.
    stored: async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".messages`)).rows[0]!.n),
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

interface Keys {
  readonly sender: LocalKeyPair;
  readonly receiver: LocalKeyPair;
}

/**
 * Sealpost end to end: sender -> transport -> receiver worker (open, verify) -> PostgreSQL
 * -> acknowledge. Throughput from the first send to the last row stored.
 */
async function sealpostRun(keys: Keys, count: number, transport: { sender: TransportSender; consumer: TransportConsumer }): Promise<Run> {
  const payload = Buffer.alloc(1024, 0x61);
  const db = await pgSchema();
  const store = createPostgresStore({ connectionString: PG_URL, schema: db.schema });
  const worker = await startReceiver({
    opener: createOpener({ keys: createLocalKeyUnwrapper(keys.receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(keys.sender.publicKeyPem)]) }),
    store,
    consumer: transport.consumer,
    metrics: createReceiverMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const sender = createSender({ signer: createLocalSigner(keys.sender.privateKeyPem), recipients: [createLocalKeyWrapper(keys.receiver.publicKeyPem)], transport: transport.sender });
  // A monitor per run: one re-enabled after a pause would count the pause as delay.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  await sender.sendMany(Array.from({ length: count }, (_, i) => ({ payload, name: `m${i}.json`, contentType: 'application/json' })));
  while ((await db.stored()) < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const rate = count / ((performance.now() - started) / 1000);
  delay.disable();
  const reader = createPostgresStore({ connectionString: PG_URL, schema: db.schema });
  const stored = await reader.list({ limit: count });
  await Promise.all([sender.close(), worker.stop(), reader.close()]);
  await db.drop();
  return { rate, latenciesMs: stored.map((m) => m.receivedAt.getTime() - m.createdAt.getTime()), eventLoopP99Ms: delay.percentile(99) / 1e6 };
}

/** Work a bare BullMQ worker does per job, with its own set-up and tear-down. */
interface BareWork {
  handle(job: { id: string; payload: string }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Bare BullMQ: a producer adding 1 KiB jobs in batches and a worker doing `work` per job (nothing,
 * when absent). Throughput from the first add to the last job handled.
 */
export async function bareBullmqRun(count: number, prefix: string, work?: BareWork): Promise<Run> {
  const payload = Buffer.alloc(1024, 0x61).toString('base64');
  const name = `bare-${randomUUID()}`;
  const queue = new Queue(name, { connection: REDIS, prefix });
  const tracker = drainTracker(count);
  const worker = new Worker(
    name,
    async (job) => {
      await work?.handle(job.data as { id: string; payload: string });
      tracker.handled(job.timestamp);
    },
    { connection: REDIS, prefix, concurrency: BULLMQ_CONCURRENCY },
  );
  await worker.waitUntilReady();
  const started = performance.now();
  await inBatches(count, 100, (from, to) => queue.addBulk(Array.from({ length: to - from }, () => ({ name: 'm', data: { id: randomUUID(), payload }, opts: { removeOnComplete: true } }))));
  await tracker.drained;
  const rate = count / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await work?.close();
  return { rate, latenciesMs: tracker.latenciesMs };
}

/** What one would write by hand: insert each payload into PostgreSQL, no cryptography. */
async function postgresInsert(): Promise<BareWork> {
  const db = await pgSchema();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  await pool.query(`CREATE SCHEMA "${db.schema}"`);
  await pool.query(`CREATE TABLE "${db.schema}".messages (id uuid PRIMARY KEY, payload bytea NOT NULL, received_at timestamptz NOT NULL)`);
  return {
    async handle(job) {
      await pool.query(`INSERT INTO "${db.schema}".messages (id, payload, received_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO NOTHING`, [job.id, Buffer.from(job.payload, 'base64')]);
    },
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}

async function bareSqsRun(client: SQSClient, count: number): Promise<Run> {
  const payload = Buffer.alloc(1024, 0x61).toString('base64');
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `bare-${randomUUID()}` }));
  const tracker = drainTracker(count);
  const consumer = Consumer.create({
    queueUrl: QueueUrl!,
    sqs: client,
    batchSize: SQS_CONCURRENCY,
    waitTimeSeconds: 1,
    handleMessage: async (message) => {
      tracker.handled(Number(message.MessageAttributes?.sent?.StringValue));
      return message;
    },
    messageAttributeNames: ['All'],
  });
  consumer.on('error', () => undefined);
  consumer.start();
  const started = performance.now();
  await inBatches(count, 10, (from, to) =>
    client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: to - from }, (_, i) => ({ Id: String(i), MessageBody: payload, MessageAttributes: { sent: { DataType: 'Number', StringValue: String(Date.now()) } } })),
      }),
    ),
  );
  await tracker.drained;
  const rate = count / ((performance.now() - started) / 1000);
  const stopped = once(consumer, 'stopped');
  consumer.stop();
  await stopped;
  await client.send(new DeleteQueueCommand({ QueueUrl }));
  return { rate, latenciesMs: tracker.latenciesMs };
}

/** The SQS emulator in its own process, as Redis and PostgreSQL are: its work is not ours. */
async function startSqsEmulatorProcess(): Promise<{ address: string; child: ChildProcess }> {
  const script = resolve(import.meta.dirname, '../../test/support/sqs-emulator.ts');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { address: line.trim(), child };
}

function rows(section: string, label: string, bare: Run[], sealpost: Run[], count: number, note: string): Row[] {
  const latencies = (runs: Run[]) => runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const bareLatencies = latencies(bare);
  const sealpostLatencies = latencies(sealpost);
  const one = (v: number): Measurement => ({ median: v, min: v, max: v, reps: 1 });
  return [
    { section, name: `${label}: bare, no-op consumer: throughput`, value: samples(bare.map((r) => r.rate)), unit: 'msg/s', note: `${count} messages per run, ${bare.length} runs` },
    { section, name: `${label}: bare: sent to handled, p50 / p99`, value: one(percentile(bareLatencies, 50)), unit: 'ms', note: `p99 ${percentile(bareLatencies, 99)} ms` },
    { section, name: `${label}: Sealpost sender -> worker -> PostgreSQL: throughput`, value: samples(sealpost.map((r) => r.rate)), unit: 'msg/s', note: `${count} messages per run, ${sealpost.length} runs; ${note}` },
    { section, name: `${label}: Sealpost: sealed to stored, p50 / p99`, value: one(percentile(sealpostLatencies, 50)), unit: 'ms', note: `p99 ${percentile(sealpostLatencies, 99)} ms` },
  ];
}

/**
 * Section 4: through the queue, 1 KiB payloads, bare vs Sealpost at the same concurrency and
 * batching, runs alternated so both see the same machine: BullMQ on the local Redis (a bare
 * producer and no-op worker), then SQS on the fauxqs emulator (a bare sqs-consumer). The
 * Sealpost rows are the whole product: seal, send, receive, open and verify, store in
 * PostgreSQL, acknowledge. Sender and worker share this process; Redis, PostgreSQL and the
 * emulator run in their own.
 */
export async function queueSection(quick: boolean): Promise<{ rows: Row[]; results: QueueResults }> {
  const section = `4. Through the queue (1 KiB; BullMQ concurrency ${BULLMQ_CONCURRENCY}, SQS ${SQS_CONCURRENCY}; sender and worker in one process)`;
  const runs = quick ? 1 : 3;
  const keys: Keys = { sender: await generateLocalKeyPair('ec-p256'), receiver: await generateLocalKeyPair('rsa-4096') };
  const note = 'P-256 signer, RSA-4096 recipient, data-key reuse';

  const bullmqCount = quick ? 50 : 5000;
  const prefix = `sealpost-bench-${randomUUID()}`;
  const bullmqBare: Run[] = [];
  const bullmqBarePostgres: Run[] = [];
  const bullmqSealpost: Run[] = [];
  for (let run = 0; run < runs; run++) {
    bullmqBare.push(await bareBullmqRun(bullmqCount, prefix));
    bullmqBarePostgres.push(await bareBullmqRun(bullmqCount, prefix, await postgresInsert()));
    const queue = `sealpost-${randomUUID()}`;
    const transport = createBullmqTransport({ redisUrl: 'redis://127.0.0.1:6379', queue, prefix, concurrency: BULLMQ_CONCURRENCY });
    bullmqSealpost.push(await sealpostRun(keys, bullmqCount, transport));
    const cleanup = new Queue(queue, { connection: REDIS, prefix });
    await cleanup.obliterate({ force: true }).catch(() => undefined);
    await cleanup.close();
  }

  const sqsCount = quick ? 30 : 2000;
  const emulator = await startSqsEmulatorProcess();
  const client = new SQSClient({ endpoint: emulator.address, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const sqsBare: Run[] = [];
  const sqsSealpost: Run[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      sqsBare.push(await bareSqsRun(client, sqsCount));
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `sealpost-${randomUUID()}` }));
      const transport = createSqsTransport({ queueUrl: QueueUrl!, client, concurrency: SQS_CONCURRENCY, waitTimeSeconds: 1 });
      sqsSealpost.push(await sealpostRun(keys, sqsCount, transport));
      await client.send(new DeleteQueueCommand({ QueueUrl }));
    }
  } finally {
    client.destroy();
    emulator.child.kill('SIGTERM');
  }

  const eventLoopP99Ms = Math.max(...[...bullmqSealpost, ...sqsSealpost].map((r) => r.eventLoopP99Ms ?? 0));
  const median = (list: Run[]) => samples(list.map((r) => r.rate)).median;
  return {
    rows: [
      ...rows(section, 'BullMQ', bullmqBare, bullmqSealpost, bullmqCount, note),
      { section, name: 'BullMQ: bare worker inserting each payload into PostgreSQL: throughput', value: samples(bullmqBarePostgres.map((r) => r.rate)), unit: 'msg/s', note: `${bullmqCount} messages per run, ${bullmqBarePostgres.length} runs; one INSERT per job, no cryptography` },
      ...rows(section, 'SQS (emulator)', sqsBare, sqsSealpost, sqsCount, note),
      { section, name: 'Sealpost: event-loop delay p99 under load', value: { median: eventLoopP99Ms, min: eventLoopP99Ms, max: eventLoopP99Ms, reps: 1 }, unit: 'ms', note: 'perf_hooks.monitorEventLoopDelay, the worst run; BullMQ renews locks every 15 s, SQS visibility is extended by a heartbeat' },
    ],
    results: {
      bullmq: { bareRate: median(bullmqBare), barePostgresRate: median(bullmqBarePostgres), sealpostRate: median(bullmqSealpost) },
      sqs: { bareRate: median(sqsBare), sealpostRate: median(sqsSealpost) },
      eventLoopP99Ms,
    },
  };
}
