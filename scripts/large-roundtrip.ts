/**
 * `npm run large-roundtrip -- --size 1GiB`: one large file end to end through SQS + S3, as a
 * user would run it, and the peak memory of each process.
 *
 * Starts fauxqs (SQS and S3) on 127.0.0.1, makes keys, a random file, a queue, a dead-letter
 * queue and a bucket; starts `sealpost-receiver` (SQLite store, blobs beside it) allowed to fetch
 * from the bucket; runs `sealpost send --offload s3://BUCKET/` on the file; waits until the
 * message is stored and its object deleted; runs `sealpost messages export`; compares the
 * exported bytes with the original (SHA-256, streamed). Prints the timings and the peak RSS
 * (VmHWM from /proc/PID/status, read every 20 ms while each process runs) of the sender, the
 * receiver and the export. Exits 1 when the bytes differ or a step fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createSqliteStore } from '@sealpost/store';
import { startAwsEmulator } from '../test/support/aws-emulator.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1GiB' }, keep: { type: 'boolean', default: false } } });
const UNITS: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const match = /^(\d+)\s*(b|kib|mib|gib)?$/i.exec(values.size!.trim());
if (!match) throw new Error(`--size expects e.g. 64MiB or 1GiB, got ${values.size}`);
const size = Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!;

const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'apps/cli/src/main.ts');
const RECEIVER = join(root, 'apps/receiver/src/main.ts');
const MIB = 1024 * 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Polls a process's VmHWM (peak resident set) until it exits; resolves to the last value read, in MiB. */
function watchPeak(child: ChildProcess): () => number {
  let peakKiB = 0;
  const read = async () => {
    try {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      if (kib > peakKiB) peakKiB = kib;
    } catch {
      // Exited between two reads.
    }
  };
  const timer = setInterval(() => void read(), 20);
  child.once('exit', () => clearInterval(timer));
  return () => peakKiB / 1024;
}

async function finished(child: ChildProcess, what: string): Promise<void> {
  const [code, signal] = (child.exitCode !== null ? [child.exitCode, null] : await once(child, 'exit')) as [number | null, string | null];
  if (code !== 0) throw new Error(`${what} failed (exit ${code ?? signal})`);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const dir = await mkdtemp(join(tmpdir(), 'sealpost-large-'));
const aws = await startAwsEmulator();
const env = { ...process.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_SQS: aws.address, AWS_ENDPOINT_URL_S3: aws.address };
const config = { endpoint: aws.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const sqs = new SQSClient(config);
const s3 = new S3Client({ ...config, forcePathStyle: true });
let receiver: ChildProcess | undefined;
try {
  for (const [name, type] of [['sender', 'ec-p256'], ['receiver', 'rsa-2048']] as const) {
    const keygen = spawn(process.execPath, [CLI, 'keygen', '--type', type, '--out', join(dir, 'keys', name)], { env, stdio: 'ignore' });
    await finished(keygen, 'keygen');
  }
  log(`writing ${size} random bytes`);
  const input = join(dir, 'large.bin');
  const file = await open(input, 'w');
  for (let written = 0; written < size; written += 8 * MIB) await file.write(randomBytes(Math.min(8 * MIB, size - written)));
  await file.close();
  const inputSha = await sha256(input);

  const dead = await sqs.send(new CreateQueueCommand({ QueueName: 'large-dead' }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'large' }));
  await aws.createBucket('sealpost-large');
  const transport = `sqs:${queue.QueueUrl}?deadLetter=${encodeURIComponent(dead.QueueUrl!)}`;
  const database = join(dir, 'messages.db');

  receiver = spawn(process.execPath, [RECEIVER], {
    env: {
      ...env,
      SEALPOST_TRANSPORT: transport,
      SEALPOST_STORE: `sqlite:${database}`,
      SEALPOST_KEYS: join(dir, 'keys', 'receiver.pem'),
      SEALPOST_TRUST: join(dir, 'keys', 'sender.pub.pem'),
      SEALPOST_OFFLOAD_BUCKETS: 'sealpost-large',
      SEALPOST_OFFLOAD_TEMP_DIR: join(dir, 'work'),
      SEALPOST_METRICS_PORT: 'off',
      SEALPOST_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const receiverPeak = watchPeak(receiver);

  log('sealpost send --offload');
  const started = performance.now();
  const sender = spawn(process.execPath, [CLI, 'send', '--transport', transport, '--offload', 's3://sealpost-large/', '--sign-key', join(dir, 'keys', 'sender.pem'), '--to', join(dir, 'keys', 'receiver.pub.pem'), '--json', input], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const senderPeak = watchPeak(sender);
  let output = '';
  sender.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await finished(sender, 'sealpost send');
  const sentSeconds = (performance.now() - started) / 1000;
  const id = (JSON.parse(output.split('\n')[0]!) as { id: string }).id;

  log('waiting for the receiver to store it');
  const store = createSqliteStore(database);
  for (;;) {
    const stored = await store.init({ create: false }).then(() => store.list(), () => []);
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: 'sealpost-large' }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    if (Number(Attributes.ApproximateNumberOfMessages) > 0) throw new Error('the message was dead-lettered');
    if (stored.length === 1 && Contents.length === 0) break;
    if (receiver.exitCode !== null) throw new Error('the receiver exited');
    await new Promise((r) => setTimeout(r, 50));
  }
  await store.close();
  const storedSeconds = (performance.now() - started) / 1000;
  receiver.kill('SIGTERM');
  await once(receiver, 'exit');

  log('sealpost messages export');
  const exported = join(dir, 'exported.bin');
  const exporter = spawn(process.execPath, [CLI, 'messages', 'export', id, '--store', `sqlite:${database}`, '--out', exported], { env, stdio: 'inherit' });
  const exportPeak = watchPeak(exporter);
  await finished(exporter, 'sealpost messages export');
  const same = (await sha256(exported)) === inputSha;

  const mb = size / 1e6;
  const report = {
    size,
    identical: same,
    sendSeconds: Number(sentSeconds.toFixed(1)),
    sendMBps: Number((mb / sentSeconds).toFixed(0)),
    sentToStoredSeconds: Number(storedSeconds.toFixed(1)),
    endToEndMBps: Number((mb / storedSeconds).toFixed(0)),
    peakRssMiB: { sender: Number(senderPeak().toFixed(0)), receiver: Number(receiverPeak().toFixed(0)), export: Number(exportPeak().toFixed(0)) },
  };
  console.log(JSON.stringify(report, null, 2));
  if (!same) process.exitCode = 1;
} finally {
  if (receiver && receiver.exitCode === null) receiver.kill('SIGKILL');
  sqs.destroy();
  s3.destroy();
  await aws.stop();
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
