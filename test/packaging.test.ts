/**
 * The packages as a user gets them: packed as they would be published, installed with plain npm
 * into a project outside this repository, and used on Node 22 and Node 24 — the commands, the
 * worker with its signals, the SDK from an ES module, and the types from a TypeScript consumer.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNode22 } from './support/node22.ts';

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const MINUTE = 60_000;

let work: string;
let project: string;
let tarballs: string[];
const nodes: Record<'22' | '24', string> = { '22': '', '24': process.execPath };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sealpost-packaging-'));
  project = join(work, 'project');
  const [node22] = await Promise.all([
    ensureNode22(),
    execFileAsync(process.execPath, [join(ROOT, 'scripts/tarballs.ts'), join(work, 'tarballs')], { cwd: ROOT, timeout: 10 * MINUTE }),
  ]);
  nodes['22'] = node22;
  tarballs = (await readdir(join(work, 'tarballs'))).map((file) => join(work, 'tarballs', file));
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Third-party dependencies still come from the registry (or npm's cache); Sealpost only from the tarballs.
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs, 'typescript@^5.9.3', '@types/node@^22'], {
    cwd: project,
    timeout: 15 * MINUTE,
  });
}, 30 * MINUTE);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
}, 5 * MINUTE);

/** Runs a command in the consumer project with `node` (and npx) of the given version first on PATH. */
function runWith(version: '22' | '24', command: string, args: string[], cwd = project) {
  const PATH = [dirname(nodes[version]), join(project, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
  return execFileAsync(command, args, { cwd, env: { ...process.env, PATH }, timeout: 5 * MINUTE, maxBuffer: 16 * 1024 * 1024 });
}

describe('the packed packages', () => {
  it('ship only built files and the license: exports with types first, bins and files under dist, no workspace versions', async () => {
    expect(tarballs.map((t) => t.split('/').pop()).sort()).toEqual([
      'sealpost-0.1.0.tgz',
      'sealpost-aws-kms-0.1.0.tgz',
      'sealpost-envelope-0.1.0.tgz',
      'sealpost-key-refs-0.1.0.tgz',
      'sealpost-kms-emulator-0.1.0.tgz',
      'sealpost-receiver-0.1.0.tgz',
      'sealpost-sender-0.1.0.tgz',
      'sealpost-store-0.1.0.tgz',
      'sealpost-transport-0.1.0.tgz',
    ]);
    const installed = ['sealpost', ...(await readdir(join(project, 'node_modules/@sealpost'))).map((name) => `@sealpost/${name}`)];
    expect(installed).toHaveLength(tarballs.length);
    for (const name of installed) {
      const dir = join(project, 'node_modules', name);
      const text = await readFile(join(dir, 'package.json'), 'utf8');
      const manifest = JSON.parse(text) as Record<string, unknown> & { exports: Record<string, Record<string, string>>; bin?: Record<string, string> };
      expect(text, name).not.toContain('workspace:');
      expect(manifest, name).toMatchObject({ license: 'Apache-2.0', engines: { node: '>=22.13' }, files: ['dist'], repository: { type: 'git' } });
      for (const [subpath, conditions] of Object.entries(manifest.exports)) {
        expect(Object.keys(conditions), `${name} ${subpath}`).toEqual(['types', 'default']);
        for (const target of Object.values(conditions)) {
          expect(target, `${name} ${subpath}`).toMatch(/^\.\/dist\//);
          expect(existsSync(join(dir, target)), `${name}: ${target}`).toBe(true);
        }
      }
      for (const target of Object.values(manifest.bin ?? {})) {
        expect(target).toMatch(/^\.\/dist\/.*\.js$/);
        expect((await readFile(join(dir, target), 'utf8')).startsWith('#!/usr/bin/env node\n'), `${name}: ${target}`).toBe(true);
      }
      expect(await readFile(join(dir, 'LICENSE'), 'utf8'), name).toContain('Apache License');
      const shipped = await readdir(dir, { recursive: true });
      expect(shipped.filter((file) => /(^|\/)(src|test)(\/|$)|\.ts$/.test(file) && !file.endsWith('.d.ts')), name).toEqual([]);
    }
  }, 5 * MINUTE);
});

describe.each(['22', '24'] as const)('installed with npm, on Node %s', (version) => {
  it('runs on that Node', async () => {
    const { stdout } = await runWith(version, 'node', ['-p', 'process.versions.node']);
    expect(stdout.trim().split('.')[0]).toBe(version);
  }, 5 * MINUTE);

  it('npx sealpost: --help, keygen, seal and open round-trip a file, with clean --json output', async () => {
    const dir = await mkdtemp(join(project, `cli-${version}-`));
    const { stdout: help } = await runWith(version, 'npx', ['sealpost', '--help'], dir);
    expect(help).toContain('Usage: sealpost');
    for (const command of ['seal', 'open', 'keygen', 'inspect', 'send', 'messages', 'kms']) expect(help).toContain(command);

    const sender = JSON.parse((await runWith(version, 'npx', ['sealpost', 'keygen', '--type', 'ec-p384', '--out', 'sender', '--json'], dir)).stdout) as { keyId: string };
    await runWith(version, 'npx', ['sealpost', 'keygen', '--type', 'rsa-2048', '--out', 'receiver'], dir);
    const payload = randomBytes(300_000);
    await writeFile(join(dir, 'payload.bin'), payload);
    const sealed = JSON.parse((await runWith(version, 'npx', ['sealpost', 'seal', '--sign-key', 'sender.pem', '--to', 'receiver.pub.pem', '--in', 'payload.bin', '--out', 'payload.enc', '--json'], dir)).stdout) as { id: string; sender: string };
    expect(sealed.sender).toBe(sender.keyId);
    const opened = JSON.parse((await runWith(version, 'npx', ['sealpost', 'open', '--key', 'receiver.pem', '--trust', 'sender.pub.pem', '--in', 'payload.enc', '--out', 'received.bin', '--json'], dir)).stdout) as { id: string };
    expect(opened.id).toBe(sealed.id);
    expect((await readFile(join(dir, 'received.bin'))).equals(payload)).toBe(true);
  }, 10 * MINUTE);

  it('sealpost-receiver on spool + SQLite stores a sent message and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(project, `receiver-${version}-`));
    await runWith(version, 'sealpost', ['keygen', '--type', 'ec-p256', '--out', 'sender'], dir);
    await runWith(version, 'sealpost', ['keygen', '--type', 'rsa-2048', '--out', 'receiver'], dir);
    await writeFile(join(dir, 'note.txt'), 'hello from the outbox');
    expect((await runWith(version, 'sealpost-receiver', ['--version'], dir)).stdout).toContain('0.1.0');
    const PATH = [dirname(nodes[version]), process.env.PATH].join(delimiter);
    // The installed executable itself (as a service manager or container runs it), not a wrapper.
    const worker = spawn(join(project, 'node_modules/.bin/sealpost-receiver'), [], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH,
        SEALPOST_TRANSPORT: 'spool:spool',
        SEALPOST_STORE: 'sqlite:messages.db',
        SEALPOST_KEYS: 'receiver.pem',
        SEALPOST_TRUST: 'sender.pub.pem',
        SEALPOST_METRICS_PORT: 'off',
      },
    });
    let log = '';
    worker.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((done) => worker.on('exit', (code) => done(code)));
    const logged = async (text: string) => {
      const deadline = Date.now() + 3 * MINUTE;
      while (!log.includes(text)) {
        if (Date.now() > deadline || worker.exitCode !== null) throw new Error(`the worker did not log "${text}":\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await logged('receiver started');
      const sent = JSON.parse((await runWith(version, 'sealpost', ['send', '--transport', 'spool:spool', '--sign-key', 'sender.pem', '--to', 'receiver.pub.pem', 'note.txt', '--json'], dir)).stdout.trim().split('\n')[0]!) as { id: string };
      await logged('"result":"stored"');
      const list = await runWith(version, 'sealpost', ['messages', 'list', '--store', 'sqlite:messages.db', '--json'], dir);
      const listed = JSON.parse(list.stdout) as { id: string; payloadName: string };
      expect(listed).toMatchObject({ id: sent.id, payloadName: 'note.txt' });
      // Node 22 flags node:sqlite experimental; the store loads it without printing that warning.
      expect(list.stderr).not.toContain('ExperimentalWarning');
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain('shutting down');
      expect(log).not.toContain('ExperimentalWarning');
    } finally {
      worker.kill('SIGKILL');
    }
  }, 10 * MINUTE);

  it('an ES module imports the SDK and seals and opens in memory', async () => {
    const program = join(project, `sdk-${version}.mjs`);
    await writeFile(
      program,
      `import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair, isSealpostError } from 'sealpost';
import { createSqliteStore } from 'sealpost/store';
import { createSqsHandler } from 'sealpost/receiver';
const sender = await generateLocalKeyPair('ec-p521');
const receiver = await generateLocalKeyPair('rsa-2048');
const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
const { envelope } = await sealer.seal(Buffer.from('in memory'), { name: 'note.txt' });
const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) });
const { payload } = await opener.open(envelope);
const tampered = Buffer.from(envelope);
tampered[tampered.length - 1] ^= 1;
const code = await opener.open(tampered).then(() => 'accepted', (error) => (isSealpostError(error) ? error.code : String(error)));
console.log(JSON.stringify({ payload: Buffer.from(payload).toString(), code, subpaths: [typeof createSqliteStore, typeof createSqsHandler] }));
`,
    );
    const { stdout } = await runWith(version, 'node', [program]);
    const result = JSON.parse(stdout) as { payload: string; code: string; subpaths: string[] };
    expect(result.payload).toBe('in memory');
    expect(result.code).toMatch(/^[A-Z_]+$/);
    expect(result.code).not.toBe('accepted');
    expect(result.subpaths).toEqual(['function', 'function']);
  }, 5 * MINUTE);

  it('tsc --noEmit with moduleResolution nodenext type-checks a TypeScript consumer against the installed types', async () => {
    // One consumer for both Node versions: the second tsc run reuses the first one's build info.
    const dir = join(project, 'ts-consumer');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, noEmit: true, skipLibCheck: false, incremental: true, types: ['node'] }, include: ['*.ts'] }),
    );
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(dir, 'consumer.ts'),
      `import { createOpener, createSealer, createLocalSigner, createLocalKeyWrapper, createLocalKeyUnwrapper, createLocalTrustedSender, createTrustStore, generateLocalKeyPair, isSealpostError, resolveSigner, createSender, type Opener, type Sealer, type SealpostError } from 'sealpost';
import { openStore, type MessageStore } from 'sealpost/store';
import { openTransport } from 'sealpost/transport';
import { createSqsHandler, loadReceiverConfig, type ReceiverConfig } from 'sealpost/receiver';
import { createKmsSigner, keyPolicies } from 'sealpost/aws-kms';
import { seal as notExported } from 'sealpost';

const pair = await generateLocalKeyPair('ec-p256');
const sealer: Sealer = createSealer({ signer: createLocalSigner(pair.privateKeyPem), recipients: [createLocalKeyWrapper(pair.publicKeyPem)] });
const opener: Opener = createOpener({ keys: createLocalKeyUnwrapper(pair.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(pair.publicKeyPem)]) });
const sealed: { id: string; envelope: Uint8Array } = await sealer.seal(Buffer.from('typed'));
const store: MessageStore = openStore('sqlite:messages.db');
const config: Promise<ReceiverConfig> = loadReceiverConfig();
// @ts-expect-error: the size limit is a number
createOpener({ keys: [], trust: createTrustStore([]), limits: { maxPayloadBytes: 'big' } });
export { opener, sealed, store, config, isSealpostError, resolveSigner, createSender, openTransport, createSqsHandler, createKmsSigner, keyPolicies, notExported };
export type { SealpostError };
`,
    );
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const result = await runWith(version, 'node', [tsc, '-p', dir]).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    // The only error is the deliberate one: an import that does not exist is caught.
    expect(result).toMatch(/consumer\.ts\(6,\d+\): error TS2305: Module '"sealpost"' has no exported member 'seal'/);
    expect(result.trim().split('\n').filter((line) => /error TS/.test(line))).toHaveLength(1);
  }, 5 * MINUTE);
});
