import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../scripts/main-job.ts');
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the main job on embedded defaults (the README command)', () => {
  it('stores every good message, rejects the forged and tampered ones with their codes, and is idempotent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sealpost-main-'));
    dirs.push(dataDir);
    const first = (await run(process.execPath, [script, '--data-dir', dataDir])).stdout;
    expect(first).toMatch(/created ec-p521 key keys\/sender.pem/);
    expect(first).toMatch(/\(0 message\(s\) stored by earlier runs\)/);
    for (const name of ['order.json', 'note.txt', 'scan.bin', 'invoice.json']) expect(first).toMatch(new RegExp(`new +[0-9a-f-]{36}  ${name.replace('.', '\\.')} `));
    expect(first).toMatch(/scan\.bin +application\/octet-stream +3145728 bytes/);
    expect(first).toMatch(/invoice\.json .* recipients: 2/);
    expect(first).toMatch(/forged order\.json \(signed by an untrusted key\): UNTRUSTED_SENDER/);
    expect(first).toMatch(/tampered order\.json \(one bit flipped in transit\): DECRYPTION_FAILED/);
    expect(first).toMatch(/Done: 4 message\(s\) stored this run, 2 rejected, 4 stored in total\./);
    const second = (await run(process.execPath, [script], { env: { ...process.env, SEALPOST_DATA_DIR: dataDir } })).stdout;
    expect(second).toMatch(/keys\/sender.pem exists: reusing it/);
    expect(second).toMatch(/\(4 message\(s\) stored by earlier runs\)/);
    expect(second.match(/^ {2}earlier /gm)).toHaveLength(4);
    expect(second).toMatch(/Done: 4 message\(s\) stored this run, 2 rejected, 8 stored in total\./);

    // sealpost messages: look into the same store.
    const cli = (args: string[]) => run(process.execPath, [resolve(import.meta.dirname, '../apps/cli/src/main.ts'), ...args, '--store', `sqlite:${join(dataDir, 'messages.db')}`], { cwd: dataDir });
    const listed = (await cli(['messages', 'list', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; payloadName: string });
    expect(listed).toHaveLength(8);
    const order = listed.find((m) => m.payloadName === 'order.json')!;
    expect(JSON.parse((await cli(['messages', 'show', order.id, '--json'])).stdout)).toMatchObject({ id: order.id, name: 'order.json', contentType: 'application/json', metadata: { tenant: 'acme' } });
    expect(JSON.parse((await cli(['messages', 'verify', order.id, '--trust', 'keys/sender.pub.pem', '--json'])).stdout)).toMatchObject({ id: order.id, verified: true, algorithm: 'ECDSA_SHA_512' });
    const untrusted = await cli(['messages', 'verify', order.id, '--trust', 'keys/mallory.pub.pem']).catch((e: { code: number; stderr: string }) => e);
    expect(untrusted).toMatchObject({ code: 1 });
    await cli(['messages', 'export', order.id, '--out', 'exported.json', '--evidence', 'exported']);
    const openssl = await run('openssl', ['dgst', '-sha512', '-verify', 'keys/sender.pub.pem', '-signature', 'exported.manifest.sig', 'exported.manifest.cbor'], { cwd: dataDir });
    expect(openssl.stdout.trim()).toBe('Verified OK');
    expect(JSON.parse((await cli(['messages', 'show', order.id, '--payload'])).stdout)).toMatchObject({ order: 4711 });
  });
});
