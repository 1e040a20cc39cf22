import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pino from 'pino';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createReceiverMetrics, prepareWorkDir, startReceiver } from '@sealpost/receiver';
import { createSender } from '@sealpost/sender';
import { openStore } from '@sealpost/store';
import { createS3Offload, createS3OffloadReader, createSqsTransport } from '@sealpost/transport';
import { samples } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';

const MIB = 1024 * 1024;
// What createS3Offload uses by default, so the raw baseline uploads the same way.
const PART_SIZE = 5 * MIB;
const QUEUE_SIZE = 2;

/** Results the targets need. */
export interface OffloadResults {
  readonly size: number;
  /** Sealpost: seal into S3, pointer on SQS, receiver fetches, opens, stores: MB/s of payload. */
  readonly sealpostMBps: number;
  /** Raw S3 put (lib-storage Upload, same parts) + get of the same bytes, file to file: MB/s. */
  readonly rawMBps: number;
}

/** fauxqs (SQS and S3) in its own process, as Redis and PostgreSQL are: its work is not ours. */
async function startEmulatorProcess(): Promise<{ address: string; child: ChildProcess }> {
  const script = resolve(import.meta.dirname, '../../test/support/aws-emulator.ts');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { address: line.trim(), child };
}

/** Raw S3: the file up with lib-storage's Upload (same part size and queue), then down to a file. */
async function rawRun(s3: S3Client, bucket: string, input: string, dir: string, size: number): Promise<number> {
  const key = `raw-${randomUUID()}`;
  const started = performance.now();
  await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: createReadStream(input, { highWaterMark: 64 * 1024 }) }, partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done();
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(Body as Readable, createWriteStream(join(dir, `${key}.out`)));
  const seconds = (performance.now() - started) / 1000;
  await rm(join(dir, `${key}.out`));
  return size / 1e6 / seconds;
}

/**
 * Sealpost: `sendFile` seals the file straight into S3 and sends its pointer on SQS; a receiver
 * in this process checks the pointer, streams the object through the streaming open and stores
 * the payload in a SQLite store (its blob directory). Timed from the send to the stored row.
 */
async function sealpostRun(address: string, bucket: string, input: string, dir: string, size: number, keys: Awaited<ReturnType<typeof makeKeys>>): Promise<number> {
  const sqs = new SQSClient({ endpoint: address, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const s3 = new S3Client({ endpoint: address, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, forcePathStyle: true });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `offload-${randomUUID()}` }));
  const transport = createSqsTransport({ queueUrl: QueueUrl!, client: sqs, concurrency: 1, waitTimeSeconds: 1 });
  const store = openStore(`sqlite:${join(dir, `messages-${randomUUID()}.db`)}`);
  const reader = createS3OffloadReader({ allowedBuckets: [bucket], maxBytes: 2 * size + MIB, client: s3 });
  const receiver = await startReceiver({
    opener: createOpener({ keys: createLocalKeyUnwrapper(keys.receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(keys.sender.publicKeyPem)]), streamLimits: { maxPayloadBytes: 2 * size } }),
    store,
    consumer: transport.consumer,
    metrics: createReceiverMetrics(),
    logger: pino({ level: 'silent' }),
    offload: { reader, workDir: await prepareWorkDir(join(dir, 'work')), keep: false },
  });
  const sender = createSender({
    signer: createLocalSigner(keys.sender.privateKeyPem),
    recipients: [createLocalKeyWrapper(keys.receiver.publicKeyPem)],
    transport: transport.sender,
    offload: { to: createS3Offload({ location: { bucket, prefix: 'bench/' }, client: s3 }) },
  });
  const started = performance.now();
  const id = await sender.sendFile(input, { name: 'large.bin' });
  while (!(await store.head(id))) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([sender.close(), receiver.stop()]);
  sqs.destroy();
  s3.destroy();
  return size / 1e6 / seconds;
}

async function makeKeys() {
  return { sender: await generateLocalKeyPair('ec-p256'), receiver: await generateLocalKeyPair('rsa-2048') };
}

/**
 * Section 7: a large message through SQS + S3 into the store, beside raw S3 put + get of the same
 * bytes on the same emulator in the same run (runs alternated). Both sides read the payload from
 * a file and end with a file on disk; Sealpost adds sealing, the pointer on SQS, the checks, the
 * streaming open and the store's blob. The emulator holds objects in memory, in its own process.
 */
export async function offloadSection(quick: boolean): Promise<{ rows: Row[]; results: OffloadResults }> {
  const size = quick ? 32 * MIB : 256 * MIB;
  const runs = quick ? 1 : 3;
  const label = `${size / MIB} MiB`;
  const section = `7. Large messages offloaded to S3 (${label}; SQS + S3 on fauxqs in its own process)`;
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-bench-offload-'));
  const emulator = await startEmulatorProcess();
  try {
    const s3 = new S3Client({ endpoint: emulator.address, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, forcePathStyle: true });
    const bucket = `bench-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const input = join(dir, 'large.bin');
    const file = await open(input, 'w');
    for (let written = 0; written < size; written += 8 * MIB) await file.write(randomBytes(Math.min(8 * MIB, size - written)));
    await file.close();
    const keys = await makeKeys();
    const raw: number[] = [];
    const sealpost: number[] = [];
    for (let i = 0; i < runs; i++) {
      raw.push(await rawRun(s3, bucket, input, dir, size));
      sealpost.push(await sealpostRun(emulator.address, bucket, input, dir, size, keys));
    }
    s3.destroy();
    const rawM = samples(raw);
    const sealpostM = samples(sealpost);
    return {
      rows: [
        { section, name: `${label}: raw S3 put (lib-storage Upload, ${PART_SIZE / MIB} MiB parts, ${QUEUE_SIZE} at once) + get, file to file`, value: rawM, unit: 'MB/s', note: `${runs} runs` },
        { section, name: `${label}: Sealpost sendFile -> S3 + SQS pointer -> receiver -> SQLite store (blob)`, value: sealpostM, unit: 'MB/s', note: `${runs} runs, alternated with raw; ${(sealpostM.median / rawM.median).toFixed(2)}x raw` },
      ],
      results: { size, sealpostMBps: sealpostM.median, rawMBps: rawM.median },
    };
  } finally {
    emulator.child.kill('SIGTERM');
    await once(emulator.child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }
}
