/**
 * The repository's documented commands (`./sealpost`, `./sealpost-receiver`,
 * `./sealpost-kms-emulator`): each is the process that does the work, so signals reach the code
 * that handles them and standard output carries nothing but the command's own output.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateLocalKeyPair } from '@sealpost/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const MINUTE = 60_000;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-wrappers-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a wrapper and collects what it prints; `exited` resolves with its exit code. */
function start(command: string, args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(join(ROOT, command), args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { text: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const printed = async (text: string) => {
    const deadline = Date.now() + 3 * MINUTE;
    while (!output.text.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${command} did not print "${text}":\n${output.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output, exited, printed };
}

/** The command line of a running process, from /proc: what actually runs under that pid. */
const commandLine = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);

describe('the repository commands', () => {
  it('./sealpost-receiver is the worker process itself: SIGTERM reaches it, it shuts down and exits 0', async () => {
    const sender = await generateLocalKeyPair('ec-p256');
    const receiver = await generateLocalKeyPair('rsa-2048');
    await writeFile(join(dir, 'receiver.pem'), receiver.privateKeyPem, { mode: 0o600 });
    await writeFile(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
    const worker = start('sealpost-receiver', [], {
      SEALPOST_TRANSPORT: `spool:${join(dir, 'spool')}`,
      SEALPOST_STORE: `sqlite:${join(dir, 'messages.db')}`,
      SEALPOST_KEYS: 'receiver.pem',
      SEALPOST_TRUST: 'sender.pub.pem',
      SEALPOST_METRICS_PORT: 'off',
    });
    try {
      await worker.printed('receiver started');
      const pid = worker.child.pid!;
      expect(worker.output.text).toContain(`"pid":${pid},`);
      expect(await commandLine(pid)).toContain(join(ROOT, 'apps/receiver/src/main.ts'));
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.output.text).toContain('shutting down');
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 5 * MINUTE);

  it('./sealpost-kms-emulator is the emulator process itself: SIGTERM reaches it and it exits 0', async () => {
    const emulator = start('sealpost-kms-emulator', ['--port', '0']);
    try {
      await emulator.printed('KMS emulator listening on');
      expect(await commandLine(emulator.child.pid!)).toContain(join(ROOT, 'packages/kms-emulator/src/cli.ts'));
      emulator.child.kill('SIGTERM');
      expect(await emulator.exited).toBe(0);
    } finally {
      emulator.child.kill('SIGKILL');
    }
  }, 5 * MINUTE);

  it('./sealpost --json prints one JSON object and nothing else on standard output', async () => {
    const { stdout } = await run(join(ROOT, 'sealpost'), ['keygen', '--type', 'ec-p256', '--out', 'json-key', '--json'], { cwd: dir, timeout: 3 * MINUTE });
    expect(JSON.parse(stdout)).toMatchObject({ type: 'ec-p256', privateKey: 'json-key.pem', publicKey: 'json-key.pub.pem' });
  }, 5 * MINUTE);

  it('no document runs the worker, the emulator or the CLI through a package manager script', async () => {
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['sealpost', 'receiver', 'kms-emulator']) expect(Object.keys(scripts)).not.toContain(name);
    const documents = (await run('git', ['ls-files', '*.md'], { cwd: ROOT })).stdout.trim().split('\n');
    expect(documents).toContain('README.md');
    for (const file of documents) {
      const text = await readFile(join(ROOT, file), 'utf8');
      expect(text.match(/\b(pnpm|npm run|yarn)( run)? (sealpost|receiver|kms-emulator)\b/g) ?? [], file).toEqual([]);
    }
  }, 5 * MINUTE);
});
