import { SealpostError, isSealpostError, type Opener } from '@sealpost/envelope';
import { toStoredMessage, type MessageStore } from '@sealpost/store';
import type { Delivery, MessageHandler } from '@sealpost/transport';
import type { Logger } from 'pino';
import type { ReceiverMetrics } from './metrics.ts';

/** What the processor needs. */
export interface ProcessorOptions {
  readonly opener: Opener;
  readonly store: MessageStore;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
}

/**
 * The per-message pipeline: open (every envelope check) -> store -> resolve. The transport
 * acknowledges only when this resolves, so nothing is acknowledged before it is stored.
 *
 * - A permanent failure (bad signature, untrusted sender, replay, ...) rejects with a
 *   SealpostError whose `transient` is false: the transport dead-letters it after one attempt.
 * - A transient failure (KMS throttled, store down) rejects with `transient` true: the
 *   transport retries with backoff.
 * - Anything unexpected is treated as transient: retried, and dead-lettered only by the
 *   backend's redrive limit.
 * Logs carry ids, codes and sizes, never payloads or key material.
 */
export function createMessageProcessor(options: ProcessorOptions): MessageHandler {
  const { opener, store, metrics, logger } = options;
  return async (delivery: Delivery) => {
    const started = performance.now();
    metrics.received.inc();
    metrics.receivedBytes.inc(delivery.envelope.byteLength);
    metrics.inFlight.inc();
    const log = logger.child({ transportId: delivery.transportId, attempt: delivery.attempt });
    try {
      const stopOpen = metrics.openSeconds.startTimer();
      const opened = await opener.open(delivery.envelope).finally(() => stopOpen());
      const result = await store.put(toStoredMessage(opened, new Date()));
      const { manifest } = opened;
      if (result === 'stored') metrics.stored.inc();
      else metrics.duplicates.inc();
      metrics.processSeconds.observe((performance.now() - started) / 1000);
      log.info({ messageId: manifest.id, sender: manifest.sender.keyId, size: manifest.payload.size, result }, result === 'stored' ? 'message stored' : 'duplicate delivery acknowledged');
    } catch (error) {
      const failure = isSealpostError(error) ? error : new SealpostError('INTERNAL_ERROR', `unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error, transient: true });
      if (failure.transient) {
        metrics.retries.inc({ code: failure.code });
        log.warn({ code: failure.code, reason: failure.message }, 'transient failure, will retry');
      } else {
        metrics.rejected.inc({ code: failure.code });
        log.warn({ code: failure.code, reason: failure.message }, 'message rejected');
      }
      if (!isSealpostError(error)) log.error({ err: error }, 'unexpected error in the message pipeline');
      throw failure;
    } finally {
      metrics.inFlight.dec();
    }
  };
}
