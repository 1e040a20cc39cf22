/**
 * scripts/with-node24.sh, which every documented command runs through: installs never run twice
 * at once (the README starts a worker with `&` and runs `./sealpost send` right after it), and a
 * lock left by a killed process does not block later runs.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../scripts/with-node24.sh');
const MINUTE = 60_000;

// A stand-in for pnpm that logs each install, notes whether another one was running at the same
// time, and installs the workspace by writing pnpm's stamp file.
const FAKE_PNPM = `#!/bin/sh
echo run >> "$FAKE_LOG"
if ! mkdir "$FAKE_LOG.running" 2>/dev/null; then echo overlap >> "$FAKE_LOG"; fi
sleep 1
rmdir "$FAKE_LOG.running" 2>/dev/null || true
mkdir -p node_modules && : > node_modules/.modules.yaml
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-with-node24-'));
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin/pnpm'), FAKE_PNPM);
  await chmod(join(dir, 'bin/pnpm'), 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A checkout with only the script and a lockfile, never installed. */
async function checkout(name: string): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'scripts'), { recursive: true });
  await copyFile(SCRIPT, join(root, 'scripts/with-node24.sh'));
  await writeFile(join(root, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
  return root;
}

function withNode24(root: string, log: string, args: string[]): Promise<{ code: number | null; output: string }> {
  // Node 24 (this test's node) and the fake pnpm on PATH: only the workspace install is left to do.
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, SEALPOST_TOOLS_DIR: join(dir, 'tools'), FAKE_LOG: log };
  return new Promise((done) => {
    const child = spawn('sh', [join(root, 'scripts/with-node24.sh'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('scripts/with-node24.sh', () => {
  it('two commands started at once on a checkout never installed run one install, then both run', async () => {
    const root = await checkout('concurrent');
    const log = join(dir, 'concurrent.log');
    const results = await Promise.all([withNode24(root, log, ['echo', 'first']), withNode24(root, log, ['echo', 'second']), withNode24(root, log, ['echo', 'third'])]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(results.map((r) => r.output.trim())).toEqual(['first', 'second', 'third']);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['run']);
    await expect(readFile(join(dir, 'tools.lock/pid'))).rejects.toThrow(/ENOENT/);
  }, 5 * MINUTE);

  it('takes over a lock whose owner is gone', async () => {
    const root = await checkout('stale');
    const log = join(dir, 'stale.log');
    const { stdout: deadPid } = await run('sh', ['-c', 'sh -c "echo \\$\\$" ']);
    await mkdir(join(dir, 'tools.lock'));
    await writeFile(join(dir, 'tools.lock/pid'), deadPid);
    const result = await withNode24(root, log, ['echo', 'ran']);
    expect(result).toEqual({ code: 0, output: 'ran\n' });
    expect((await readFile(log, 'utf8')).trim()).toBe('run');
  }, 5 * MINUTE);
});
