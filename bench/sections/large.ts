import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateLocalKeyPair } from '@sealpost/envelope';
import { samples } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../large-payload.ts');
const MiB = 1024 * 1024;

async function child(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [script, ...args], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
}

/** Results the targets need. */
export interface LargeResults {
  readonly sealMbps: Map<number, number>;
  readonly openMbps: Map<number, number>;
  readonly peakRssMiB: Map<number, number>;
  /** The streaming pipeline at 256 MiB without reading from disk, and min(AES-GCM, SHA-256) measured in turns with it (medians of 3). */
  readonly memory?: { readonly label: string; readonly sealMbps: number; readonly openMbps: number; readonly limitMbps: number; readonly aesMbps: number; readonly sha256Mbps: number; readonly writeMbps: number };
}

/** Section 3: large payloads, streaming, each phase in a fresh process for an honest peak RSS. */
export async function largeSection(quick: boolean): Promise<{ rows: Row[]; results: LargeResults }> {
  const section = '3. Large payloads (streaming; each phase in a fresh process)';
  const sizes = quick ? [1 * MiB, 16 * MiB] : [1 * MiB, 16 * MiB, 256 * MiB, 1024 * MiB];
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-bench-'));
  const rows: Row[] = [];
  const results: { -readonly [K in keyof LargeResults]: LargeResults[K] } = { sealMbps: new Map(), openMbps: new Map(), peakRssMiB: new Map() };
  try {
    const sender = await generateLocalKeyPair('ec-p256');
    const receiver = await generateLocalKeyPair('rsa-4096');
    await writeFile(join(dir, 'sender.pem'), sender.privateKeyPem);
    await writeFile(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
    await writeFile(join(dir, 'receiver.pem'), receiver.privateKeyPem);
    await writeFile(join(dir, 'receiver.pub.pem'), receiver.publicKeyPem);
    for (const size of sizes) {
      const file = join(dir, `payload-${size}`);
      const label = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`;
      await run(process.execPath, [script, '--phase', 'prepare', '--size', String(size), '--file', file]);
      const seal = await child(['--phase', 'seal', '--keys', dir, '--file', file]);
      const open = await child(['--phase', 'open', '--keys', dir, '--file', `${file}.enc`]);
      await rm(`${file}.enc`, { force: true });
      results.sealMbps.set(size, seal.mbps!);
      results.openMbps.set(size, open.mbps!);
      results.peakRssMiB.set(size, Math.max(seal.peakRssMiB!, open.peakRssMiB!));
      const one = (v: number) => ({ median: v, min: v, max: v, reps: 1 });
      rows.push(
        { section, name: `Sealpost ${label}: seal (file to envelope file)`, value: one(seal.mbps!), unit: 'MB/s', note: `peak RSS ${seal.peakRssMiB!.toFixed(0)} MiB` },
        { section, name: `Sealpost ${label}: open (file to verified file on disk)`, value: one(open.mbps!), unit: 'MB/s', note: `peak RSS ${open.peakRssMiB!.toFixed(0)} MiB` },
      );
      if (size <= 16 * MiB) {
        for (const peer of ['jose', 'esdk']) {
          const r = await child(['--phase', 'peer', '--peer', peer, '--size', String(size)]);
          const name = peer === 'jose' ? 'jose nested JWT' : 'AWS Encryption SDK';
          rows.push(
            { section, name: `${name} ${label}: seal (in memory)`, value: one(r.sealMbps!), unit: 'MB/s', note: `peak RSS ${r.peakRssMiB!.toFixed(0)} MiB` },
            { section, name: `${name} ${label}: open (in memory)`, value: one(r.openMbps!), unit: 'MB/s', note: `peak RSS ${r.peakRssMiB!.toFixed(0)} MiB` },
          );
        }
      }
    }
    const memorySize = quick ? 16 * MiB : 256 * MiB;
    const memoryLabel = `${memorySize / MiB} MiB`;
    const memory = (await child(['--phase', 'memory', '--keys', dir, '--size', String(memorySize), '--file', join(dir, 'memory-payload')])) as unknown as { sealMbps: number[]; openMbps: number[]; aesMbps: number[]; sha256Mbps: number[]; writeMbps: number[] };
    const sealRuns = samples(memory.sealMbps);
    const openRuns = samples(memory.openMbps);
    const aesRuns = samples(memory.aesMbps);
    const shaRuns = samples(memory.sha256Mbps);
    const writeRuns = samples(memory.writeMbps);
    results.memory = { label: memoryLabel, sealMbps: sealRuns.median, openMbps: openRuns.median, limitMbps: Math.min(aesRuns.median, shaRuns.median), aesMbps: aesRuns.median, sha256Mbps: shaRuns.median, writeMbps: writeRuns.median };
    rows.push(
      { section, name: `node:crypto ${memoryLabel}: AES-256-GCM, 1 MiB chunks`, value: aesRuns, unit: 'MB/s', note: 'in turns with the seals below; 3 runs' },
      { section, name: `node:crypto ${memoryLabel}: SHA-256, 1 MiB chunks`, value: shaRuns, unit: 'MB/s', note: 'in turns with the seals below; 3 runs' },
      { section, name: `Sealpost ${memoryLabel}: seal, generated stream to counted bytes (no disk)`, value: sealRuns, unit: 'MB/s', note: 'the crypto pipeline: SHA-256, tar, AES-256-GCM frames; 3 runs' },
      { section, name: `plain write of ${memoryLabel} to a new file, synced`, value: writeRuns, unit: 'MB/s', note: 'in turns with the opens below; 3 runs' },
      { section, name: `Sealpost ${memoryLabel}: open, envelope in memory to the verified file`, value: openRuns, unit: 'MB/s', note: 'decrypt, verify, write the payload file it must produce; 3 runs' },
    );
    if (!quick) rows.push({ section, name: 'jose and the ESDK above 16 MiB', value: undefined, unit: '', note: 'not run: both hold the whole payload (and jose its base64 text) in memory' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, results };
}
