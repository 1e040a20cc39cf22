import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLocalKeyPair } from '@sealpost/envelope';

const CLI = resolve(import.meta.dirname, '../src/main.ts');
let dir: string;

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Runs `sealpost send` to `transport`; the generous kill timer only stops a hang from blocking the suite. */
function send(transport: string): Promise<{ code: number | string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, 'send', '--transport', transport, '--sign-key', join(dir, 'sender.pem'), '--to', join(dir, 'receiver.pub.pem'), join(dir, 'note.txt')], { timeout: 150_000 }, (error, _stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? (error as { signal?: string }).signal ?? 1) : 0, stderr: stderr.toString() });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-send-'));
  const sender = await generateLocalKeyPair('ec-p256');
  const receiver = await generateLocalKeyPair('rsa-2048');
  await writeFile(join(dir, 'sender.pem'), sender.privateKeyPem);
  await writeFile(join(dir, 'receiver.pub.pem'), receiver.publicKeyPem);
  await writeFile(join(dir, 'note.txt'), 'hello\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sealpost send to an unreachable transport', () => {
  it('exits 4 naming the transport for a spool directory that cannot be created, instead of spinning', async () => {
    const result = await send('spool:/proc/sealpost-nope/spool');
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/TRANSPORT_UNAVAILABLE: spool \/proc\/sealpost-nope\/spool: create directories/);
  }, 180_000);

  it('exits 4 naming the transport for BullMQ on a closed port, instead of retrying forever', async () => {
    const port = await closedPort();
    const result = await send(`bullmq://127.0.0.1:${port}/q`);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(new RegExp(`TRANSPORT_UNAVAILABLE: BullMQ redis://127\\.0\\.0\\.1:${port}/q: Redis is unreachable \\(.*ECONNREFUSED`));
    // One line per failed message and none from the Redis client's retries.
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 180_000);
});
