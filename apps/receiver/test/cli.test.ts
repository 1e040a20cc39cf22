import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLocalKeyPair } from '@sealpost/envelope';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const PG_URL = process.env.SEALPOST_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

let dir: string;
let base: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-receiver-cli-'));
  const receiver = await generateLocalKeyPair('rsa-2048');
  const sender = await generateLocalKeyPair('ec-p256');
  await writeFile(join(dir, 'receiver.pem'), receiver.privateKeyPem);
  await writeFile(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
  base = {
    SEALPOST_KEYS: join(dir, 'receiver.pem'),
    SEALPOST_TRUST: join(dir, 'sender.pub.pem'),
    SEALPOST_TRANSPORT: `spool:${join(dir, 'spool')}`,
    SEALPOST_STORE: `sqlite:${join(dir, 'messages.db')}`,
    SEALPOST_METRICS_PORT: 'off',
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The environment without any SEALPOST_* variable of the caller's. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SEALPOST_')));
  return { ...env, ...extra };
}

async function runMain(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { env: cleanEnv(env), timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Asserts a failed start reported its error in exactly one log line (level fatal), with no stack trace anywhere. */
function oneLine(result: { stdout: string; stderr: string }): { msg: string; code: string } {
  expect(result.stderr).toBe('');
  expect(result.stdout).not.toContain('"stack"');
  const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; code: string });
  const fatal = lines.filter((l) => l.level === 60);
  expect(fatal).toHaveLength(1);
  return fatal[0]!;
}

/** Starts the receiver and resolves with its 'receiver started' log line; the caller stops it. */
function startAndReadStartLine(env: Record<string, string>): Promise<{ line: Record<string, unknown>; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const text of buffer.split('\n').slice(0, -1)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line.msg === 'receiver started') {
          resolveLine({
            line,
            stop: () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    void exited.then((code) => reject(new Error(`the receiver exited (${code}) before it started: ${buffer}`)));
  });
}

describe('sealpost-receiver: configuration is never silent', () => {
  it('prints its version with --version', async () => {
    const result = await runMain(['--version'], {});
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 240_000);

  it('refuses an unknown option in one line, exit 2', async () => {
    const result = await runMain(['--bogus'], base);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--bogus'/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 240_000);

  it('refuses a misspelled SEALPOST_ variable, naming it and the setting it resembles, instead of starting on a default', async () => {
    const result = await runMain([], { ...base, SEALPOST_TRANSPRT: 'bullmq://127.0.0.1:6379/q' });
    expect(result.code).toBe(2);
    expect(oneLine(result)).toMatchObject({ code: 'CONFIG_INVALID', msg: expect.stringMatching(/unknown environment variable SEALPOST_TRANSPRT \(did you mean SEALPOST_TRANSPORT\?\)/) });
  }, 240_000);

  it('gives one-line errors naming the setting for a bad log level and a non-numeric concurrency, never a stack trace', async () => {
    const level = await runMain([], { ...base, SEALPOST_LOG_LEVEL: 'verbose' });
    expect(level.code).toBe(2);
    expect(oneLine(level).msg).toMatch(/logLevel \(SEALPOST_LOG_LEVEL\): expected one of fatal, error, warn, info/);
    const concurrency = await runMain([], { ...base, SEALPOST_CONCURRENCY: 'abc' });
    expect(concurrency.code).toBe(2);
    expect(oneLine(concurrency).msg).toMatch(/concurrency \(SEALPOST_CONCURRENCY\): expected an integer from 1 to 256/);
  }, 240_000);

  it('gives a one-line error naming the setting when the metrics port is in use', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as { port: number };
    try {
      const result = await runMain([], { ...base, SEALPOST_METRICS_PORT: String(port) });
      expect(result.code).toBe(2);
      const line = oneLine(result);
      expect(line.code).toBe('CONFIG_INVALID');
      expect(line.msg).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} \\(SEALPOST_METRICS_HOST, SEALPOST_METRICS_PORT\\): the port is in use`));
    } finally {
      busy.close();
    }
  }, 240_000);

  it('refuses to start, exit 4, naming the setting, when BullMQ, SQS or the store is unreachable', async () => {
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => done(free));
      });
    });
    const aws = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const cases: [Record<string, string>, RegExp][] = [
      [{ SEALPOST_TRANSPORT: `bullmq://127.0.0.1:${port}/q` }, new RegExp(`^transport \\(SEALPOST_TRANSPORT\\) bullmq://127\\.0\\.0\\.1:${port}/q: .*Redis is unreachable`)],
      [{ SEALPOST_TRANSPORT: `sqs:http://127.0.0.1:${port}/000000000000/inbox`, ...aws }, /^transport \(SEALPOST_TRANSPORT\) sqs:http:\/\/127\.0\.0\.1:\d+\/000000000000\/inbox: SQS .*GetQueueAttributes/],
      [{ SEALPOST_STORE: `postgres://postgres:pw@127.0.0.1:${port}/test` }, /^store \(SEALPOST_STORE\) postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/test: PostgreSQL connect/],
    ];
    for (const [env, message] of cases) {
      const result = await runMain([], { ...base, ...env });
      expect(result.code).toBe(4);
      const line = oneLine(result);
      expect(line.msg).toMatch(message);
      expect(line.msg).not.toContain(':pw@');
    }
  }, 240_000);

  it('names transport, store (without its password), metrics address and version in the start log', async () => {
    const schema = `t_${randomUUID().replace(/-/g, '')}`;
    const url = new URL(PG_URL);
    url.password = 'hunter2-secret';
    url.searchParams.set('schema', schema);
    const { line, stop } = await startAndReadStartLine({ ...base, SEALPOST_STORE: url.toString(), SEALPOST_METRICS_PORT: '0' });
    try {
      expect(line).toMatchObject({ transport: base.SEALPOST_TRANSPORT, version: expect.stringMatching(/^\d+\.\d+\.\d+/), metrics: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/) });
      expect(line.store).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/test\?schema=/);
      expect(JSON.stringify(line)).not.toContain('hunter2');
    } finally {
      expect(await stop()).toBe(0);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }, 240_000);
});
