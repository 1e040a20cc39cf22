/**
 * `pnpm bench`: every row measured in this one process run on this machine, with warm-up,
 * repetitions, median and spread. Prints the tables and writes BENCHMARKS.md (a full run) or
 * bench/out/quick.md (`--quick`, which CI runs so the code cannot rot; it checks no speed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Plan } from './lib/measure.ts';
import { table, targetTable, type Row, type Target } from './lib/report.ts';
import { kmsCostSection } from './sections/kms-cost.ts';
import { breakdownSection } from './sections/breakdown.ts';
import { largeSection } from './sections/large.ts';
import { machineSection } from './sections/machine.ts';
import { messagesSection } from './sections/messages.ts';
import { queueSection } from './sections/queue.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const plan: Plan = quick ? { repMs: 40, reps: 2 } : { repMs: 1000, reps: 5 };
const root = resolve(import.meta.dirname, '..');
const log = (line: string) => process.stderr.write(`${line}\n`);

const rows: Row[] = [];
log('1/5 machine limits');
const { rows: machineRows, baseline } = await machineSection(plan, quick);
rows.push(...machineRows);
log('2/5 1 KiB messages beside the peers');
const { rows: messageRows, results: messages } = await messagesSection(plan);
rows.push(...messageRows);
const { rows: breakdownRows, breakdown } = await breakdownSection(plan);
rows.push(...breakdownRows);
log('3/5 large payloads');
const { rows: largeRows, results: large } = await largeSection(quick);
rows.push(...largeRows);
log('4/5 through the queue');
const { rows: queueRows, results: queue } = await queueSection(quick);
rows.push(...queueRows);
log('5/5 KMS cost');
const { rows: kmsRows, results: kmsCost } = await kmsCostSection(quick);
rows.push(...kmsRows);

const reuse = messages.byName.get(messages.names.sealpostReuse)!;
const joseResult = messages.byName.get(messages.names.jose)!;
const MiB256 = 256 * 1024 * 1024;
const GiB = 1024 * 1024 * 1024;
const limit = large.memory?.limitMbps ?? Math.min(baseline.aesGcmMBps, baseline.sha256MBps);
const ratio = (a: number | undefined, b: number) => (a === undefined ? undefined : a / b);
const target = (name: string, goal: string, value: number | undefined, min: number, detail: string): Target => ({ name, goal, ratio: value, met: value === undefined ? undefined : value >= min, detail });
const targets: Target[] = [
  target('1 KiB seal (reuse) vs raw P-256 sign, one thread', '>= 0.5x', ratio(reuse.seal.median, messages.rawSign.median), 0.5, `${Math.round(reuse.seal.median)} vs ${Math.round(messages.rawSign.median)} /s, measured in turns`),
  target('1 KiB seal (reuse) vs jose', '>= 4x', ratio(reuse.seal.median, joseResult.seal.median), 4, `${Math.round(reuse.seal.median)} vs ${Math.round(joseResult.seal.median)} /s`),
  target('1 KiB open (cache) vs raw P-256 verify, one thread', '>= 0.5x', ratio(reuse.open.median, messages.rawVerify.median), 0.5, `${Math.round(reuse.open.median)} vs ${Math.round(messages.rawVerify.median)} /s, measured in turns`),
  target('1 KiB open (cache) vs jose', '>= 15x', ratio(reuse.open.median, joseResult.open.median), 15, `${Math.round(reuse.open.median)} vs ${Math.round(joseResult.open.median)} /s`),
  target(`${large.memory?.label ?? '256 MiB'} seal (streaming, no disk) vs min(AES-GCM, SHA-256)`, '>= 0.5x', ratio(large.memory?.sealMbps, limit), 0.5, `${large.memory?.sealMbps.toFixed(0) ?? 'n/a'} vs ${limit.toFixed(0)} MB/s in turns; 256 MiB file to file on this disk ${large.sealMbps.get(MiB256)?.toFixed(0) ?? 'n/a'} MB/s`),
  target(`${large.memory?.label ?? '256 MiB'} open (from memory to the verified file) vs min(AES-GCM, SHA-256)`, '>= 0.5x', ratio(large.memory?.openMbps, limit), 0.5, `${large.memory?.openMbps.toFixed(0) ?? 'n/a'} vs ${limit.toFixed(0)} MB/s in turns; 256 MiB file to file on this disk ${large.openMbps.get(MiB256)?.toFixed(0) ?? 'n/a'} MB/s`),
  target('BullMQ to PostgreSQL vs bare BullMQ no-op', '>= 0.5x', ratio(queue.bullmq.sealpostRate, queue.bullmq.bareRate), 0.5, `${Math.round(queue.bullmq.sealpostRate)} vs ${Math.round(queue.bullmq.bareRate)} msg/s; event-loop p99 ${queue.eventLoopP99Ms.toFixed(1)} ms`),
  target('BullMQ to PostgreSQL vs a bare BullMQ worker inserting into PostgreSQL (proposed)', '>= 0.5x', ratio(queue.bullmq.sealpostRate, queue.bullmq.barePostgresRate), 0.5, `${Math.round(queue.bullmq.sealpostRate)} vs ${Math.round(queue.bullmq.barePostgresRate)} msg/s`),
  target('SQS to PostgreSQL vs bare sqs-consumer no-op (emulator)', '>= 0.5x', ratio(queue.sqs.sealpostRate, queue.sqs.bareRate), 0.5, `${Math.round(queue.sqs.sealpostRate)} vs ${Math.round(queue.sqs.bareRate)} msg/s`),
  { name: 'receiving: KMS calls per message', goal: '<= 0.001', ratio: kmsCost.receiveCallsPerMessage / 0.001, met: kmsCost.receiveCallsPerMessage <= 0.001, detail: `${kmsCost.receiveCallsPerMessage} calls/msg` },
  { name: '1 GiB peak RSS', goal: '< 150 MiB', ratio: large.peakRssMiB.get(GiB) === undefined ? undefined : large.peakRssMiB.get(GiB)! / 150, met: large.peakRssMiB.get(GiB) === undefined ? undefined : large.peakRssMiB.get(GiB)! < 150, detail: `${large.peakRssMiB.get(GiB)?.toFixed(0) ?? 'n/a'} MiB of 150` },
];

const cpuModel = cpus()[0]?.model ?? 'unknown';
const machine = `${cpuModel}, ${cpus().length} vCPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.versions.node}, OpenSSL ${process.versions.openssl}; ${new Date().toISOString().slice(0, 10)}`;
const met = targets.filter((t) => t.met === true).length;
const missed = targets.filter((t) => t.met === false).map((t) => t.name);
const signUs = 1e6 / messages.rawSign.median;
const verifyUs = 1e6 / messages.rawVerify.median;
const sealCeiling = 1e6 / (breakdown.sealStepsUs + signUs);
const reading = [
  `${met} of ${targets.filter((t) => t.met !== undefined).length} measured targets met.`,
  `Sealpost with data-key reuse seals ${(reuse.seal.median / joseResult.seal.median).toFixed(1)}x and opens ${(reuse.open.median / joseResult.open.median).toFixed(1)}x as many 1 KiB messages per second as jose, which pays an RSA-4096 private decrypt on every open.`,
  missed.length ? `Missed: ${missed.join('; ')}.` : 'Every measured target was met.',
  `Why, in this run's numbers: Sealpost's own steps for one 1 KiB message cost ${breakdown.sealStepsUs.toFixed(1)} µs to seal and ${breakdown.openStepsUs.toFixed(1)} µs to open (section 2b), beside ${signUs.toFixed(1)} µs for a P-256 signature and ${verifyUs.toFixed(1)} µs for a verification;`,
  `on one core, seal cannot exceed about ${Math.round(sealCeiling).toLocaleString('en-US')} msg/s, which is ${(sealCeiling / messages.rawSign.median).toFixed(2)}x the raw sign rate and ${(sealCeiling / joseResult.seal.median).toFixed(1)}x jose here`,
  `(jose seals at ${Math.round(joseResult.seal.median).toLocaleString('en-US')} msg/s on this machine because WebCrypto runs its RSA encryption on the thread pool).`,
  `Through BullMQ, a bare no-op worker moves ${Math.round(queue.bullmq.bareRate).toLocaleString('en-US')} msg/s; a bare worker that only inserts each payload into PostgreSQL moves ${Math.round(queue.bullmq.barePostgresRate).toLocaleString('en-US')}:`,
  `persistence, not Sealpost, sets the pace, so the proposed target compares Sealpost with that worker.`,
  `Large payloads: the streaming pipeline is measured without the disk for the targets; file-to-file rows show what this machine's file system adds.`,
].join(' ');

const markdown = [
  '# Benchmarks',
  '',
  `Generated by \`pnpm bench${quick ? ' --quick' : ''}\`; do not edit by hand. Machine: ${machine}.`,
  '',
  `Each row: a warm-up, then ${plan.reps} repetitions of ${plan.repMs} ms (median, min–max); large payloads: file-to-file phases one run each in a fresh process, the no-disk pipeline 3 runs; queues: ${quick ? 1 : 3} runs, bare and Sealpost alternated. The machine is shared and noisy: read the ratios, measured in this same run, rather than the absolute numbers.`,
  '',
  '## Targets',
  '',
  targetTable(targets),
  '',
  `Reading: ${reading}`,
  table(rows),
  '',
].join('\n');

console.log(markdown);
const out = quick ? join(root, 'bench/out/quick.md') : join(root, 'BENCHMARKS.md');
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(out, markdown);
log(`wrote ${out}`);
