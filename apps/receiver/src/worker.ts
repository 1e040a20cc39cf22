import { openTransport } from '@sealpost/transport';
import type { Logger } from 'pino';
import type { ReceiverConfig } from './config.ts';
import { naming, receiverVersion, redactUrl } from './describe.ts';
import { maxEnvelopeBytesFor } from './envelope-size.ts';
import { createErrorReporter } from './error-reporter.ts';
import { createReceiverMetrics, urlKind } from './metrics.ts';
import { createOffloadFromConfig } from './offload.ts';
import { createOpenerFromConfig } from './opener-from-config.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { storeFromConfig } from './store-from-config.ts';

/**
 * Builds everything a configuration names — keys (files or KMS), trusted senders, the opener,
 * the store and the transport — and starts the receiver. Fails fast, before consuming, when a
 * key, the store or the transport is unusable, naming the setting. The start log line names the
 * version, transport, store (passwords redacted) and metrics address.
 */
export async function startReceiverFromConfig(config: ReceiverConfig, logger: Logger): Promise<Receiver> {
  const metrics = createReceiverMetrics({ version: receiverVersion(), transport: urlKind(config.transport), store: urlKind(config.store) });
  const opener = await createOpenerFromConfig(config, metrics, logger);
  const offload = await createOffloadFromConfig(config);
  const opened = storeFromConfig(config);
  const store: typeof opened = { ...opened, init: () => opened.init().catch(naming('store (SEALPOST_STORE)', config.store)) };
  const transportErrors = createErrorReporter(logger, 'transport error; retrying with backoff');
  const transport = openTransport(config.transport, {
    concurrency: config.concurrency,
    maxEnvelopeBytes: maxEnvelopeBytesFor(config.maxPayloadBytes),
    events: {
      onDeadLettered: (delivery, error) => {
        metrics.deadLettered.inc({ code: error.code });
        logger.warn({ transportId: delivery.transportId, code: error.code, reason: error.message }, 'dead-lettered');
      },
      onAcked: () => transportErrors.recovered(),
      onError: (error) => transportErrors.report(error),
    },
  });
  const consumer: typeof transport.consumer = {
    start: (handler) => transport.consumer.start(handler).catch(naming('transport (SEALPOST_TRANSPORT)', config.transport)),
    stop: (deadlineMs) => transport.consumer.stop(deadlineMs),
  };
  return startReceiver({
    opener,
    store,
    consumer,
    metrics,
    logger,
    shutdownTimeoutMs: config.shutdownTimeout ?? 30_000,
    ...(offload ? { offload } : {}),
    describe: { version: receiverVersion(), transport: redactUrl(config.transport), store: redactUrl(config.store), ...(config.blobStore ? { blobStore: config.blobStore } : {}), concurrency: config.concurrency, offloadBuckets: config.offloadBuckets },
    ...(config.metricsPort === 'off' ? {} : { http: { host: config.metricsHost, port: config.metricsPort } }),
  });
}
