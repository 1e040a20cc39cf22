import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBullmqKeys, sendMessages } from './support/messages.ts';
import { AWS_ENV, CLI, metricsUrl, spawnReceiver, until } from './support/receiver.ts';
import { PG_URL, dropSchema } from './support/servers.ts';
import { startSqsEmulator, type SqsEmulator } from './support/sqs-emulator.ts';

const run = promisify(execFile);
const COUNT = 3000;
const WORKERS = 3;
let dir: string;
let fauxqs: SqsEmulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-scale-out-'));
  await run(process.execPath, [CLI, 'keygen', '--type', 'ec-p256', '--out', join(dir, 'keys/sender')]);
  await run(process.execPath, [CLI, 'keygen', '--type', 'rsa-2048', '--out', join(dir, 'keys/receiver')]);
  fauxqs = await startSqsEmulator();
  // The sender in this process reads the emulator's endpoint from the standard AWS variables, as the workers do.
  Object.assign(process.env, AWS_ENV, { AWS_ENDPOINT_URL_SQS: fauxqs.address });
}, 120_000);

afterAll(async () => {
  await fauxqs?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One counter of a worker's /metrics, or 0 once the worker is gone. */
async function counter(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(url)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Rows in the store, and distinct ids among them: counted, not listed, so polling costs little. */
async function rowCounts(db: pg.Client, schema: string): Promise<{ rows: number; ids: number }> {
  try {
    const { rows } = await db.query<{ rows: string; ids: string }>(`SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM "${schema}".messages`);
    return { rows: Number(rows[0]!.rows), ids: Number(rows[0]!.ids) };
  } catch {
    // The workers have not created the table yet.
    return { rows: 0, ids: 0 };
  }
}

interface Setup {
  readonly transport: string;
  /** Dead letters left on the transport's dead-letter destination. */
  deadLetters(): Promise<number>;
  cleanup(): Promise<void>;
}

describe(`scale-out: ${WORKERS} receiver processes on one queue, one SIGKILLed mid-run`, () => {
  const cases: [string, () => Promise<Setup>][] = [
    [
      'BullMQ',
      async () => {
        const prefix = `sealpost-test-${randomUUID()}`;
        const queue = `q-${randomUUID()}`;
        // A short lock, so the killed worker's jobs are found stalled and delivered again within seconds.
        const transport = `bullmq://127.0.0.1:6379/${queue}?prefix=${prefix}&lockDurationMs=5000&stalledIntervalMs=2000`;
        return {
          transport,
          async deadLetters() {
            const dead = new Queue(`${queue}-dead`, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
            try {
              return await dead.count();
            } finally {
              await dead.close();
            }
          },
          cleanup: () => removeBullmqKeys(prefix),
        };
      },
    ],
    [
      'SQS (fauxqs)',
      async () => {
        const sqs = new SQSClient({ endpoint: fauxqs.address, region: 'us-east-1' });
        const dead = await sqs.send(new CreateQueueCommand({ QueueName: `d-${randomUUID()}` }));
        const queue = await sqs.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}` }));
        return {
          // A short visibility timeout, so the killed worker's messages are received again within seconds.
          transport: `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}&visibilityTimeoutSeconds=5`,
          async deadLetters() {
            const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
            return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
          },
          cleanup: async () => sqs.destroy(),
        };
      },
    ],
  ];

  for (const [name, setup] of cases) {
    it(`${name}: ${COUNT} messages, every one stored exactly once, none dead-lettered, every worker took part`, async () => {
      const { transport, deadLetters, cleanup } = await setup();
      const schema = `t_${randomUUID().replace(/-/g, '')}`;
      const store = `${PG_URL}?schema=${schema}`;
      const db = new pg.Client({ connectionString: PG_URL });
      await db.connect();
      const workers: ChildProcess[] = [];
      try {
        for (let i = 0; i < WORKERS; i++) {
          workers.push(spawnReceiver(join(dir, 'keys'), transport, store, { SEALPOST_METRICS_PORT: '0', SEALPOST_LOG_LEVEL: 'info', AWS_ENDPOINT_URL_SQS: fauxqs.address }, { stdout: 'pipe' }));
        }
        // Every worker is consuming before the first message is sent, so all three share the run.
        const urls = await Promise.all(workers.map(metricsUrl));
        const sending = sendMessages(join(dir, 'keys'), transport, COUNT);
        // Killed once it has taken messages, whatever the machine's pace: it dies holding some.
        const [victim, ...survivors] = workers;
        await until(async () => (await counter(urls[0]!, 'sealpost_messages_received_total')) >= 20, 300_000);
        victim!.kill('SIGKILL');
        await once(victim!, 'exit');
        const atKill = await rowCounts(db, schema);
        expect(atKill.rows).toBeLessThan(COUNT);

        const sent = await sending;
        expect(new Set(sent).size).toBe(COUNT);
        await until(async () => (await rowCounts(db, schema)).rows >= COUNT, 600_000);
        // The survivors both stored messages: the queue spread the work.
        for (const url of urls.slice(1)) {
          expect(await counter(url, 'sealpost_messages_stored_total')).toBeGreaterThan(0);
        }
        const counts = await rowCounts(db, schema);
        expect(counts).toEqual({ rows: COUNT, ids: COUNT });
        const { rows } = await db.query<{ id: string }>(`SELECT id FROM "${schema}".messages`);
        expect(new Set(rows.map((r) => r.id))).toEqual(new Set(sent));
        expect(await deadLetters()).toBe(0);
        for (const worker of survivors) {
          worker.kill('SIGTERM');
          const [code] = await once(worker, 'exit');
          expect(code).toBe(0);
        }
      } finally {
        for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
        await db.end();
        await dropSchema(schema);
        await cleanup();
      }
    }, 900_000);
  }
});
