import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The entry points the tests run as a user would. */
export const CLI = resolve(import.meta.dirname, '../../apps/cli/src/main.ts');
export const RECEIVER = resolve(import.meta.dirname, '../../apps/receiver/src/main.ts');

/** AWS settings for the emulators; tests add endpoints (AWS_ENDPOINT_URL_SQS, ...) as they start them. */
export const AWS_ENV: Record<string, string> = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

/**
 * Starts `sealpost-receiver` as a separate process, keys from `keysDir` (receiver.pem, sender.pub.pem).
 * Its logs go to the test's output, or to a pipe with `stdout: 'pipe'` (for {@link metricsUrl}).
 */
export function spawnReceiver(keysDir: string, transport: string, store: string, extra: Record<string, string> = {}, options: { stdout?: 'inherit' | 'pipe' } = {}): ChildProcess {
  return spawn(process.execPath, [RECEIVER], {
    env: {
      ...process.env,
      ...AWS_ENV,
      SEALPOST_TRANSPORT: transport,
      SEALPOST_STORE: store,
      SEALPOST_KEYS: join(keysDir, 'receiver.pem'),
      SEALPOST_TRUST: join(keysDir, 'sender.pub.pem'),
      SEALPOST_METRICS_PORT: 'off',
      SEALPOST_LOG_LEVEL: 'error',
      SEALPOST_CONCURRENCY: '4',
      ...extra,
    },
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit'],
  });
}

/**
 * The /metrics address of a receiver spawned with `stdout: 'pipe'`, SEALPOST_METRICS_PORT=0 and
 * log level info: read from its `receiver started` log line (the port it picked).
 */
export async function metricsUrl(receiver: ChildProcess): Promise<string> {
  const lines = createInterface({ input: receiver.stdout! });
  let last = '';
  try {
    for await (const line of lines) {
      const entry = JSON.parse(line) as { msg?: string; metrics?: string };
      if (entry.msg === 'receiver started' && entry.metrics) return entry.metrics;
      last = line;
    }
  } finally {
    lines.close();
    // Later log lines are not read; keep the pipe drained so the receiver never blocks on it.
    receiver.stdout!.resume();
  }
  throw new Error(`the receiver exited before it started: ${last}`);
}

/** Polls `condition` until it holds; throws after `timeoutMs` (generous: the machine may be busy). */
export async function until(condition: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
