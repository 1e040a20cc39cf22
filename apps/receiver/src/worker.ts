import { openStore } from '@sealpost/store';
import { openTransport } from '@sealpost/transport';
import type { Logger } from 'pino';
import type { ReceiverConfig } from './config.ts';
import { maxEnvelopeBytesFor } from './envelope-size.ts';
import { createReceiverMetrics } from './metrics.ts';
import { createOpenerFromConfig } from './opener-from-config.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/**
 * Builds everything a configuration names — keys (files or KMS), trusted senders, the opener,
 * the store and the transport — and starts the receiver. Fails fast, before consuming, when a
 * key, the store or the transport is unusable.
 */
export async function startReceiverFromConfig(config: ReceiverConfig, logger: Logger): Promise<Receiver> {
  const metrics = createReceiverMetrics();
  const opener = await createOpenerFromConfig(config, metrics, logger);
  const store = openStore(config.store);
  const { consumer } = openTransport(config.transport, {
    concurrency: config.concurrency,
    maxEnvelopeBytes: maxEnvelopeBytesFor(config.maxPayloadBytes),
    events: {
      onDeadLettered: (delivery, error) => logger.warn({ transportId: delivery.transportId, code: error.code, reason: error.message }, 'dead-lettered'),
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
