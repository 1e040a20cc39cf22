import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The entry points the tests run as a user would. */
export const CLI = resolve(import.meta.dirname, '../../apps/cli/src/main.ts');
export const RECEIVER = resolve(import.meta.dirname, '../../apps/receiver/src/main.ts');

/** AWS settings for the emulators; tests add endpoints (AWS_ENDPOINT_URL_SQS, ...) as they start them. */
export const AWS_ENV: Record<string, string> = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

/** Starts `sealpost-receiver` as a separate process, keys from `keysDir` (receiver.pem, sender.pub.pem). */
export function spawnReceiver(keysDir: string, transport: string, store: string, extra: Record<string, string> = {}): ChildProcess {
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
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Polls `condition` until it holds; throws after `timeoutMs` (generous: the machine may be busy). */
export async function until(condition: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
