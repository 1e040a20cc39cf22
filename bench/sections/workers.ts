import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { createLocalKeyWrapper, createLocalSigner, generateLocalKeyPair } from '@sealpost/envelope';
import { createSender } from '@sealpost/sender';
import { openTransport } from '@sealpost/transport';
import { samples } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';
import { BULLMQ_CONCURRENCY, PG_URL, REDIS, bareBullmqRun, pgSchema } from './queue.ts';

const RECEIVER = resolve(import.meta.dirname, '../../apps/receiver/src/main.ts');
const WORKER_COUNTS = [1, 2, 3] as const;
const CLOCK_TICKS_PER_SECOND = 100;

/** Results the reading needs: medians per worker count, in WORKER_COUNTS order. */
export interface WorkersResults {
  readonly bareRate: number;
  readonly rates: readonly number[];
  /** vCPUs busy (whole machine) during the runs of each worker count, median. */
  readonly busyVcpus: readonly number[];
  /** CPU time the worker processes spent per message, µs, median. */
  readonly workerCpuUsPerMessage: readonly number[];
  readonly vcpus: number;
  readonly count: number;
  readonly runs: number;
}

/** Busy and total CPU time of the whole machine so far, in ms (os.cpus counters). */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** User + system CPU seconds a process has used (Linux /proc), or undefined elsewhere. */
async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted after the command name: indexes 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A `sealpost-receiver` process as a deployment runs it, ready once its /readyz answers 200. */
async function startWorker(keysDir: string, transport: string, store: string): Promise<ChildProcess> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SEALPOST_')));
  const child = spawn(process.execPath, [RECEIVER], {
    env: {
      ...env,
      SEALPOST_TRANSPORT: transport,
      SEALPOST_STORE: store,
      SEALPOST_KEYS: join(keysDir, 'receiver.pem'),
      SEALPOST_TRUST: join(keysDir, 'sender.pub.pem'),
      SEALPOST_CONCURRENCY: String(BULLMQ_CONCURRENCY),
      SEALPOST_METRICS_PORT: String(port),
      SEALPOST_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sealpost-receiver exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return child;
    if (Date.now() > deadline) throw new Error('sealpost-receiver not ready within 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface WorkersRun {
  readonly rate: number;
  readonly busyVcpus: number;
  readonly workerCpuUsPerMessage: number | undefined;
}

/**
 * `workers` sealpost-receiver processes on one BullMQ queue, storing into one PostgreSQL schema.
 * The queue is filled while paused and the workers are started and ready before it is resumed,
 * so the rate is consumption alone: from the resume to the last row stored, with no process
 * start-up or sending in it.
 */
async function workersRun(keysDir: string, workers: number, count: number, prefix: string): Promise<WorkersRun> {
  const db = await pgSchema();
  const name = `workers-${randomUUID()}`;
  const transport = `bullmq://127.0.0.1:6379/${name}?prefix=${prefix}`;
  const queue = new Queue(name, { connection: REDIS, prefix });
  const processes: ChildProcess[] = [];
  try {
    await queue.pause();
    const pem = (file: string) => readFile(join(keysDir, file), 'utf8');
    const sender = createSender({ signer: createLocalSigner(await pem('sender.pem')), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))], transport: openTransport(transport).sender });
    const payload = Buffer.alloc(1024, 0x61);
    const sent = await sender.sendMany(Array.from({ length: count }, (_, i) => ({ payload, name: `m${i}.json`, contentType: 'application/json' })));
    await sender.close();
    if (sent.some((r) => 'error' in r)) throw new Error('sending the benchmark messages failed');
    for (let i = 0; i < workers; i++) processes.push(await startWorker(keysDir, transport, `${PG_URL}?schema=${db.schema}`));
    const cpuBefore = await Promise.all(processes.map((p) => processCpuSeconds(p.pid!)));
    const machineBefore = machineTimes();
    const started = performance.now();
    await queue.resume();
    while ((await db.stored()) < count) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    const machineAfter = machineTimes();
    const cpuAfter = await Promise.all(processes.map((p) => processCpuSeconds(p.pid!)));
    const used = cpuAfter.every((v, i) => v !== undefined && cpuBefore[i] !== undefined) ? cpuAfter.reduce<number>((sum, v, i) => sum + v! - cpuBefore[i]!, 0) : undefined;
    const vcpus = cpus().length;
    return {
      rate: count / seconds,
      busyVcpus: ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * vcpus,
      workerCpuUsPerMessage: used === undefined ? undefined : (used / count) * 1e6,
    };
  } finally {
    await Promise.all(processes.map(async (p) => {
      if (p.exitCode !== null) return;
      p.kill('SIGTERM');
      await once(p, 'exit');
    }));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.drop();
  }
}

/**
 * Section 4b: throughput with 1, 2 and 3 sealpost-receiver processes on one BullMQ queue, beside
 * a bare BullMQ no-op worker, rounds alternated so every count sees the same machine. Each
 * Sealpost row is the product as deployed: separate worker processes opening, verifying and
 * storing 1 KiB messages in PostgreSQL, BullMQ handing each job to one of them.
 */
