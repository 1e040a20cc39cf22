import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../src/main.ts');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sealpost(args: string[], input?: Buffer | string): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: stdout.toString('latin1'), stderr: stderr.toString() });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-cli-'));
  expect((await sealpost(['keygen', '--type', 'ec-p521', '--out', 'keys/sender'])).code).toBe(0);
  expect((await sealpost(['keygen', '--type', 'rsa-4096', '--out', 'keys/receiver'])).code).toBe(0);
  expect((await sealpost(['keygen', '--type', 'rsa-2048', '--out', 'keys/other'])).code).toBe(0);
  expect((await sealpost(['keygen', '--type', 'ec-p256', '--out', 'keys/stranger'])).code).toBe(0);
  await writeFile(join(dir, 'message.json'), '{"hello":"world"}\n');
  // Four commands, an RSA-4096 key among them: generous for a loaded machine.
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sealpost CLI', () => {
  it('keygen writes a private key readable only by its owner, and refuses to overwrite it', async () => {
    expect((await stat(join(dir, 'keys/sender.pem'))).mode & 0o777).toBe(0o600);
    const again = await sealpost(['keygen', '--type', 'ec-p521', '--out', 'keys/sender']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);
    for (const type of ['ec-p384', 'ec-secp256k1', 'rsa-3072']) {
      const result = await sealpost(['keygen', '--type', type, '--out', `keys/t-${type}`, '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ type, privateKey: `keys/t-${type}.pem`, publicKey: `keys/t-${type}.pub.pem` });
    }
    expect((await sealpost(['keygen', '--type', 'dsa-1024', '--out', 'keys/x'])).code).toBe(2);
  });

  it('runs the file walkthrough: seal, inspect, open with --bundle-out, then tar lists the bundle', async () => {
    const sealed = await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'message.json', '--out', 'message.enc', '--json']);
    expect(sealed.code).toBe(0);
    const seal = JSON.parse(sealed.stdout);
    expect(seal).toMatchObject({ out: 'message.enc', recipients: [expect.any(String)] });
    const inspected = JSON.parse((await sealpost(['inspect', 'message.enc', '--json'])).stdout);
    expect(inspected.recipients[0].keyId).toBe(seal.recipients[0]);
    expect(inspected.recipients[0].wrappedKeyBytes).toBe(512);
    const opened = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'message.enc', '--out', 'out.json', '--bundle-out', 'bundle.tar', '--json']);
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout)).toMatchObject({ id: seal.id, name: 'message.json', contentType: 'application/json', size: 18, algorithm: 'ECDSA_SHA_512' });
    expect(await readFile(join(dir, 'out.json'), 'utf8')).toBe('{"hello":"world"}\n');
    const listing = await new Promise<string>((done, fail) => execFile('tar', ['-tf', 'bundle.tar'], { cwd: dir }, (e, out) => (e ? fail(e) : done(out))));
    expect(listing.trim().split('\n')).toEqual(['message.json', 'manifest.cbor', 'manifest.sig']);
    const again = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'message.enc', '--out', 'out.json']);
    expect(again.code).toBe(2);
  });

  it('streams through standard input and output, for several recipients, with gzip and metadata', async () => {
    const payload = Buffer.from('x'.repeat(100_000));
    const sealed = await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--to', 'keys/other.pub.pem', '--in', '-', '--out', '-', '--name', 'data.txt', '--gzip', '--metadata', 'team=payments'], payload);
    expect(sealed.code).toBe(0);
    const envelope = Buffer.from(sealed.stdout, 'latin1');
    expect(envelope.length).toBeLessThan(20_000);
    for (const key of ['keys/receiver.pem', 'keys/other.pem']) {
      const opened = await sealpost(['open', '--key', key, '--trust', 'keys/', '--in', '-', '--out', '-', '--json'], envelope);
      expect(opened.code).toBe(0);
      expect(Buffer.from(opened.stdout, 'latin1').equals(payload)).toBe(true);
      expect(JSON.parse(opened.stderr)).toMatchObject({ name: 'data.txt', contentType: 'text/plain', metadata: { team: 'payments' } });
    }
  });

  it('exits 1 for rejected messages: tampered, untrusted sender, not a recipient', async () => {
    await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'message.json', '--out', 'm2.enc']);
    const bytes = await readFile(join(dir, 'm2.enc'));
    bytes[bytes.length - 20]! ^= 1;
    await writeFile(join(dir, 'tampered.enc'), bytes);
    const tampered = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'tampered.enc', '--out', 't.json']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/rejected: DECRYPTION_FAILED/);
    await expect(stat(join(dir, 't.json'))).rejects.toThrow();
    const untrusted = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/stranger.pub.pem', '--in', 'm2.enc', '--out', 'u.json', '--json']);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stderr).error).toMatchObject({ code: 'UNTRUSTED_SENDER', transient: false });
    const wrongKey = await sealpost(['open', '--key', 'keys/other.pem', '--trust', 'keys/sender.pub.pem', '--in', 'm2.enc', '--out', 'w.json']);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/NOT_A_RECIPIENT/);
  });

  it('--max-size caps the payload open accepts: a larger one is a permanent LIMIT_EXCEEDED that leaves no file behind', async () => {
    await writeFile(join(dir, 'big.bin'), randomBytes(2 * 1024 * 1024));
    expect((await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'big.bin', '--out', 'big.enc'])).code).toBe(0);
    await mkdir(join(dir, 'capped'));
    const capped = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'big.enc', '--out', 'capped/big.bin', '--max-size', '1MiB', '--json']);
    expect(capped.code).toBe(1);
    expect(JSON.parse(capped.stderr).error).toMatchObject({ code: 'LIMIT_EXCEEDED', transient: false });
    expect(await readdir(join(dir, 'capped'))).toEqual([]);
    expect((await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'big.enc', '--out', 'big.out', '--max-size', '2MiB'])).code).toBe(0);
    expect((await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'big.enc', '--out', 'x.out', '--max-size', 'lots'])).code).toBe(2);
  });

  it('exits 2 for usage and key errors, 3 for unreadable input', async () => {
    expect((await sealpost(['seal', '--sign-key', 'keys/missing.pem', '--to', 'keys/receiver.pub.pem', '--in', 'message.json', '--out', 'x.enc'])).code).toBe(2);
    expect((await sealpost(['seal', '--sign-key', 'keys/receiver.pem', '--to', 'keys/receiver.pub.pem', '--in', 'message.json', '--out', 'x.enc'])).stderr).toMatch(/KEY_INVALID/);
    expect((await sealpost(['open', '--bogus'])).code).toBe(2);
    expect((await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'message.enc', '--out', 'o.json', '--max-age', 'soon'])).code).toBe(2);
    expect((await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'nope.enc', '--out', 'o.json'])).code).toBe(3);
    const help = await sealpost(['open', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes/);
  });
});
