import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS, kmsErrorOf } from './support.ts';

const CLI = resolve(import.meta.dirname, '../src/cli.ts');

function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

describe('the kms-emulator command', () => {
  it('prints its URL once listening, answers at once, takes faults from flags and HTTP, and exits 0 on SIGTERM', async () => {
    const { child } = start(['--port', '0', '--throttle-every', '1']);
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line.toString())![1]!;
      expect(await (await fetch(`${url}/__emulator/health`)).json()).toEqual({ ok: true });
      const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
      expect(await kmsErrorOf(client.send(new CreateKeyCommand({})))).toBe('ThrottlingException');
      await fetch(`${url}/__emulator/faults`, { method: 'POST', body: '{}' });
      expect((await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyState).toBe('Enabled');
      expect(await (await fetch(`${url}/__emulator/calls`)).json()).toEqual({ CreateKey: 2 });
      client.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('exits 2 with a message naming the bad flag', async () => {
    const { child, stderr } = start(['--port', '0', '--throttle-rate', '3']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toContain('throttleRate must be between 0 and 1, got 3');
    const unknown = start(['--bogus']);
    expect((await once(unknown.child, 'exit'))[0]).toBe(2);
    expect(unknown.stderr()).toMatch(/Unknown option '--bogus'/);
  });
});