export async function workersSection(quick: boolean): Promise<{ rows: Row[]; results: WorkersResults }> {
  const section = `4b. Workers on one BullMQ queue (sealpost-receiver processes, concurrency ${BULLMQ_CONCURRENCY} each, PostgreSQL; 1 KiB; queue filled, then released to ready workers)`;
  const runs = quick ? 1 : 3;
  const count = quick ? 60 : 6000;
  const keysDir = await mkdtemp(join(tmpdir(), 'sealpost-bench-workers-'));
  const prefix = `sealpost-bench-${randomUUID()}`;
  const [sender, receiver] = await Promise.all([generateLocalKeyPair('ec-p256'), generateLocalKeyPair('rsa-4096')]);
  await writeFile(join(keysDir, 'sender.pem'), sender.privateKeyPem, { mode: 0o600 });
  await writeFile(join(keysDir, 'sender.pub.pem'), sender.publicKeyPem);
  await writeFile(join(keysDir, 'receiver.pem'), receiver.privateKeyPem, { mode: 0o600 });
  await writeFile(join(keysDir, 'receiver.pub.pem'), receiver.publicKeyPem);
  const bare: number[] = [];
  const byCount = WORKER_COUNTS.map(() => [] as WorkersRun[]);
  try {
    for (let round = 0; round < runs; round++) {
      bare.push((await bareBullmqRun(count, prefix)).rate);
      for (const [i, workers] of WORKER_COUNTS.entries()) byCount[i]!.push(await workersRun(keysDir, workers, count, prefix));
    }
  } finally {
    await rm(keysDir, { recursive: true, force: true });
  }
  const median = (values: number[]) => samples(values).median;
  const rates = byCount.map((list) => median(list.map((r) => r.rate)));
  const busyVcpus = byCount.map((list) => median(list.map((r) => r.busyVcpus)));
  const cpuPerMessage = byCount.map((list) => (list.every((r) => r.workerCpuUsPerMessage !== undefined) ? median(list.map((r) => r.workerCpuUsPerMessage!)) : Number.NaN));
  const vcpus = cpus().length;
  const rows: Row[] = [
    { section, name: 'BullMQ: bare, no-op consumer (one process, in the benchmark): throughput', value: samples(bare), unit: 'msg/s', note: `${count} messages per run, ${runs} runs` },
    ...WORKER_COUNTS.map((workers, i): Row => ({
      section,
      name: `${workers} sealpost-receiver process${workers > 1 ? 'es' : ''} -> PostgreSQL: throughput`,
      value: samples(byCount[i]!.map((r) => r.rate)),
      unit: 'msg/s',
      note: `${(rates[i]! / rates[0]!).toFixed(2)}x one worker; machine ${busyVcpus[i]!.toFixed(2)} of ${vcpus} vCPUs busy; ${Number.isNaN(cpuPerMessage[i]) ? 'worker CPU n/a' : `${Math.round(cpuPerMessage[i]!)} µs worker CPU per message`}; ${count} messages per run, ${runs} runs`,
    })),
  ];
  return { rows, results: { bareRate: median(bare), rates, busyVcpus, workerCpuUsPerMessage: cpuPerMessage, vcpus, count, runs } };
}

/** What section 4b shows and what limits it, in the run's own numbers. */
export function workersReading(r: WorkersResults): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const [one, two, three] = r.rates as [number, number, number];
  const cpu = r.workerCpuUsPerMessage[0]!;
  return [
    `- Workers on one BullMQ queue (section 4b): 1, 2 and 3 sealpost-receiver processes store ${n(one)}, ${n(two)} and ${n(three)} msg/s (${(two / one).toFixed(2)}x and ${(three / one).toFixed(2)}x one worker), beside a bare no-op BullMQ consumer's ${n(r.bareRate)} msg/s. Sealpost adds no coordination between workers: BullMQ hands each job to one of them.`,
    `  On this ${r.vcpus}-vCPU machine the limit is the CPU, not the queue: the workers, Redis, PostgreSQL and the benchmark share the same ${r.vcpus} vCPUs, and with one worker ${r.busyVcpus[0]!.toFixed(2)} of them are already busy (${r.busyVcpus[1]!.toFixed(2)} with two, ${r.busyVcpus[2]!.toFixed(2)} with three; the whole machine, so anything else running on it counts too). A worker spends ${Number.isNaN(cpu) ? 'n/a' : `about ${n(cpu)}`} µs of its own CPU per message (verify, decrypt, the BullMQ and PostgreSQL clients)${Number.isNaN(cpu) ? '' : `, so one worker kept only about ${((one * cpu) / 1e6).toFixed(2)} of a vCPU busy itself; the rest of its time went to waiting for Redis, PostgreSQL and the CPU they all share`}: what a second worker can add is what Redis, PostgreSQL and everything else leave of the machine, and a third only competes for the same cores${Number.isNaN(r.workerCpuUsPerMessage[2]!) ? '' : ` (the workers' CPU per message rises to about ${n(r.workerCpuUsPerMessage[2]!)} µs with three, most likely from more processes switching on the same cores, each with its own Redis and PostgreSQL connections to serve)`}.`,
    `  With a core per worker, and Redis and PostgreSQL on their own machines, throughput should grow by about one worker's rate per worker until Redis (one thread, several commands per job) or PostgreSQL's commit rate caps it; the bare no-op rate here is BullMQ's one-consumer pace on this machine, not Redis's ceiling.`,
  ].join('\n');
}
