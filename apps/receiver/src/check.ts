import { isSealpostError } from '@sealpost/envelope';
import { createS3OffloadReader, probeTransport } from '@sealpost/transport';
import pino from 'pino';
import type { ReceiverConfig } from './config.ts';
import { redactUrl } from './describe.ts';
import { createReceiverMetrics } from './metrics.ts';
import { createOpenerFromConfig } from './opener-from-config.ts';
import { storeFromConfig } from './store-from-config.ts';

/** The outcome of one pre-flight check. */
export interface CheckResult {
  /** What was checked, naming the setting: `keys (SEALPOST_KEYS, SEALPOST_TRUST, ...)`, `store (SEALPOST_STORE)`, ... */
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed: the error code and message. */
  readonly problem?: string;
}

async function attempt(name: string, work: () => Promise<void>): Promise<CheckResult> {
  try {
    await work();
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, problem: isSealpostError(error) ? `${error.code}: ${error.message}` : (error as Error)?.message ?? String(error) };
  }
}

/**
 * The deployment pre-flight (`sealpost-receiver --check`): resolves every key and trusted sender
 * (KMS keys by DescribeKey, which also checks their usage), connects to the store (and runs its
 * migrations, as a start would) and reaches the transport without taking a message. Every check
 * runs, so one report names every problem.
 */
export async function checkReceiver(config: ReceiverConfig): Promise<CheckResult[]> {
  return Promise.all([
    attempt('keys and trusted senders (SEALPOST_KEYS, SEALPOST_TRUST)', async () => {
      await createOpenerFromConfig(config, createReceiverMetrics(), pino({ level: 'silent' }));
    }),
    attempt(`store (SEALPOST_STORE, SEALPOST_BLOB_STORE) ${redactUrl(config.store)}${config.blobStore ? ` ${config.blobStore}` : ''}`, async () => {
      const store = storeFromConfig(config);
      try {
        await store.init();
      } finally {
        await store.close().catch(() => undefined);
      }
    }),
    attempt(`transport (SEALPOST_TRANSPORT) ${redactUrl(config.transport)}`, () => probeTransport(config.transport)),
    ...(config.offloadBuckets.length > 0
      ? [
          attempt(`offload buckets (SEALPOST_OFFLOAD_BUCKETS) ${config.offloadBuckets.join(', ')}`, async () => {
            const reader = createS3OffloadReader({ allowedBuckets: config.offloadBuckets, maxBytes: config.offloadMaxBytes });
            try {
              await reader.probe();
            } finally {
              reader.close();
            }
          }),
        ]
      : []),
  ]);
}

/** The resolved settings fit to print: every URL with its passwords and secret parameters redacted. */
export function printableSettings(config: ReceiverConfig): Record<string, unknown> {
  const redact = (value: unknown): unknown => (typeof value === 'string' && value.includes(':') ? redactUrl(value) : Array.isArray(value) ? value.map(redact) : value);
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, redact(value)]));
}
