import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const example = (name: string) => resolve(import.meta.dirname, '../examples', name);

describe('examples/ run as documented', () => {
  it('seal-and-open.ts', async () => {
    const { stdout } = await run(process.execPath, [example('seal-and-open.ts')]);
    expect(stdout).toMatch(/opened [0-9a-f-]{36} from .*: \{"hello":"world"\}/);
    expect(stdout).toMatch(/tampered copy rejected: DECRYPTION_FAILED/);
  });

  it('send-and-receive.ts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-example-'));
    try {
      const { stdout } = await run(process.execPath, [example('send-and-receive.ts'), dir]);
      expect(stdout).toMatch(/sent 5 messages/);
      expect(stdout).toMatch(/stored 5 messages/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bullmq.ts (local Redis and PostgreSQL)', async () => {
    const { stdout } = await run(process.execPath, [example('bullmq.ts')]);
    expect(stdout).toMatch(/sent 3 messages on BullMQ queue example-/);
    expect(stdout).toMatch(/stored 3 messages in PostgreSQL/);
    // The example leaves its data for a reader to look at; the test does not.
    const schema = /PostgreSQL schema (example_\w+)/.exec(stdout)![1]!;
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`sealpost-${schema.replace('_', '-')}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('sqs.ts (the SQS emulator)', async () => {
    const { stdout } = await run(process.execPath, [example('sqs.ts')]);
    expect(stdout).toMatch(/sent 4 messages to .* in one SendMessageBatch/);
    expect(stdout).toMatch(/stored 4 messages/);
  });

  it('kms-keys.ts', async () => {
    const { stdout } = await run(process.execPath, [example('kms-keys.ts')]);
    expect(stdout.match(/signed by arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]+ \(ECDSA_SHA_512\)/g)).toHaveLength(3);
    expect(stdout).toMatch(/KMS calls: .*"Sign":3/);
  });
});
