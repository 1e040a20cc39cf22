import { createOpener, createTrustStore } from '@sealpost/envelope';
import { resolveAll, resolveKeyUnwrapper, resolveTrustedSenders } from '@sealpost/key-refs';
import { openStore } from '@sealpost/store';
import { openTransport } from '@sealpost/transport';
import type { Logger } from 'pino';
import type { ReceiverConfig } from './config.ts';
import { createReceiverMetrics } from './metrics.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/**
 * Builds everything a configuration names — keys (files or KMS), trusted senders, the opener,
 * the store and the transport — and starts the receiver. Fails fast, before consuming, when a
 * key, the store or the transport is unusable.
 */
export async function startReceiverFromConfig(config: ReceiverConfig, logger: Logger): Promise<Receiver> {
  const metrics = createReceiverMetrics();
  const resolveOptions = { kmsVerify: config.kmsVerify, onKmsCall: (operation: string) => metrics.kmsCalls.inc({ operation }) };
  const [keys, senders] = await Promise.all([
    resolveAll(config.keys, (ref) => resolveKeyUnwrapper(ref, resolveOptions)),
    resolveAll(config.trust, (ref) => resolveTrustedSenders(ref, resolveOptions)),
  ]);
  logger.info({ keys: keys.map((k) => k.keyId), trusted: senders.map((s) => s.keyId) }, 'keys loaded');
  const opener = createOpener({
    keys,
    trust: createTrustStore(senders),
    limits: { maxPayloadBytes: config.maxPayloadBytes, maxRecipients: config.maxRecipients },
    maxAgeMs: config.maxAge,
    maxClockSkewMs: config.maxClockSkew ?? 0,
    dataKeyCache: config.dataKeyCacheEntries > 0 ? { maxEntries: config.dataKeyCacheEntries, ttlMs: config.dataKeyCacheTtl ?? 600_000 } : false,
  });
  const store = openStore(config.store);
  const { consumer } = openTransport(config.transport, {
    concurrency: config.concurrency,
    events: {
      onDeadLettered: (delivery, error) => logger.warn({ transportId: delivery.transportId, code: error.code }, 'dead-lettered'),
      onError: (error) => logger.error({ err: error }, 'transport error'),
    },
  });
  return startReceiver({
    opener,
    store,
    consumer,
    metrics,
    logger,
    shutdownTimeoutMs: config.shutdownTimeout ?? 30_000,
    ...(config.metricsPort === 'off' ? {} : { http: { host: config.metricsHost, port: config.metricsPort } }),
  });
}
