import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeyWrapper, createLocalSigner, createSealer, generateLocalKeyPair } from '@sealpost/envelope';
import { createSqliteStore } from '@sealpost/store';
import { createSpoolTransport } from '@sealpost/transport';
import { spawnReceiver, until } from './support/receiver.ts';

const MIB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-memory-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The most memory the process ever had resident (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

describe('worker memory is bounded by concurrency x the size limit', () => {
  it('oversized deliveries (1 GiB spool files) are dead-lettered without being read, and the peak RSS stays under a bound from concurrency x max size', async () => {
    const concurrency = 2;
    const maxPayloadBytes = 4 * MIB;
    const keys = join(dir, 'keys');
    await mkdir(keys);
    const sender = await generateLocalKeyPair('ec-p256');
    const receiver = await generateLocalKeyPair('rsa-2048');
    await writeFile(join(keys, 'receiver.pem'), receiver.privateKeyPem);
    await writeFile(join(keys, 'sender.pub.pem'), sender.publicKeyPem);
    const spool = join(dir, 'spool');
    const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
    const { sender: transport } = createSpoolTransport(spool);
    // Messages at the size limit (incompressible, so the envelope is as large as it gets)...
    for (let i = 0; i < 4; i++) await transport.send((await sealer.seal(randomBytes(maxPayloadBytes), { name: `m${i}.bin` })).envelope);
    // ...and deliveries far over it: sparse files, so they cost no disk, but reading one would
    // make the worker's resident memory grow by a gibibyte.
    await mkdir(join(spool, 'incoming'), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const handle = await open(join(spool, 'incoming', `${'0'.repeat(15)}-1-oversized-${i}.sealpost`), 'w');
      await handle.truncate(1024 * MIB);
      await handle.close();
    }
    const db = join(dir, 'messages.db');
    const worker = spawnReceiver(keys, `spool:${spool}`, `sqlite:${db}`, { SEALPOST_CONCURRENCY: String(concurrency), SEALPOST_MAX_PAYLOAD_BYTES: String(maxPayloadBytes) });
    const store = createSqliteStore(db);
    try {
      const dead = async () => (await readdir(join(spool, 'dead')).catch(() => [] as string[])).filter((n) => n.endsWith('.reason.json'));
      await until(async () => (await dead()).length === 2, 180_000);
      await until(async () => {
        try {
          await store.init();
          return (await store.list()).length === 4;
        } catch {
          return false;
        }
      }, 180_000);
      const peak = await peakRss(worker.pid!);
      const reasons = await Promise.all((await dead()).map(async (n) => JSON.parse(await readFile(join(spool, 'dead', n), 'utf8')) as { code: string }));
      expect(reasons.map((r) => r.code)).toEqual(['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE']);
      // A generous bound: a Node process with its modules, plus room for sixteen copies of each
      // message in flight. Reading one oversized file alone would exceed it.
      const bound = 512 * MIB + concurrency * 16 * maxPayloadBytes;
      expect(peak).toBeLessThan(bound);
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
      await store.close();
    }
  }, 300_000);
});
