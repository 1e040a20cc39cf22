/**
 * Every command pays for the modules loaded before it runs: the program itself (what `--help`
 * needs) must not load the queue clients, the database drivers or the AWS SDK; the commands
 * that use them load them when they run.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../src/main.ts');

// Records every package the process resolves (module.registerHooks runs in the loading thread).
const RECORDER = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url); if (m) seen.add(m[1]); return r; } });
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n'));
`;

async function packagesLoadedBy(args: string[]): Promise<string[]> {
  const recorder = `data:text/javascript,${encodeURIComponent(RECORDER)}`;
  const { stderr } = await run(process.execPath, ['--import', recorder, CLI, ...args], { timeout: 120_000 });
  return JSON.parse(/LOADED (.*)/.exec(stderr)![1]!) as string[];
}

const HEAVY = /^(bullmq|ioredis|pg|sqs-consumer|@aws-sdk\/.*|@smithy\/.*)$/;

describe('what a command loads', () => {
  it('sealpost --help loads commander and the envelope library, not the queue clients, database drivers or AWS SDK', async () => {
    const loaded = await packagesLoadedBy(['--help']);
    expect(loaded).toContain('commander');
    expect(loaded.filter((name) => HEAVY.test(name))).toEqual([]);
  }, 180_000);
});
