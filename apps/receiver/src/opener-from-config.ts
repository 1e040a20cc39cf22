import { createOpener, createTrustStore, type Opener } from '@sealpost/envelope';
import { resolveAll, resolveKeyUnwrapper, resolveTrustedSenders } from '@sealpost/key-refs';
import type { Logger } from 'pino';
import type { ReceiverConfig } from './config.ts';
import type { ReceiverMetrics } from './metrics.ts';

/**
 * Resolves the keys (files or KMS) and trusted senders a configuration names and builds the
 * opener with its limits, age window and data-key cache: the part the worker and the Lambda
 * function share. Fails, naming the key, when a key is unusable.
 */
export async function createOpenerFromConfig(config: ReceiverConfig, metrics: ReceiverMetrics, logger: Logger): Promise<Opener> {
  const resolveOptions = { kmsVerify: config.kmsVerify, onKmsCall: (operation: string) => metrics.kmsCalls.inc({ operation }) };
  const [keys, senders] = await Promise.all([
    resolveAll(config.keys, (ref) => resolveKeyUnwrapper(ref, resolveOptions)),
    resolveAll(config.trust, (ref) => resolveTrustedSenders(ref, resolveOptions)),
  ]);
  logger.info({ keys: keys.map((k) => k.keyId), trusted: senders.map((s) => s.keyId) }, 'keys loaded');
  return createOpener({
    keys,
    trust: createTrustStore(senders),
    limits: { maxPayloadBytes: config.maxPayloadBytes, maxRecipients: config.maxRecipients },
    maxAgeMs: config.maxAge,
    maxClockSkewMs: config.maxClockSkew ?? 0,
    dataKeyCache: config.dataKeyCacheEntries > 0 ? { maxEntries: config.dataKeyCacheEntries, ttlMs: config.dataKeyCacheTtl ?? 600_000 } : false,
  });
}
