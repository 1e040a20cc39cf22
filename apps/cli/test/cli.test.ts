import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const generateKeyPairAsync = promisify(generateKeyPair);

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

  it('seal --gzip warns when the payload compresses past what readers accept, and open refuses that envelope with LIMIT_EXCEEDED', async () => {
    await writeFile(join(dir, 'zeros.bin'), Buffer.alloc(8 * 1024 * 1024));
    const sealed = await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'zeros.bin', '--out', 'zeros.enc', '--gzip', '--json']);
    expect(sealed.code).toBe(0);
    expect(JSON.parse(sealed.stdout).warning).toMatch(/LIMIT_EXCEEDED/);
    const opened = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'zeros.enc', '--out', 'zeros.out']);
    expect(opened.code).toBe(1);
    expect(opened.stderr).toMatch(/LIMIT_EXCEEDED/);
    const plain = await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'zeros.bin', '--out', 'zeros-plain.enc']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/warning/);
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

/** Starts the CLI and hands back the child, for tests that stop it mid-way. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['pipe', 'ignore', 'pipe'] });
  // Input still buffered when the test stops the child is expected to go nowhere.
  child.stdin!.on('error', () => undefined);
  return child;
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

// Independent of each other (each writes its own files): run side by side.
describe.concurrent('sealpost CLI: bad input is refused clearly and leaves nothing behind', () => {
  it('open refuses --out and --bundle-out naming the same file, and writes neither', async () => {
    const result = await sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'message.enc', '--out', 'same.out', '--bundle-out', './same.out']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CONFIG_INVALID: --out and --bundle-out both name \.\/same\.out/);
    await expect(stat(join(dir, 'same.out'))).rejects.toThrow();
  });

  it('seal refuses more recipients than a receiver with default limits opens, unless --max-recipients says otherwise', async () => {
    await mkdir(join(dir, 'many'), { recursive: true });
    const keys = await Promise.all(Array.from({ length: 17 }, async (_, i) => {
      const { publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
      const path = `many/r${i}.pub.pem`;
      await writeFile(join(dir, path), publicKey.export({ type: 'spki', format: 'pem' }));
      return path;
    }));
    const args = ['seal', '--sign-key', 'keys/sender.pem', ...keys.flatMap((k) => ['--to', k]), '--in', 'message.json'];
    const [refused, allowed] = await Promise.all([sealpost([...args, '--out', 'many.enc']), sealpost([...args, '--out', 'many17.enc', '--max-recipients', '17'])]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/17 --to recipients are more than --max-recipients \(16\)/);
    await expect(stat(join(dir, 'many.enc'))).rejects.toThrow();
    expect(allowed.code).toBe(0);
  });

  it('seal refuses metadata keys given twice and keys outside the key syntax such as __proto__, before writing anything', async () => {
    const base = ['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'message.json', '--out', 'meta.enc'];
    const [proto, twice, badName] = await Promise.all([
      sealpost([...base, '--metadata', '__proto__=x']),
      sealpost([...base, '--metadata', 'team=a', '--metadata', 'team=b']),
      sealpost([...base, '--name', '../escape.json']),
    ]);
    expect(proto.code).toBe(2);
    expect(proto.stderr).toMatch(/CONFIG_INVALID: metadata key "__proto__" must be/);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--metadata team is given more than once/);
    expect(badName.code).toBe(2);
    expect((await readdir(dir)).filter((name) => name.includes('meta.enc'))).toEqual([]);
  });

  it('keygen on an existing key says how to proceed without suggesting a --force it does not have', async () => {
    const again = await sealpost(['keygen', '--type', 'ec-p256', '--out', 'keys/sender']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/keys\/sender\.pem exists; keygen never replaces a key/);
    expect(again.stderr).not.toMatch(/--force/);
  });

  it('a missing file and a directory where a file belongs are IO_ERROR naming the path, exit 3', async () => {
    const [inspectMissing, openDirectory, inspectDirectory] = await Promise.all([
      sealpost(['inspect', 'missing.enc', '--json']),
      sealpost(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', 'keys', '--out', 'dir.out']),
      sealpost(['inspect', 'keys']),
    ]);
    expect(inspectMissing.code).toBe(3);
    expect(JSON.parse(inspectMissing.stderr).error).toMatchObject({ code: 'IO_ERROR', transient: false, message: expect.stringMatching(/cannot read missing\.enc: ENOENT/) });
    expect(openDirectory.code).toBe(3);
    expect(openDirectory.stderr).toMatch(/IO_ERROR: cannot read keys: EISDIR/);
    expect(inspectDirectory.code).toBe(3);
    expect(inspectDirectory.stderr).toMatch(/IO_ERROR: cannot read keys: EISDIR/);
  });

  it('send with a transport URL that is not one names the expected forms', async () => {
    const [sqs, bullmq] = (await Promise.all(
      ['sqs:inbox', 'bullmq://:x/q'].map((transport) => sealpost(['send', '--transport', transport, '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', 'message.json'])),
    )) as [Run, Run];
    expect(sqs.code).toBe(2);
    expect(sqs.stderr).toMatch(/CONFIG_INVALID: the SQS URL "sqs:inbox" must be sqs: followed by a queue URL, e\.g\. sqs:https:\/\/sqs\./);
    expect(bullmq.code).toBe(2);
    expect(bullmq.stderr).toMatch(/bullmq:\/\/host:6379\/queue-name/);
  });

  it('read-only messages commands refuse a store that does not exist with STORE_NOT_FOUND, exit 2, and create nothing', async () => {
    const [list, show] = (await Promise.all([
      sealpost(['messages', 'list', '--store', 'sqlite:typo/none.db']),
      sealpost(['messages', 'show', '0190a1b2-0000-7000-8000-000000000000', '--store', 'sqlite:typo/none.db', '--json']),
    ])) as [Run, Run];
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/STORE_NOT_FOUND: SQLite store typo\/none\.db does not exist/);
    expect(show.code).toBe(2);
    expect(JSON.parse(show.stderr).error).toMatchObject({ code: 'STORE_NOT_FOUND', transient: false });
    await expect(stat(join(dir, 'typo'))).rejects.toThrow();
  });

  it('usage errors honour --json: one JSON error object on standard error, exit 2', async () => {
    const runs = await Promise.all([['open', '--bogus', '--json'], ['seal', '--json'], ['nonsense', '--json'], ['keygen', '--type', 'dsa-1024', '--out', 'x', '--json']].map((args) => sealpost(args)));
    for (const result of runs) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.any(String), transient: false } });
    }
    expect(JSON.parse(runs[0]!.stderr).error.message).toMatch(/required option '--in <file>' not specified/);
    expect(JSON.parse(runs[2]!.stderr).error.message).toMatch(/unknown command 'nonsense'/);
  });
});

describe('sealpost CLI: stopped by a signal, it leaves no temporary file', () => {
  it('open stopped by SIGTERM or SIGINT mid-way removes its partial, unverified plaintext and dies of the signal', async () => {
    const payload = Buffer.alloc(1024 * 1024, 1);
    await writeFile(join(dir, 'signal.bin'), payload);
    expect((await sealpost(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', 'signal.bin', '--out', 'signal.enc'])).code).toBe(0);
    const envelope = await readFile(join(dir, 'signal.enc'));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const outDir = await mkdtemp(join(dir, 'open-'));
      const child = start(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', '-', '--out', join(outDir, 'signal.out')]);
      // Half the envelope, with standard input held open: the open is mid-way and waits.
      child.stdin!.write(envelope.subarray(0, envelope.length >> 1));
      await waitFor(async () => (await readdir(outDir)).length > 0);
      expect((await readdir(outDir))[0]).toMatch(/^\.signal\.out\.[0-9a-f]+\.tmp$/);
      child.kill(signal);
      const [code, killedBy] = await once(child, 'exit');
      expect({ code, killedBy }).toEqual({ code: null, killedBy: signal });
      expect(await readdir(outDir)).toEqual([]);
    }
  });

  it('seal and open with standard input or output remove their private temporary directory when stopped by a signal', async () => {
    const tmp = await mkdtemp(join(dir, 'tmp-'));
    const env = { ...process.env, TMPDIR: tmp };
    const seal = start(['seal', '--sign-key', 'keys/sender.pem', '--to', 'keys/receiver.pub.pem', '--in', '-', '--out', 'stdin.enc'], env);
    seal.stdin!.write(Buffer.alloc(64 * 1024, 2));
    const envelope = await readFile(join(dir, 'signal.enc'));
    const open = start(['open', '--key', 'keys/receiver.pem', '--trust', 'keys/sender.pub.pem', '--in', '-', '--out', '-'], env);
    open.stdin!.write(envelope.subarray(0, envelope.length >> 1));
    // Each has made its sealpost-* directory under TMPDIR and is waiting for more input.
    await waitFor(async () => (await readdir(tmp)).length === 2 && (await Promise.all((await readdir(tmp)).map((d) => readdir(join(tmp, d))))).every((files) => files.length > 0));
    seal.kill('SIGINT');
    open.kill('SIGTERM');
    await Promise.all([once(seal, 'exit'), once(open, 'exit')]);
    expect(await readdir(tmp)).toEqual([]);
    await expect(stat(join(dir, 'stdin.enc'))).rejects.toThrow();
  });
});
